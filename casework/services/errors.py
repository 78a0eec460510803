"""The one exception services raise for a refused action; its message is shown to the user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A rule refused the action. ``message`` is a (lazy) translatable string safe to show.

    ``field`` names the form field the message belongs to, when there is one. ``errors`` holds
    every refusal found at once (itself alone for a single one), so a form can show them all.
    """

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field

    @property
    def errors(self) -> list[DomainError]:
        return [self]


class FieldErrors(DomainError):
    """Several refusals found in one pass over a form's values (all shown at once)."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__(errors[0].message, errors[0].field)
        self._errors = errors

    @property
    def errors(self) -> list[DomainError]:
        return list(self._errors)


class Problems:
    """Collects the refusals of independent checks, then raises them together.

    ``with problems.check(): clean_phone(...)`` keeps going after a refusal; ``raise_any()``
    raises one :class:`FieldErrors` with every refusal (a single one as itself).
    """

    def __init__(self) -> None:
        self.found: list[DomainError] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except DomainError as error:
            self.found.extend(error.errors)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``fn(*args, **kwargs)``, or None (the refusal kept) when it refuses."""
        with self.check():
            return fn(*args, **kwargs)
        return None

    def add(self, message: Any, field: str | None = None) -> None:
        self.found.append(DomainError(message, field))

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise FieldErrors(self.found)


class StaleObjectError(DomainError):
    """Someone else changed the record since this form was loaded (optimistic locking)."""
