"""Typed errors of the crypto package. Messages never contain key bytes or plaintext."""

from __future__ import annotations


class CryptoError(Exception):
    """Base class for every error raised by :mod:`casework.crypto`."""


class KeyRingError(CryptoError, RuntimeError):
    """The key file is missing, unreadable, weak or inconsistent; the message says what to fix."""


class DecryptionError(CryptoError):
    """A ciphertext failed its integrity check (tampered, moved, truncated or wrong key).

    Callers must treat this as a security event and show a generic error page; the value is
    never returned in any form.
    """


class SubjectErasedError(CryptoError):
    """The woman's data key was destroyed (crypto-erasure); her encrypted fields are gone."""


class KeyDependencyError(CryptoError):
    """A key version cannot be changed or destroyed because data still depends on it."""
