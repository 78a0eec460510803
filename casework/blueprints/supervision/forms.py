from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casework.forms import FlaskForm, LocalDateField, options
from casework.text import int32

REQUIRED = _l("This field is required.")


class ScopeForm(FlaskForm):
    """Hidden unit and period for POSTs that act on a report (sign-off)."""

    unit = HiddenField()
    period = HiddenField()


class DrawSampleForm(FlaskForm):
    unit = HiddenField()
    period = HiddenField()
    provider = SelectField(_l("Partner"), coerce=int32, validators=[DataRequired(REQUIRED)])
    size = IntegerField(_l("Sample size"), default=10,
                        validators=[DataRequired(REQUIRED),
                                    NumberRange(1, 50, _l("Choose a sample size from 1 to 50."))])


class VerdictForm(FlaskForm):
    status = SelectField(_l("Verdict"), choices=options([
        ("verified", _l("Verified")), ("disputed", _l("Disputed"))]))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)],
                         description=_l("Required when disputed. No names or phone numbers."))


class VerifyLogForm(FlaskForm):
    """The CSRF-protected POST that runs a full verification of the audit chain."""


class AccessLogFilter(FlaskForm):
    class Meta:
        csrf = False

    user = StringField(_l("User name"), validators=[Optional(), Length(max=64)])
    case = StringField(_l("Case number"), validators=[Optional(), Length(max=40)])
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=True)
    date_from = LocalDateField(_l("From"), validators=[Optional()])
    date_to = LocalDateField(_l("To"), validators=[Optional()])
