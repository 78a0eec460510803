from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, MultipleFileField, RadioField
from wtforms.validators import AnyOf, InputRequired

from casework.forms import FlaskForm, options


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


class ReviewForm(FlaskForm):
    outcome = RadioField(_l("Your review"), choices=options([
        ("same_woman", _l("The same woman: the cases should be merged")),
        ("different_women", _l("Different women"))]), validators=[InputRequired()])
