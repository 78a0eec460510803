"""The audit key's one use: the HMAC-SHA256 that chains audit events together."""

from __future__ import annotations

from casework.crypto import primitives
from casework.crypto.context import get_keyring, key_cache

GENESIS = "0" * 64


def active_audit_version() -> int:
    return get_keyring().active("audit").version


def chain_mac(message: bytes, version: int) -> str:
    """Hex HMAC of a canonical event (which already contains the previous MAC).

    Raises KeyRingError when audit key ``version`` is missing or destroyed.
    """
    cache = key_cache()
    key = cache.get(("audit", version))
    if key is None:
        key = primitives.hkdf(get_keyring().secret("audit", version), b"casework-audit-chain")
        cache[("audit", version)] = key
    return primitives.hmac_sha256(key, message).hex()


def macs_equal(a: str, b: str) -> bool:
    return primitives.constant_time_equal(a.encode("ascii"), b.encode("ascii"))
