"""The one exception services raise for a refused action; its message is shown to the user."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the action. ``message`` is a (lazy) translatable string safe to show.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class StaleObjectError(DomainError):
    """Someone else changed the record since this form was loaded (optimistic locking)."""
