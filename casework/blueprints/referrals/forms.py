"""Forms of the referral pages (shared with the partner portal: ActionForm)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casework.domain import PROVIDER_KINDS, SERVICE_CATEGORIES
from casework.forms import FlaskForm, LocalDateField, MultiCheckboxField, options
from casework.text import int32

REQUIRED = _l("This field is required.")
DATE_MESSAGE = _l("Enter a valid date.")


def version_of(form: Any) -> int | None:
    """The version the form was loaded with; None when missing or tampered (refused as stale)."""
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return None


class ProviderSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    category = SelectField(_l("Service"), validate_choice=False)
    area = SelectField(_l("Area"), coerce=int32, validate_choice=False)
    q = StringField(_l("Name"), validators=[Optional(), Length(max=60)])


class ProviderForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(REQUIRED), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Type"), choices=options(PROVIDER_KINDS.items()))
    categories = MultiCheckboxField(_l("Services offered"),
                                    choices=options(SERVICE_CATEGORIES.items()))
    areas = SelectMultipleField(_l("Areas served"), coerce=int32,
                                description=_l("A partner serving a district serves all its "
                                               "communes."))
    contact_phone = StringField(_l("Office phone"), validators=[Optional(), Length(max=40)])
    contact_email = StringField(_l("Office e-mail"), validators=[Optional(), Length(max=254)])
    address = StringField(_l("Office address"), validators=[Optional(), Length(max=300)])
    link_channel = SelectField(
        _l("Without an account, send its one-time links by"), default="sms",
        validate_choice=False,
        description=_l("Used only while the partner has no account in Casework."))
    response_days = IntegerField(
        _l("Days to answer a referral"), default=7,
        validators=[DataRequired(REQUIRED), NumberRange(1, 365)])
    followup_days = IntegerField(
        _l("Days from acceptance to the service starting"), default=30,
        validators=[DataRequired(REQUIRED), NumberRange(1, 365)])
    active = BooleanField(_l("Active"), default=True)


class NewReferralForm(FlaskForm):
    provider = SelectField(_l("Partner"), coerce=int32, validate_choice=False)


class SendForm(FlaskForm):
    version = HiddenField()
    share = MultiCheckboxField(_l("Details the partner will see"), validate_choice=False)
    partner_note = TextAreaField(
        _l("What she needs (for the partner)"), validators=[Optional(), Length(max=500)],
        description=_l("Short, and only what the partner needs to help her."))
    effective_date = LocalDateField(_l("Date of the referral"), validators=[Optional()])
    note = TextAreaField(_l("Internal note (not shared)"),
                         validators=[Optional(), Length(max=1000)])


class ActionForm(FlaskForm):
    """One form for every move; the service checks which inputs the move requires."""

    version = HiddenField()
    effective_date = LocalDateField(_l("Date"), validators=[Optional()])
    reason_code = SelectField(_l("Reason"), validate_choice=False)
    outcome_code = SelectField(_l("Outcome"), validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])


class ReviewForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField(_l("Note for the caseworker"), validators=[Optional(), Length(max=1000)])


class ConfirmForm(FlaskForm):
    """A bare form for one-button actions; carries the CSRF token."""
