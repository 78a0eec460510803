"""Form helpers shared by every blueprint.

Every form derives from :class:`FlaskForm` here (not Flask-WTF's directly): its text fields
(``StringField`` and its kinds, ``TextAreaField``) pass through the one text normaliser,
``casework/text.normalize`` (NFC, no bidi, zero-width or control characters, trimmed; text
areas keep their line breaks), before any validator counts or checks them, the same way the
import does. Passwords and hidden fields are left exactly as typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm as _FlaskForm
from wtforms import HiddenField, PasswordField, SelectChoice, StringField, TextAreaField

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


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options from ``(value, label)`` pairs (WTForms 3.3 wants SelectChoice objects)."""
    return [SelectChoice(value, label) for value, label in pairs]
