"""Forms of the tip-off pages. Length caps match the service's so errors show on the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from casework.blueprints.cases.forms import REQUIRED, at_most
from casework.forms import FlaskForm, LocalDateField, options
from casework.text import int32
from casework.tipoffs.codes import CHANNELS, CLASSES, FILE_REASONS, STAFF_CHANNELS
from casework.tipoffs.service import NAME_MAX, NOTE_MAX, SUMMARY_MAX


def _choices(pairs: Any) -> list[Any]:
    return options([("", _l("— choose —")), *pairs])


class LocalDateTimeField(DateTimeLocalField):
    """A date and time from a phone's picker (or typed dd/mm/yyyy hh:mm), Vietnamese message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        raw = valuelist[0].strip()[:20]
        for fmt in self.strptime_format:
            try:
                self.data = datetime.strptime(raw, fmt)
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(_l("Enter a real date and time (day/month/year hour:minute)."))


class _Reporter:
    summary = TextAreaField(_l("What was reported (confidential)"),
                            validators=[DataRequired(REQUIRED), at_most(SUMMARY_MAX)])
    persons_named = TextAreaField(_l("Persons named (confidential)"),
                                  validators=[Optional(), at_most(SUMMARY_MAX)])
    anonymous = BooleanField(_l("Anonymous: the sender gives no name or contact"))
    reporter_name = StringField(_l("Sender's name"), validators=[Optional(), at_most(NAME_MAX)],
                                render_kw={"autocomplete": "off"})
    reporter_contact = StringField(_l("Sender's phone or address"),
                                   validators=[Optional(), at_most(NAME_MAX)],
                                   render_kw={"autocomplete": "off", "inputmode": "tel"})
    not_to_be_named = BooleanField(_l("The sender asks not to be named"))


class ReceiveForm(_Reporter, FlaskForm):
    channel = SelectField(_l("Received through"), choices=_choices(
        (c, CHANNELS[c]) for c in STAFF_CHANNELS), validators=[DataRequired(REQUIRED)])
    received_at = LocalDateTimeField(_l("Received (date and time)"),
                                     validators=[InputRequired(REQUIRED)])
    note = TextAreaField(_l("Note"), validators=[Optional(), at_most(NOTE_MAX)],
                         description=_l("Needed when the date is more than 30 days ago."))
    submit = SubmitField(_l("Record the item"))


class PublicForm(_Reporter, FlaskForm):
    unit = SelectField(_l("Send to"), coerce=int32, validate_choice=True)
    submit = SubmitField(_l("Send"))


class StatusForm(FlaskForm):
    code = StringField(_l("Receipt code"), validators=[DataRequired(REQUIRED), at_most(60)],
                       render_kw={"autocomplete": "off", "spellcheck": "false",
                                  "autocapitalize": "characters"})
    submit = SubmitField(_l("Check the status"))


class _Step(FlaskForm):
    version = HiddenField()
    on = LocalDateField(_l("Date"), validators=[DataRequired(REQUIRED)])
    note = TextAreaField(_l("Note"), validators=[Optional(), at_most(NOTE_MAX)])


class VerifyForm(_Step):
    has_content = SelectField(_l("Content to act on?"), choices=options(
        [("yes", _l("Yes")), ("no", _l("No: nothing to act on"))]), default="yes")
    duplicate_of = StringField(_l("Duplicate of item (its number)"),
                               validators=[Optional(), at_most(40)])
    submit = SubmitField(_l("Record the verification"))


class ClassifyForm(_Step):
    classification = SelectField(_l("Classification"), choices=_choices(
        (k, v) for k, v in CLASSES.items() if k != "duplicate"),
        validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Classify"))


class HandleForm(_Step):
    action = HiddenField()
    police_office = StringField(_l("Police office that received it"),
                                validators=[Optional(), at_most(200)])
    acknowledged_on = LocalDateField(_l("Date the police acknowledged it"),
                                     validators=[Optional()])
    authority = StringField(_l("Authority it was forwarded to"),
                            validators=[Optional(), at_most(200)])
    sender_told = BooleanField(_l("The sender was told where it went"))
    file_reason = SelectField(_l("Reason for filing"), choices=_choices(FILE_REASONS.items()),
                              validators=[Optional()])
    submit = SubmitField(_l("Record the handling"))


class AcknowledgeForm(FlaskForm):
    version = HiddenField()
    acknowledged_on = LocalDateField(_l("Date the police acknowledged it"),
                                     validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Record the acknowledgment"))


class TransferForm(_Step):
    to_unit = SelectField(_l("New unit"), coerce=int32, validate_choice=True)
    submit = SubmitField(_l("Transfer the item"))


class SettingsForm(FlaskForm):
    crime_working_days = IntegerField(
        _l("Crime tip-off: forward within (working days)"),
        validators=[InputRequired(REQUIRED),
                    NumberRange(1, 60, _l("Enter a number of days from 1 to %(n)s.", n=60))])
    classify_days = IntegerField(
        _l("Complaint: classify within (days)"),
        validators=[InputRequired(REQUIRED),
                    NumberRange(1, 365, _l("Enter a number of days from 1 to %(n)s.", n=365))])
    settle_days = IntegerField(
        _l("Complaint: settle or forward within (days)"),
        validators=[InputRequired(REQUIRED),
                    NumberRange(1, 365, _l("Enter a number of days from 1 to %(n)s.", n=365))])
    submit = SubmitField(_l("Save the deadlines"))


class HolidayForm(FlaskForm):
    day = LocalDateField(_l("Date"), validators=[DataRequired(REQUIRED)])
    name = StringField(_l("Holiday"), validators=[DataRequired(REQUIRED), at_most(120)])
    submit = SubmitField(_l("Add the holiday"))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
