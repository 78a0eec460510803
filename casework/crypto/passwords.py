"""Password hashing (argon2id) and opaque token hashing for sessions and recovery codes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP-recommended argon2id parameters (m=19 MiB, t=2, p=1) are the library defaults' order of
# magnitude; we keep the library defaults (argon2id, 64 MiB, t=3, p=4) which are stronger.
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` in PHC string format."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still spends the time of a real check."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token (session keys, one-time codes)."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored in place of a high-entropy token (session keys)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
