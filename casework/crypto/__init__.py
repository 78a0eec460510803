"""Casework's crypto package: the only code that touches primitives or key bytes.

Public API (see ``casework/crypto/README.md`` for the inventory and the runbook):

* models: :class:`EncryptedSubjectMixin`, :func:`encrypted`, :func:`new_subject`, and the
  blind-index declarations :func:`name_year_index`, :func:`phone_index`,
  :func:`national_id_index`; search with :mod:`casework.crypto.blind_index` ``find`` /
  ``candidates`` / ``find_many`` (many searches at once);
* small secrets: :func:`app_seal`, :func:`app_open`, :func:`mac`, :func:`hash_token`,
  :func:`verify_token`;
* errors: :class:`KeyRingError`, :class:`DecryptionError`, :class:`SubjectErasedError`;
* Flask wiring: :func:`init_app`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from casework.crypto import passwords, primitives
from casework.crypto.blind_index import (
    BlindIndex,
    candidates,
    find,
    find_many,
    name_year_index,
    national_id_index,
    phone_index,
    plan_bits,
)
from casework.crypto.context import (
    EXTENSION,
    KeyRingHolder,
    clear_key_cache,
    get_keyring,
    use_keyring,
)
from casework.crypto.envelope import new_subject
from casework.crypto.errors import (
    CryptoError,
    DecryptionError,
    KeyDependencyError,
    KeyRingError,
    SubjectErasedError,
)
from casework.crypto.fields import (
    EncryptedSubjectMixin,
    encrypted,
    encrypted_models,
    field_read,
    install_orm_hooks,
)

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "BlindIndex",
    "CryptoError",
    "DecryptionError",
    "EncryptedSubjectMixin",
    "KeyDependencyError",
    "KeyRingError",
    "SubjectErasedError",
    "app_open",
    "app_seal",
    "candidates",
    "clear_key_cache",
    "encrypted",
    "encrypted_models",
    "field_read",
    "find",
    "find_many",
    "get_keyring",
    "hash_token",
    "init_app",
    "mac",
    "name_year_index",
    "national_id_index",
    "new_subject",
    "phone_index",
    "plan_bits",
    "token_digests",
    "use_keyring",
    "verify_token",
]


def creating_key_file(argv: list[str] | None = None) -> bool:
    """True in the one process that may start without a key file in production: ``flask
    [options] keys init`` (README production step 2), which creates it. Anything else, the
    served app included, is refused at start."""
    args = sys.argv if argv is None else argv
    return args[-2:] == ["keys", "init"]


def init_app(app: Flask) -> None:
    """Load and validate the key ring, register cache cleanup and ORM hooks.

    Raises KeyRingError in production for a missing, weak, inconsistent or group/other
    readable key file. In development and testing, loose permissions only warn and a missing
    file makes every key use fail until `flask keys init-dev` creates it.
    """
    production = app.config.get("CASEWORK_ENV") == "production"
    path = Path(str(app.config.get("CASEWORK_KEY_FILE") or ""))
    if not str(app.config.get("CASEWORK_KEY_FILE") or ""):
        raise KeyRingError("CASEWORK_KEY_FILE is not set: point it at the key file")
    holder = KeyRingHolder(path, strict=production,
                           allow_missing=not production or creating_key_file())
    app.extensions[EXTENSION] = holder
    app.teardown_request(clear_key_cache)
    app.teardown_appcontext(clear_key_cache)
    install_orm_hooks()
    passwords.init_app(app)


def app_seal(plaintext: bytes, context: str) -> bytes:
    """Encrypt a small secret (a TOTP seed, a token) under the active app key.

    ``context`` (e.g. ``"totp:user:42"``) is bound into the associated data; opening with
    another context fails.
    """
    key = get_keyring().active("app")
    return primitives.seal(key.material, key.version, plaintext, context)


def app_open(blob: bytes, context: str) -> bytes:
    """Open an :func:`app_seal` blob. Raises DecryptionError if altered or the context differs,
    KeyRingError if its app key version was destroyed."""
    version = primitives.sealed_key_version(blob)
    return primitives.unseal(get_keyring().secret("app", version), blob, context)


def _mac_key(version: int, context: str) -> bytes:
    secret = get_keyring().secret("app", version)
    return primitives.hkdf(secret, b"casework-app-mac" + context.encode("utf-8"))


def mac(data: bytes, context: str) -> bytes:
    """HMAC-SHA256 of ``data`` under a key derived from the active app key and ``context``."""
    return primitives.hmac_sha256(_mac_key(get_keyring().active("app").version, context), data)


def hash_token(token: str, context: str) -> str:
    """A keyed, versioned digest (``"v<app key version>$<hex>"``) to store instead of a token."""
    version = get_keyring().active("app").version
    digest = primitives.hmac_sha256(_mac_key(version, context), token.encode("utf-8"))
    return f"v{version}${digest.hex()}"


def token_digests(token: str, context: str) -> list[str]:
    """:func:`hash_token` of ``token`` under every usable app key version (active first), so
    a digest stored before an app-key rotation is still found by an exact lookup."""
    ring = get_keyring()
    active = ring.active("app").version
    versions = sorted((k.version for k in ring.versions("app") if k.usable),
                      key=lambda v: (v != active, -v))
    return [f"v{v}${primitives.hmac_sha256(_mac_key(v, context), token.encode('utf-8')).hex()}"
            for v in versions]


def verify_token(token: str, stored: str, context: str) -> bool:
    """Constant-time check of ``token`` against a :func:`hash_token` value."""
    try:
        prefix, hexdigest = stored.split("$", 1)
        version = int(prefix.removeprefix("v"))
        expected = bytes.fromhex(hexdigest)
    except ValueError:
        return False
    try:
        key = _mac_key(version, context)
    except KeyRingError:
        return False
    return primitives.constant_time_equal(
        primitives.hmac_sha256(key, token.encode("utf-8")), expected)
