from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, MultipleFileField
from wtforms.validators import AnyOf

from casework.forms import FlaskForm


class UploadForm(FlaskForm):
    files = MultipleFileField(
        _l("Filled workbook (.xlsx) or CSV files"),
        description=_l("One workbook made from the template, or one CSV file per sheet."),
        render_kw={"accept": ".xlsx,.csv"},
    )


class ApplyForm(FlaskForm):
    mode = HiddenField(validators=[AnyOf(("all", "clean_only"))])


class CancelForm(FlaskForm):
    pass
