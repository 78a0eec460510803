"""Form helpers shared by every blueprint.

Every form derives from :class:`FlaskForm` here (not Flask-WTF's directly): its text fields
(``StringField`` and its kinds, ``TextAreaField``) pass through the one text normaliser,
``casework/text.normalize`` (NFC, no bidi, zero-width or control characters, trimmed; text
areas keep their line breaks), before any validator counts or checks them, the same way the
import does. Passwords and hidden fields are left exactly as typed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from casework.services.errors import DomainError
from casework.text import form_filter

_SINGLE_LINE = form_filter(multiline=False)
_MULTILINE = form_filter(multiline=True)


class FlaskForm(_FlaskForm):
    """Flask-WTF's form, with every text field normalised (see the module docstring)."""

    class Meta(_FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind,
                                                                 (PasswordField, HiddenField)):
                normalise = _MULTILINE if issubclass(kind, TextAreaField) else _SINGLE_LINE
                filters = tuple(unbound_field.kwargs.get("filters", ()))
                options = {**options, "filters": (*filters, normalise)}
            return super().bind_field(form, unbound_field, options)

        def render_field(self, field: Any, render_kw: dict[str, Any]) -> Any:
            """No ``maxlength`` on the control: a browser silently cuts pasted text there
            (a 20,000-character note "saved" as 5,000). The limit goes in ``data-maxlength``
            for the live counter (casework.js); the server refuses what is too long."""
            limit = getattr(field.flags, "maxlength", None)
            if limit and not isinstance(field, PasswordField | HiddenField):
                render_kw = {"maxlength": False, "data-maxlength": limit, **render_kw}
            return super().render_field(field, render_kw)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own validators, then :meth:`check_domain` whatever they found, so that
        every error shows at once (a bad CCCD, a future birth date and a bad phone together).

        A domain refusal goes on its field unless that field already has an error.
        """
        valid = bool(super().validate(extra_validators))
        try:
            self.check_domain()
        except DomainError as refused:
            for error in refused.errors:
                field = self._fields.get(error.field or "")
                if field is None:
                    self.form_errors.append(str(error.message))
                    valid = False
                elif not field.errors:
                    field.errors = [*field.errors, str(error.message)]
                    valid = False
        return valid

    def check_domain(self) -> None:
        """The service's own checks of these values (pure, no writes); raises DomainError.

        Forms whose service validates several fields override this; the service checks again.
        """


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options from ``(value, label)`` pairs (WTForms 3.3 wants SelectChoice objects)."""
    return [SelectChoice(value, label) for value, label in pairs]


DATE_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}"
DATE_HINT = _l("dd/mm/yyyy, e.g. 21/04/1997")


class LocalDateField(DateField):
    """THE date field: typed and shown as dd/mm/yyyy whatever the browser's language.

    A plain text input (``inputmode=numeric``, a pattern, a dd/mm/yyyy placeholder), never the
    browser's date picker, whose order follows the browser's locale (mm/dd/yyyy in English).
    The server parses dd/mm/yyyy (also d/m/yyyy, with dots or dashes) and, for old clients and
    scripts, yyyy-mm-dd; anything else gets "Enter a real date (day/month/year)."
    """

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%d/%m/%Y", "%Y-%m-%d"])
        render_kw = {"inputmode": "numeric", "pattern": DATE_PATTERN,
                     "placeholder": "dd/mm/yyyy", "autocomplete": "off",
                     **(kwargs.pop("render_kw", None) or {})}
        kwargs["render_kw"] = render_kw
        kwargs.setdefault("description", DATE_HINT)
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        self.data = parse_local_date(valuelist[0])
        if self.data is None:
            raise ValueError(_l("Enter a real date (day/month/year)."))


def parse_local_date(text: str | None) -> date | None:
    """dd/mm/yyyy (or with . or -, one-digit day and month) or yyyy-mm-dd; None otherwise."""
    raw = (text or "").strip()[:20].replace(".", "/")
    if raw[4:5] != "-":  # not yyyy-mm-dd: dashes stand for slashes (21-04-1997)
        raw = raw.replace("-", "/")
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


class OnceForm(FlaskForm):
    """A create form: it carries a one-time token, claimed by the view in the transaction that
    saves it (``casework/services/form_tokens.py``), so a second submission of the same page
    (back and submit again, a double tap) saves nothing twice. Browsers do not restore hidden
    values on "back" (they do restore what was typed), so casework.js keeps the token of the
    page's last submission and puts it back when the page is reached by "back"."""

    form_token = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.form_token.data:
            self.form_token.data = secrets.token_urlsafe(18)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (one tap each), not a multi-select list (Ctrl-click)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
