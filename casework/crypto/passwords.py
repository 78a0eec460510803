"""Password hashing (argon2id) and opaque token hashing for sessions and recovery codes.

The argon2id cost is the library's default (64 MiB, t=3, p=4: stronger than OWASP's minimum) in
development and production. The testing configuration alone uses a cheap profile, so that the
suite does not spend most of its time hashing test passwords; ``init_app`` picks the profile.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app, has_app_context

EXTENSION = "casework.password_hasher"


class _Profile:
    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher

    @cached_property
    def dummy_hash(self) -> str:
        """A hash to verify against when the user does not exist (both paths cost the same).

        Made on first use, not at import: importing the package does no work.
        """
        return self.hasher.hash(secrets.token_urlsafe(16))


PRODUCTION = _Profile(PasswordHasher())
# Testing only: the same algorithm and format at the lowest cost argon2 accepts.
_TESTING: _Profile | None = None


def init_app(app: Flask) -> None:
    """Use the cheap profile when the app runs with ``CASEWORK_ENV=testing``, else production's."""
    global _TESTING
    if app.config.get("CASEWORK_ENV") == "testing":
        if _TESTING is None:
            _TESTING = _Profile(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        app.extensions[EXTENSION] = _TESTING
    else:
        app.extensions[EXTENSION] = PRODUCTION


def _profile() -> _Profile:
    if has_app_context():
        return current_app.extensions.get(EXTENSION, PRODUCTION)  # type: ignore[no-any-return]
    return PRODUCTION


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` in PHC string format."""
    return _profile().hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still spends the time of a real check."""
    profile = _profile()
    try:
        return (
            profile.hasher.verify(password_hash or profile.dummy_hash, password)
            and password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _profile().hasher.check_needs_rehash(password_hash)


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token (session keys, one-time codes)."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored in place of a high-entropy token (session keys)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
