"""The key ring: versioned keys, one purpose each, loaded from a key file outside the repo.

File format (JSON, mode 0600, owned by the app user)::

    {"format": "casework-keys/1",
     "keys": [{"purpose": "kek", "version": 1, "state": "active", "key": "<base64>",
               "created": "2026-01-01T00:00:00+00:00"}, ...]}

Purposes: ``kek`` (wraps data keys), ``blind_index`` (root of the per-index HMAC keys; its
entries also carry ``bits``, the truncation length), ``audit`` (audit-chain MAC) and ``app``
(sealing small secrets such as TOTP seeds). States: ``active`` (used for new work; exactly one
per purpose), ``decrypt-only`` (still read, never used for new work; for blind indexes:
written but not searched), ``destroyed`` (no key material left).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casework.crypto.errors import KeyRingError

FORMAT = "casework-keys/1"
KEY_BYTES = 32
PURPOSES = ("kek", "blind_index", "audit", "app")
STATES = ("active", "decrypt-only", "destroyed")
DEFAULT_INDEX_BITS = 16


@dataclass(frozen=True)
class Key:
    """One key version. The secret is excluded from ``repr`` and comparisons."""

    purpose: str
    version: int
    state: str
    secret: bytes | None = field(repr=False, compare=False)
    created: str = ""
    bits: int | None = None

    @property
    def material(self) -> bytes:
        """The key bytes; raises KeyRingError for a destroyed key."""
        if self.secret is None:
            raise KeyRingError(f"{self.purpose} key version {self.version} has been destroyed")
        return self.secret

    @property
    def usable(self) -> bool:
        return self.state != "destroyed" and self.secret is not None


class KeyRing:
    """An immutable, validated set of keys. ``repr`` lists versions and states, never bytes."""

    def __init__(self, keys: Iterable[Key], *, path: Path | None = None) -> None:
        self._keys: dict[tuple[str, int], Key] = {}
        for key in keys:
            self._keys[(key.purpose, key.version)] = key
        self.path = path

    def __repr__(self) -> str:
        listed = ", ".join(f"{k.purpose}:v{k.version}:{k.state}" for k in self)
        return f"<KeyRing {listed}>"

    def __iter__(self) -> Iterator[Key]:
        return iter(sorted(self._keys.values(), key=lambda k: (k.purpose, k.version)))

    def versions(self, purpose: str) -> list[Key]:
        """All versions of one purpose, oldest first."""
        return [k for k in self if k.purpose == purpose]

    def active(self, purpose: str) -> Key:
        """The one active key of ``purpose``; raises KeyRingError if there is none."""
        for key in self.versions(purpose):
            if key.state == "active" and key.secret is not None:
                return key
        raise KeyRingError(f"no active {purpose} key in the key file")

    def get(self, purpose: str, version: int) -> Key:
        """A usable key version (active or decrypt-only); raises KeyRingError otherwise."""
        key = self._keys.get((purpose, version))
        if key is None or not key.usable:
            raise KeyRingError(f"{purpose} key version {version} is missing or destroyed")
        return key

    def secret(self, purpose: str, version: int) -> bytes:
        return self.get(purpose, version).material

    def replace_key(self, new: Key) -> KeyRing:
        """A copy of the ring with one key added or replaced (used by the key commands)."""
        keys = {(k.purpose, k.version): k for k in self}
        keys[(new.purpose, new.version)] = new
        return KeyRing(keys.values(), path=self.path)

    def next_version(self, purpose: str) -> int:
        return max((k.version for k in self.versions(purpose)), default=0) + 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_key(purpose: str, version: int, state: str = "active", *, bits: int | None = None) -> Key:
    """A fresh random key from the OS CSPRNG."""
    if purpose == "blind_index" and bits is None:
        bits = DEFAULT_INDEX_BITS
    return Key(purpose, version, state, secrets.token_bytes(KEY_BYTES), _now(), bits)


def _weakness(secret: bytes) -> str | None:
    if len(secret) != KEY_BYTES:
        return f"is {len(secret)} bytes long; it must be {KEY_BYTES} random bytes"
    if secret == bytes(KEY_BYTES):
        return "is all zeros"
    # 32 random bytes have about 30 distinct values; fewer than 16 means a pattern or a typo.
    if len(set(secret)) < 16:
        return "is not random (too few distinct bytes)"
    if any(secret == (secret[:period] * KEY_BYTES)[:KEY_BYTES] for period in range(1, 17)):
        return "is not random (a repeated pattern)"
    # 32 random bytes are all printable ASCII about once in 10^14 tries: this is typed text (a
    # passphrase or a placeholder base64-encoded by hand), not a key.
    if all(0x20 <= byte < 0x7F for byte in secret):
        return "is typed text, not random bytes"
    return None


def _parse_entry(raw: Any, where: str) -> Key:
    if not isinstance(raw, dict):
        raise KeyRingError(f"{where}: each key entry must be a JSON object")
    purpose, version, state = raw.get("purpose"), raw.get("version"), raw.get("state")
    if purpose not in PURPOSES:
        raise KeyRingError(f"{where}: purpose must be one of {', '.join(PURPOSES)}")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise KeyRingError(f"{where}: version must be a positive integer")
    if state not in STATES:
        raise KeyRingError(f"{where}: state must be one of {', '.join(STATES)}")
    name = f"{purpose} key version {version}"
    encoded = raw.get("key")
    secret: bytes | None = None
    if state == "destroyed":
        if encoded:
            raise KeyRingError(f"{name} is marked destroyed but still has key material; remove it")
    else:
        if not isinstance(encoded, str):
            raise KeyRingError(f"{name} has no key; generate one with `flask keys` commands")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise KeyRingError(f"{name} is not valid base64") from None
        weakness = _weakness(secret)
        if weakness:
            raise KeyRingError(f"{name} {weakness}; replace it with a new random key")
    bits = raw.get("bits")
    if purpose == "blind_index" and (not isinstance(bits, int) or not 8 <= bits <= 32):
        raise KeyRingError(f"{name} needs \"bits\" between 8 and 32 (index truncation)")
    return Key(purpose, version, state, secret, str(raw.get("created", "")), bits)


def parse_keyring(data: Any, *, path: Path | None = None) -> KeyRing:
    """Validate a decoded key file. Raises KeyRingError saying what to fix."""
    where = str(path) if path else "key file"
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KeyRingError(f"{where}: not a Casework key file (expected format {FORMAT})")
    entries = data.get("keys")
    if not isinstance(entries, list):
        raise KeyRingError(f"{where}: \"keys\" must be a list")
    keys: list[Key] = []
    seen: set[tuple[str, int]] = set()
    secrets_seen: set[bytes] = set()
    for index, raw in enumerate(entries):
        key = _parse_entry(raw, f"{where} entry {index + 1}")
        if (key.purpose, key.version) in seen:
            raise KeyRingError(
                f"{where}: duplicate {key.purpose} key version {key.version}; "
                "each version must appear once"
            )
        seen.add((key.purpose, key.version))
        if key.secret is not None:
            if key.secret in secrets_seen:
                raise KeyRingError(f"{where}: the same key bytes are used twice; one purpose each")
            secrets_seen.add(key.secret)
        keys.append(key)
    for purpose in PURPOSES:
        active = [k for k in keys if k.purpose == purpose and k.state == "active"]
        if len(active) != 1:
            raise KeyRingError(
                f"{where}: needs exactly one active {purpose} key (found {len(active)})"
            )
    return KeyRing(keys, path=path)


def loose_permissions(path: Path) -> bool:
    """True when group or others may read or write the key file."""
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def load_keyring(path: str | os.PathLike[str]) -> KeyRing:
    """Read and validate the key file (permissions are checked by the caller's policy)."""
    file = Path(path)
    if not file.is_file():
        raise KeyRingError(
            f"key file {file} not found: set CASEWORK_KEY_FILE to the key file, or create a "
            "development one with `flask keys init-dev`"
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyRingError(
            f"key file {file} cannot be read as JSON ({type(exc).__name__})"
        ) from None
    return parse_keyring(data, path=file)


def _serialise(ring: KeyRing) -> str:
    entries: list[dict[str, Any]] = []
    for key in ring:
        entry: dict[str, Any] = {"purpose": key.purpose, "version": key.version, "state": key.state}
        if key.bits is not None:
            entry["bits"] = key.bits
        entry["created"] = key.created
        if key.secret is not None and key.state != "destroyed":
            entry["key"] = base64.b64encode(key.secret).decode("ascii")
        entries.append(entry)
    return json.dumps({"format": FORMAT, "keys": entries}, indent=2) + "\n"


def write_keyring(ring: KeyRing, path: str | os.PathLike[str]) -> None:
    """Atomically replace the key file (temp file 0600 in the same folder, fsync, rename)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    text = _serialise(ring)
    parse_keyring(json.loads(text), path=file)  # never write a file we would refuse to load
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=file.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_key_file(path: str | os.PathLike[str], *, index_bits: int = DEFAULT_INDEX_BITS) -> bool:
    """Create a fresh key file (mode 0600) with version 1 of every purpose.

    Returns False and changes nothing when the file already exists.
    """
    file = Path(path)
    if file.exists():
        return False
    keys = [new_key(p, 1, bits=index_bits if p == "blind_index" else None) for p in PURPOSES]
    write_keyring(KeyRing(keys, path=file), file)
    return True


def with_state(ring: KeyRing, purpose: str, version: int, state: str) -> KeyRing:
    """A copy of the ring where one key has a new state (destroyed drops the key bytes)."""
    key = ring._keys.get((purpose, version))
    if key is None:
        raise KeyRingError(f"there is no {purpose} key version {version}")
    secret = None if state == "destroyed" else key.secret
    return ring.replace_key(replace(key, state=state, secret=secret))
