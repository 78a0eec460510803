"""Phone-friendly forms for the union's activity: one short form per kind of record."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FileField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from casework.forms import FlaskForm, LocalDateField, options
from casework.text import int32

REQUIRED = _l("This field is required.")
NUMBER = _l("Enter a number from 0 to 1,000,000.")
NOTE_HELP = _l("Only when correcting an approved half-year: what is corrected and why.")

COMMUNICATION_FORMS = (
    ("meeting", _l("Meeting or talk")), ("loudspeaker", _l("Loudspeaker")),
    ("drama", _l("Drama or performance")), ("social_media", _l("Social media")),
    ("leaflet", _l("Leaflets or posters")), ("contest", _l("Contest")), ("other", _l("Other")),
)
POST_CHANNELS = (("website", _l("Website")), ("fanpage", _l("Fan page")))
KIND_LABELS = {
    "plan": _l("Anti-prostitution plan"), "communication": _l("Communication activity"),
    "programme": _l("Programme integrating the task"), "training": _l("Training"),
    "post": _l("Post on the website or fan page"),
}


def _count(label: object) -> IntegerField:
    return IntegerField(label, default=0, validators=[
        InputRequired(REQUIRED), NumberRange(0, 1_000_000, NUMBER)],
        render_kw={"inputmode": "numeric", "min": "0"})


def _note() -> TextAreaField:
    return TextAreaField(_l("Amendment note"), description=NOTE_HELP,
                         validators=[Optional(), Length(max=500)])


class PlanForm(FlaskForm):
    held_on = LocalDateField(_l("Adopted on"), validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Name of the plan"), validators=[DataRequired(REQUIRED),
                                                            Length(max=200)])
    amendment_note = _note()


class CommunicationForm(FlaskForm):
    held_on = LocalDateField(_l("Date"), validators=[InputRequired(REQUIRED)])
    form = SelectField(_l("Form"), choices=options(COMMUNICATION_FORMS))
    officers = _count(_l("Union officers reached"))
    members = _count(_l("Members and women reached"))
    partners = StringField(_l("Partner bodies (optional)"), validators=[Length(max=300)],
                           description=_l("For example: commune police, health station."))
    title = StringField(_l("Topic (optional)"), validators=[Length(max=200)])
    amendment_note = _note()


class ProgrammeForm(FlaskForm):
    title = StringField(_l("Programme or project"), validators=[DataRequired(REQUIRED),
                                                                Length(max=200)])
    held_on = LocalDateField(_l("Task integrated from"), validators=[InputRequired(REQUIRED)])
    ended_on = LocalDateField(_l("Ended on (optional)"), validators=[Optional()])
    amendment_note = _note()


class TrainingForm(FlaskForm):
    held_on = LocalDateField(_l("Date"), validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Training"), validators=[DataRequired(REQUIRED), Length(max=200)])
    officers = _count(_l("Concerned officers trained"))
    amendment_note = _note()


class PostForm(FlaskForm):
    held_on = LocalDateField(_l("Posted on"), validators=[InputRequired(REQUIRED)])
    form = SelectField(_l("Where"), choices=options(POST_CHANNELS))
    link = StringField(_l("Link"), validators=[DataRequired(REQUIRED), Length(max=500)],
                       render_kw={"inputmode": "url"})
    amendment_note = _note()


FORMS: dict[str, type[FlaskForm]] = {
    "plan": PlanForm, "communication": CommunicationForm, "programme": ProgrammeForm,
    "training": TrainingForm, "post": PostForm,
}


class CountsForm(FlaskForm):
    officers = _count(_l("Union officers"))
    concerned_officers = _count(_l("Officers concerned with anti-prostitution work"))
    members = _count(_l("Members"))
    amendment_note = _note()


class PeriodForm(FlaskForm):
    """A POST that acts on a half-year (submit, delete)."""

    period = HiddenField()


class ReviewForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=options([
        ("approved", _l("Approve")), ("returned", _l("Return for correction"))]))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=500)],
                            description=_l("Required when returning: what needs correcting."))


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(REQUIRED),
                                                               Length(max=100)])
    unit = SelectField(_l("Unit whose figures it may read"), coerce=int32,
                       validate_choice=True)


class ImportForm(FlaskForm):
    file = FileField(_l("Workbook (.xlsx)"))
    action = HiddenField(default="check")
