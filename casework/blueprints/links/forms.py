"""Forms of the public link page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from casework.blueprints.referrals.forms import ActionForm
from casework.forms import FlaskForm


class CodeForm(FlaskForm):
    code = StringField(_l("Code on her referral slip"),
                       validators=[DataRequired(_l("Enter the code printed on her slip.")),
                                   Length(max=20)],
                       description=_l("8 letters and digits, for example ABCD-2345."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false", "inputmode": "text"})


class LinkActionForm(ActionForm):
    """The portal's action form, with the key the right code gave (never in the URL)."""

    view_key = HiddenField()
