"""The primitives: AES-256-GCM field encryption, data-key wrapping, HKDF, HMAC.

Every function here is pure (keys in, bytes out) so it can be tested with frozen vectors.
Wire formats (all integers big-endian; the whole header is inside the associated data):

* field value:  ``01 | 01 | dk_version:u32 | nonce:12 | ciphertext+tag``
  (format 1, algorithm 1 = AES-256-GCM); AD = ``"casework-field" | header | table | column |
  row uuid | subject uuid`` with length-prefixed strings.
* wrapped data key: ``01 | kek_version:u32 | nonce:12 | AES-256-GCM(data key)+tag``;
  AD = ``"casework-dek" | 01 | kek_version | subject uuid | dk_version``.
* sealed app secret: ``01 | app_version:u32 | nonce:12 | ciphertext+tag``;
  AD = ``"casework-app" | header | context``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import uuid
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casework.crypto.errors import DecryptionError

FIELD_FORMAT = 1
ALG_AES256_GCM = 1
WRAP_FORMAT = 1
SEAL_FORMAT = 1
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
_FIELD_HEADER = struct.Struct(">BBI")
_VERSIONED = struct.Struct(">BI")
FIELD_HEADER_BYTES = _FIELD_HEADER.size + NONCE_BYTES
WRAPPED_KEY_BYTES = _VERSIONED.size + NONCE_BYTES + KEY_BYTES + TAG_BYTES


def _lp(text: str) -> bytes:
    """Length-prefixed UTF-8, so that ("ab","c") and ("a","bc") never produce the same AD."""
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(KEY_BYTES)


def hkdf(key: bytes, info: bytes, *, salt: bytes = b"casework-v1", length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869); ``info`` names the purpose so derived keys never collide."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def field_key(data_key: bytes, table: str, column: str) -> bytes:
    """The per-column key of one woman: HKDF(data key, info = table + column)."""
    return hkdf(data_key, b"casework-field-key" + _lp(table) + _lp(column))


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# -- values ---------------------------------------------------------------------------------

def encode_value(value: str | date | bytes) -> bytes:
    """Typed plaintext encoding (a tag byte, then the payload). Never pickle."""
    if isinstance(value, str):
        return b"s" + value.encode("utf-8")
    if isinstance(value, date):
        return b"d" + value.isoformat().encode("ascii")
    if isinstance(value, bytes):
        return b"b" + value
    raise TypeError(f"cannot encrypt values of type {type(value).__name__}")


def decode_value(raw: bytes) -> str | date | bytes:
    tag, payload = raw[:1], raw[1:]
    if tag == b"s":
        return payload.decode("utf-8")
    if tag == b"d":
        return date.fromisoformat(payload.decode("ascii"))
    if tag == b"b":
        return payload
    raise DecryptionError("unknown value encoding")


# -- fields -----------------------------------------------------------------------------------

def _field_ad(header: bytes, table: str, column: str, row_id: uuid.UUID,
              subject_id: uuid.UUID) -> bytes:
    return (b"casework-field" + header + _lp(table) + _lp(column)
            + row_id.bytes + subject_id.bytes)


def encrypt_field(key: bytes, plaintext: bytes, *, table: str, column: str, row_id: uuid.UUID,
                  subject_id: uuid.UUID, dk_version: int, nonce: bytes | None = None) -> bytes:
    """Encrypt one value under a field key. ``nonce`` exists only for known-answer tests."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonce must be 12 bytes")
    header = _FIELD_HEADER.pack(FIELD_FORMAT, ALG_AES256_GCM, dk_version) + nonce
    ad = _field_ad(header, table, column, row_id, subject_id)
    return header + AESGCM(key).encrypt(nonce, plaintext, ad)


def field_dk_version(blob: bytes) -> int:
    """The data-key version named in a field ciphertext header (checked again by the AD)."""
    if len(blob) < FIELD_HEADER_BYTES + TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    fmt, alg, version = _FIELD_HEADER.unpack_from(blob)
    if fmt != FIELD_FORMAT or alg != ALG_AES256_GCM:
        raise DecryptionError("unsupported ciphertext format or algorithm")
    return int(version)


def decrypt_field(key: bytes, blob: bytes, *, table: str, column: str, row_id: uuid.UUID,
                  subject_id: uuid.UUID) -> bytes:
    """Decrypt and authenticate one value; raises DecryptionError on any mismatch."""
    field_dk_version(blob)
    header = blob[:FIELD_HEADER_BYTES]
    nonce = header[_FIELD_HEADER.size:]
    ad = _field_ad(header, table, column, row_id, subject_id)
    try:
        return AESGCM(key).decrypt(nonce, blob[FIELD_HEADER_BYTES:], ad)
    except InvalidTag:
        raise DecryptionError("ciphertext failed its integrity check") from None


# -- data-key wrapping ----------------------------------------------------------------------

def _wrap_ad(kek_version: int, subject_id: uuid.UUID, dk_version: int) -> bytes:
    return (b"casework-dek" + _VERSIONED.pack(WRAP_FORMAT, kek_version) + subject_id.bytes
            + struct.pack(">I", dk_version))


def wrap_key(kek: bytes, kek_version: int, data_key: bytes, *, subject_id: uuid.UUID,
             dk_version: int, nonce: bytes | None = None) -> bytes:
    """Wrap a data key under a KEK, bound to the woman's subject UUID and key version."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    header = _VERSIONED.pack(WRAP_FORMAT, kek_version) + nonce
    sealed = AESGCM(kek).encrypt(nonce, data_key, _wrap_ad(kek_version, subject_id, dk_version))
    return header + sealed


def wrapped_kek_version(wrapped: bytes) -> int:
    if len(wrapped) != WRAPPED_KEY_BYTES:
        raise DecryptionError("wrapped key has the wrong length")
    fmt, version = _VERSIONED.unpack_from(wrapped)
    if fmt != WRAP_FORMAT:
        raise DecryptionError("unsupported wrapped-key format")
    return int(version)


def unwrap_key(kek: bytes, wrapped: bytes, *, subject_id: uuid.UUID, dk_version: int) -> bytes:
    """Unwrap a data key; raises DecryptionError if it was altered or moved to another woman."""
    kek_version = wrapped_kek_version(wrapped)
    nonce = wrapped[_VERSIONED.size:_VERSIONED.size + NONCE_BYTES]
    try:
        return AESGCM(kek).decrypt(nonce, wrapped[_VERSIONED.size + NONCE_BYTES:],
                                   _wrap_ad(kek_version, subject_id, dk_version))
    except InvalidTag:
        raise DecryptionError("wrapped data key failed its integrity check") from None


# -- sealing small secrets with the app key ---------------------------------------------------

def seal(key: bytes, key_version: int, plaintext: bytes, context: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    header = _VERSIONED.pack(SEAL_FORMAT, key_version) + nonce
    return header + AESGCM(key).encrypt(nonce, plaintext, b"casework-app" + header + _lp(context))


def sealed_key_version(blob: bytes) -> int:
    if len(blob) < _VERSIONED.size + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("sealed value too short")
    fmt, version = _VERSIONED.unpack_from(blob)
    if fmt != SEAL_FORMAT:
        raise DecryptionError("unsupported sealed-value format")
    return int(version)


def unseal(key: bytes, blob: bytes, context: str) -> bytes:
    sealed_key_version(blob)
    header = blob[:_VERSIONED.size + NONCE_BYTES]
    nonce = header[_VERSIONED.size:]
    try:
        ad = b"casework-app" + header + _lp(context)
        return AESGCM(key).decrypt(nonce, blob[len(header):], ad)
    except InvalidTag:
        raise DecryptionError("sealed value failed its integrity check") from None


# -- blind indexes ----------------------------------------------------------------------------

def index_key(root: bytes, index_name: str) -> bytes:
    """The per-index HMAC key: HKDF(blind-index root, info = index name)."""
    return hkdf(root, b"casework-blind-index" + _lp(index_name))


def truncated_hmac(key: bytes, term: str, bits: int) -> int:
    """HMAC-SHA256 of the normalised term, keeping the first ``bits`` bits as an integer."""
    if not 1 <= bits <= 63:
        raise ValueError("bits must be between 1 and 63")
    digest = hmac_sha256(key, term.encode("utf-8"))
    return int.from_bytes(digest[:8], "big") >> (64 - bits)
