from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from casework.forms import FlaskForm, options
from casework.text import int32

REQUIRED = _l("This field is required.")
# A plausibility check only (a notice address, not an identity): something@domain.tld
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

ROLE_CHOICES = options(
    [
        ("caseworker", _l("Caseworker")),
        ("supervisor", _l("Supervisor")),
        ("partner", _l("Partner")),
        ("admin", _l("Administrator")),
    ]
)
UNIT_KIND_CHOICES = options(
    [
        ("district", _l("District")),
        ("city", _l("City")),
        ("commune", _l("Commune")),
        ("ward", _l("Ward")),
        ("town", _l("Town")),
        ("province", _l("Province")),
    ]
)


class UserForm(FlaskForm):
    """No password field: the account's owner sets hers through a one-time link."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(REQUIRED), Length(max=64, message=_l("At most 64 characters."))],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(REQUIRED), Length(max=120, message=_l("At most 120 characters."))],
    )
    email = EmailField(
        _l("E-mail (for notices; optional)"),
        validators=[
            Optional(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Enter a valid e-mail address.")),
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired(REQUIRED)])
    org_unit = SelectField(_l("Organisation unit (staff)"), coerce=int32, validate_choice=True)
    provider = SelectField(_l("Service provider (partners)"), coerce=int32, validate_choice=True)
    submit = SubmitField(_l("Create account"))


class ConfirmForm(FlaskForm):
    """A bare form for one-button actions; carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class UnitForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(REQUIRED), Length(max=40, message=_l("At most 40 characters."))],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=_l("At most 200 characters."))],
    )
    kind = SelectField(_l("Type"), choices=UNIT_KIND_CHOICES)
    parent = SelectField(_l("Parent unit"), coerce=int32, validate_choice=True)
    submit = SubmitField(_l("Create unit"))


class RenameUnitForm(FlaskForm):
    name = StringField(
        _l("New name"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=_l("At most 200 characters."))],
    )
    submit = SubmitField(_l("Rename"))


class MoveUnitForm(FlaskForm):
    parent = SelectField(_l("New parent unit"), coerce=int32, validate_choice=True)
    submit = SubmitField(_l("Move"))
