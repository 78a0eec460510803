"""Forms of the rights area: the breach answer's question, retention decisions, the schedule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casework.forms import FlaskForm, LocalDateField
from casework.text import int32

REQUIRED = _l("This field is required.")


class BreachForm(FlaskForm):
    """Read-only question (GET): one account or one partner, and a window of days."""

    class Meta:
        csrf = False

    username = StringField(_l("Account (user name)"), validators=[Optional(), Length(max=64)])
    provider = SelectField(_l("or a partner (all its accounts)"), coerce=int32,
                           validators=[Optional()], validate_choice=True)
    date_from = LocalDateField(_l("From (day)"), validators=[DataRequired(REQUIRED)])
    date_to = LocalDateField(_l("To (day, included)"), validators=[DataRequired(REQUIRED)])


class RetentionConfirmForm(FlaskForm):
    """The supervisor's confirmation of the month's erasures (the cases ticked on the page)."""

    confirm = BooleanField(_l("I have checked these records; their data cannot be recovered."),
                           validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Erase the ticked records"))


class RetentionKeepForm(FlaskForm):
    reason = SelectField(_l("Why keep it"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Keep this month"))


class ScheduleForm(FlaskForm):
    closed_case_years = IntegerField(
        _l("Closed cases are kept for (years)"),
        validators=[DataRequired(REQUIRED),
                    NumberRange(1, 50, _l("Choose from 1 to 50 years."))])
    withdrawn_record_days = IntegerField(
        _l("After she withdraws consent to keep her record, erase within (days)"),
        validators=[DataRequired(REQUIRED),
                    NumberRange(1, 365, _l("Choose from 1 to 365 days."))])
    submit = SubmitField(_l("Save the schedule"))
