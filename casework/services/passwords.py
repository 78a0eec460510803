"""The password policy: length, and refusal of the common-password list shipped with Casework."""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask_babel import lazy_gettext as _l

from casework.services.errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("casework").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_password_policy(password: str, *, username: str | None = None) -> None:
    """Raise DomainError (field ``password``) when ``password`` breaks the policy."""
    if len(password) < MIN_LENGTH:
        raise DomainError(
            _l("The password must have at least %(n)d characters.", n=MIN_LENGTH), "password"
        )
    if len(password) > MAX_LENGTH:
        raise DomainError(
            _l("The password must have at most %(n)d characters.", n=MAX_LENGTH), "password"
        )
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        raise DomainError(
            _l("This password is too common or too easy to guess. Choose another."), "password"
        )
    if username and username.lower() in lowered:
        raise DomainError(_l("The password must not contain the username."), "password")
