from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from casework.forms import FlaskForm, MultiCheckboxField

REQUIRED = _l("This field is required.")


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(REQUIRED), Length(max=64, message=_l("At most 64 characters."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(REQUIRED), Length(max=256, message=_l("At most 256 characters."))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(REQUIRED), Length(max=20, message=_l("At most 20 characters."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"},
    )
    submit = SubmitField(_l("Verify"))


class EnrolForm(FlaskForm):
    # Only when replacing a factor: removed from the form for an account that has none.
    current_code = StringField(
        _l("Code from your current authenticator app, or a recovery code"),
        validators=[DataRequired(REQUIRED), Length(max=20, message=_l("At most 20 characters."))],
        render_kw={"autocomplete": "off", "inputmode": "text", "autocapitalize": "none"},
    )
    code = StringField(
        _l("6-digit code shown by the app"),
        validators=[DataRequired(REQUIRED), Length(max=20, message=_l("At most 20 characters."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Confirm and turn on"))


class SetPasswordForm(FlaskForm):
    """A new password, typed twice (a set-password link; the change form adds the current one)."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(REQUIRED), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", message=_l("The passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set password"))


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(REQUIRED), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Change password"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class MessagesForm(FlaskForm):
    """Her own addresses and the channels she wants messages on (outbox/contacts.py)."""

    email = StringField(_l("E-mail"),
                        validators=[Length(max=254, message=_l("At most 254 characters."))],
                        render_kw={"autocomplete": "email", "inputmode": "email"})
    phone = StringField(_l("Mobile number for SMS"),
                        validators=[Length(max=20, message=_l("At most 20 characters."))],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    zalo = StringField(_l("Mobile number registered with Zalo"),
                       validators=[Length(max=20, message=_l("At most 20 characters."))],
                       render_kw={"autocomplete": "tel", "inputmode": "tel"})
    channels = MultiCheckboxField(_l("Send me messages by"), validate_choice=False)
    digest = BooleanField(_l("One digest a day instead of each message"))
    submit = SubmitField(_l("Save"))
