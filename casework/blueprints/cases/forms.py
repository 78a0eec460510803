"""Forms of the case pages. Length caps match the services' so errors show on the field."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from casework.domain import (
    CASE_GROUPS,
    CLOSE_REASONS,
    CONSENT_METHODS,
    CONSENT_PURPOSES,
    REFERRAL_SOURCES,
    SERVICE_CATEGORIES,
)
from casework.forms import FlaskForm, LocalDateField, MultiCheckboxField, OnceForm, options
from casework.services.cases import LIMITS, CaseInput
from casework.services.consents import (
    DEFAULT_SHARED_FIELDS,
    SHAREABLE_FIELDS,
    ConsentInput,
    check_consent,
)
from casework.services.subject_rights import ERASURE_REASONS
from casework.text import ascii_digits, int32

REQUIRED = _l("This field is required.")
BACKDATE_HELP = _l("Needed when the date is more than 30 days ago.")


def version_of(form: Any) -> int:
    """The version a form was loaded with; -1 (always stale) when missing or not a number."""
    text = (form.version.data or "").strip()
    return int(text) if ascii_digits(text) else -1


def at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(n)s characters.", n=n))


def _choices(codes: dict[str, Any], blank: bool = False) -> list[Any]:
    pairs = [("", _l("— choose —"))] if blank else []
    return options([*pairs, *codes.items()])


class CaseForm(OnceForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED),
                                                          at_most(LIMITS["full_name"])],
                            render_kw={"autocomplete": "off", "spellcheck": "false"})
    other_names = StringField(_l("Other names she uses"), validators=[Optional(),
                                                                     at_most(LIMITS["other_names"])],
                              render_kw={"autocomplete": "off"})
    date_of_birth = LocalDateField(_l("Date of birth"), validators=[Optional()])
    national_id = StringField(_l("National ID number (CCCD)"), validators=[Optional(),
                                                                           at_most(20)],
                              render_kw={"inputmode": "numeric", "autocomplete": "off"},
                              description=_l("12 digits."))
    phone = StringField(_l("Phone"), validators=[Optional(), at_most(20)],
                        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"})
    address = StringField(_l("Current address"), validators=[Optional(),
                                                            at_most(LIMITS["address"])],
                          render_kw={"autocomplete": "off"})
    family_situation = TextAreaField(_l("Family situation"),
                                     validators=[Optional(), at_most(LIMITS["family_situation"])])
    history = TextAreaField(_l("History (confidential)"),
                            validators=[Optional(), at_most(LIMITS["history"])])
    group = SelectField(_l("Group"), choices=_choices(CASE_GROUPS, blank=True),
                        validators=[DataRequired(REQUIRED)])
    referral_source = SelectField(_l("Referred by"), choices=_choices(REFERRAL_SOURCES, True),
                                  validators=[DataRequired(REQUIRED)])
    intake_date = LocalDateField(_l("Intake date"), validators=[DataRequired(REQUIRED)])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)],
                                  description=BACKDATE_HELP)
    org_unit = SelectField(_l("Unit responsible"), coerce=int32, validate_choice=True)
    confirm_duplicate = BooleanField(_l("I have read the warning and will contact my "
                                        "supervisor; save anyway."))
    submit = SubmitField(_l("Open case"))
    checks_intake = True

    def case_input(self) -> CaseInput:
        return CaseInput(
            full_name=self.full_name.data, group=self.group.data or "",
            referral_source=self.referral_source.data or "",
            intake_date=self.intake_date.data, other_names=self.other_names.data,
            date_of_birth=self.date_of_birth.data, national_id=self.national_id.data,
            phone=self.phone.data, address=self.address.data,
            family_situation=self.family_situation.data, history=self.history.data,
            backdate_reason=self.backdate_reason.data)

    def check_domain(self) -> None:
        self.case_input().clean(check_intake=self.checks_intake)


class EditCaseForm(CaseForm):
    version = HiddenField()
    submit = SubmitField(_l("Save corrections"))
    checks_intake = False


class ConsentForm(OnceForm):
    purpose = SelectField(_l("Purpose"), choices=_choices(CONSENT_PURPOSES, True),
                          validators=[DataRequired(REQUIRED)])
    service_category = MultiCheckboxField(
        _l("Service categories (for sharing)"), choices=options(SERVICE_CATEGORIES.items()),
        validators=[Optional()],
        description=_l("One consent may cover several categories: tick each one she agreed to."))
    shared_fields = MultiCheckboxField(_l("Fields she agrees to share"),
                                       choices=options(SHAREABLE_FIELDS.items()),
                                       default=list(DEFAULT_SHARED_FIELDS),
                                       validators=[Optional()])
    given_on = LocalDateField(_l("Date given"), validators=[DataRequired(REQUIRED)])
    method = SelectField(_l("How"), choices=_choices(CONSENT_METHODS), validators=[Optional()])
    witness_name = StringField(_l("Witness (for verbal consent)"), validators=[Optional(),
                                                                               at_most(120)])
    expires_on = LocalDateField(_l("Expires on (optional)"), validators=[Optional()])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)],
                                  description=BACKDATE_HELP)
    submit = SubmitField(_l("Record consent"))
    intake_date: date | None = None  # the case's, set by the view for the date check

    def consent_input(self) -> ConsentInput:
        return ConsentInput(
            purpose=self.purpose.data or "", given_on=self.given_on.data,
            method=self.method.data or "",
            service_categories=tuple(self.service_category.data or ()),
            expires_on=self.expires_on.data, witness_name=self.witness_name.data,
            shared_fields=tuple(self.shared_fields.data or ()),
            backdate_reason=self.backdate_reason.data)

    def check_domain(self) -> None:
        check_consent(self.consent_input(), self.intake_date)


class NeedForm(OnceForm):
    category = SelectField(_l("Service category"), choices=_choices(SERVICE_CATEGORIES, True),
                           validators=[DataRequired(REQUIRED)])
    identified_on = LocalDateField(_l("Date identified"), validators=[DataRequired(REQUIRED)])
    note = TextAreaField(_l("Short note"), validators=[Optional(), at_most(2000)])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)],
                                  description=BACKDATE_HELP)
    submit = SubmitField(_l("Add need"))


NEED_MANUAL = {"identified": _l("Identified again"), "declined_by_her": _l("Declined by her"),
               "no_longer_needed": _l("No longer needed")}


class NeedStatusForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("New status"), choices=options(NEED_MANUAL.items()))
    on = LocalDateField(_l("Date"), validators=[DataRequired(REQUIRED)])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)])
    submit = SubmitField(_l("Change status"))


NOTE_KIND_LABELS = {"note": _l("Note"), "phone_call": _l("Phone call"),
                    "home_visit": _l("Home visit"), "meeting": _l("Meeting")}


class NoteForm(OnceForm):
    kind = SelectField(_l("Kind"), choices=options(NOTE_KIND_LABELS.items()))
    on = LocalDateField(_l("Date"), validators=[DataRequired(REQUIRED)])
    body = TextAreaField(_l("Note"), validators=[DataRequired(REQUIRED), at_most(5000)])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)],
                                  description=BACKDATE_HELP)
    submit = SubmitField(_l("Save note"))


class FollowUpForm(OnceForm):
    title = StringField(_l("What needs doing"), validators=[DataRequired(REQUIRED),
                                                           at_most(200)])
    due_on = LocalDateField(_l("Due on"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Add follow-up"))


class TransferForm(FlaskForm):
    version = HiddenField()
    to_unit = SelectField(_l("New unit"), coerce=int32, validate_choice=True)
    on = LocalDateField(_l("Date of transfer"), validators=[DataRequired(REQUIRED)])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)])
    submit = SubmitField(_l("Transfer case"))


class CloseForm(FlaskForm):
    version = HiddenField()
    reason = SelectField(_l("Reason"), choices=_choices(CLOSE_REASONS, True),
                         validators=[DataRequired(REQUIRED)])
    on = LocalDateField(_l("Date closed"), validators=[DataRequired(REQUIRED)])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)])
    submit = SubmitField(_l("Close case"))


class ReopenForm(FlaskForm):
    version = HiddenField()
    on = LocalDateField(_l("Date reopened"), validators=[DataRequired(REQUIRED)])
    backdate_reason = StringField(_l("Reason for late entry"), validators=[Optional(),
                                                                          at_most(200)])
    submit = SubmitField(_l("Reopen case"))


class MergeForm(FlaskForm):
    other = StringField(_l("Case number of the duplicate"),
                        validators=[DataRequired(REQUIRED), at_most(40)])
    confirm = BooleanField(_l("I have checked both cases are the same woman."),
                           validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Merge into this case"))


class EraseForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=_choices(
        {k: v for k, v in ERASURE_REASONS.items() if k != "retention"}, blank=True),
                         validators=[DataRequired(REQUIRED)])
    confirm = BooleanField(_l("I understand her data cannot be recovered."),
                           validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Erase her data"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class SearchForm(FlaskForm):
    """Posted with CSRF: her phone, CCCD or name never go into a URL, log or history."""

    q = StringField(_l("Case number, phone, CCCD or full name"),
                    validators=[Optional(), at_most(60)],
                    description=_l("A name needs her year of birth: Lê Thị Hoa 1996."),
                    render_kw={"autocomplete": "off", "inputmode": "search"})
    name = StringField(_l("or full name"), validators=[Optional(), at_most(120)],
                       render_kw={"autocomplete": "off"})
    birth_year = StringField(_l("and year of birth"), validators=[Optional(), at_most(4)],
                             render_kw={"inputmode": "numeric"})
