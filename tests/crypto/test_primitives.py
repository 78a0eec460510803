"""Field encryption, key wrapping and sealing: frozen vectors, round trips, tamper failures."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.crypto import primitives
from casework.crypto.errors import DecryptionError

VECTORS = json.loads((Path(__file__).parent / "vectors" / "field_v1.json").read_text("utf-8"))
KEY = bytes.fromhex(VECTORS["data_key"])
ROW = uuid.UUID(VECTORS["row_id"])
SUBJECT = uuid.UUID(VECTORS["subject_id"])
AD = {"table": "cases", "column": "full_name_enc", "row_id": ROW, "subject_id": SUBJECT}


def _encrypt(plaintext: bytes, **overrides: object) -> bytes:
    args = {**AD, "dk_version": 1, **overrides}
    return primitives.encrypt_field(KEY, plaintext, **args)  # type: ignore[arg-type]


def _decrypt(blob: bytes, **overrides: object) -> bytes:
    return primitives.decrypt_field(KEY, blob, **{**AD, **overrides})  # type: ignore[arg-type]


def test_known_answer_field_vectors() -> None:
    assert primitives.field_key(KEY, "cases", "full_name_enc").hex() == (
        VECTORS["field_key_full_name"])
    nonce = bytes.fromhex(VECTORS["nonce"])
    for case in VECTORS["fields"]:
        value = date.fromisoformat(case["value"]) if case["type"] == "date" else case["value"]
        key = primitives.field_key(KEY, case["table"], case["column"])
        ad = {"table": case["table"], "column": case["column"], "row_id": ROW,
              "subject_id": SUBJECT}
        blob = primitives.encrypt_field(key, primitives.encode_value(value), dk_version=1,
                                        nonce=nonce, **ad)
        assert blob.hex() == case["ciphertext"]
        assert primitives.decode_value(primitives.decrypt_field(key, blob, **ad)) == value


def test_known_answer_wrap_and_index() -> None:
    kek = bytes.fromhex(VECTORS["kek"])
    wrapped = primitives.wrap_key(kek, 1, KEY, subject_id=SUBJECT, dk_version=1,
                                  nonce=bytes.fromhex(VECTORS["nonce"]))
    assert wrapped.hex() == VECTORS["wrapped_key"]
    assert primitives.unwrap_key(kek, wrapped, subject_id=SUBJECT, dk_version=1) == KEY
    bi = VECTORS["blind_index"]
    index_key = primitives.index_key(bytes.fromhex(bi["root"]), bi["index"])
    assert primitives.truncated_hmac(index_key, bi["term"], bi["bits"]) == bi["value"]


def test_wire_format_header_is_versioned() -> None:
    blob = _encrypt(b"x", dk_version=7)
    assert blob[:2] == b"\x01\x01"
    assert primitives.field_dk_version(blob) == 7
    assert len(blob) == primitives.FIELD_HEADER_BYTES + 1 + primitives.TAG_BYTES


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_round_trip_arbitrary_unicode(text: str) -> None:
    blob = _encrypt(primitives.encode_value(text))
    assert primitives.decode_value(_decrypt(blob)) == text


@settings(max_examples=100, deadline=None)
@given(st.dates())
def test_round_trip_dates(value: date) -> None:
    assert primitives.decode_value(_decrypt(_encrypt(primitives.encode_value(value)))) == value


def test_every_bit_flip_fails() -> None:
    blob = _encrypt(b"Nguyen Thi Lan")
    for position in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[position] ^= bit
            with pytest.raises(DecryptionError):
                _decrypt(bytes(tampered))


def test_truncation_fails() -> None:
    blob = _encrypt(b"Nguyen Thi Lan")
    for length in range(len(blob)):
        with pytest.raises(DecryptionError):
            _decrypt(blob[:length])


@pytest.mark.parametrize("moved", [
    {"row_id": uuid.UUID(int=1)},
    {"column": "phone_enc"},
    {"table": "referrals"},
    {"subject_id": uuid.UUID(int=2)},
])
def test_ciphertext_moved_to_another_place_fails(moved: dict[str, object]) -> None:
    blob = _encrypt(b"0912345678")
    with pytest.raises(DecryptionError):
        _decrypt(blob, **moved)


@pytest.mark.parametrize(("offset", "value"), [(0, 0), (0, 2), (1, 0), (1, 2), (5, 2)])
def test_header_downgrade_or_version_change_fails(offset: int, value: int) -> None:
    tampered = bytearray(_encrypt(b"secret"))
    tampered[offset] = value
    with pytest.raises(DecryptionError):
        _decrypt(bytes(tampered))


def test_ambiguous_table_column_split_does_not_collide() -> None:
    blob = _encrypt(b"secret", table="ab", column="c")
    with pytest.raises(DecryptionError):
        _decrypt(blob, table="a", column="bc")


def test_no_repeated_nonce_over_100000_encryptions() -> None:
    nonces = {_encrypt(b"")[6:18] for _ in range(100_000)}
    assert len(nonces) == 100_000


def test_wrapped_key_is_bound_to_subject_and_version() -> None:
    kek = bytes.fromhex(VECTORS["kek"])
    wrapped = primitives.wrap_key(kek, 3, KEY, subject_id=SUBJECT, dk_version=1)
    assert primitives.wrapped_kek_version(wrapped) == 3
    with pytest.raises(DecryptionError):
        primitives.unwrap_key(kek, wrapped, subject_id=uuid.UUID(int=5), dk_version=1)
    with pytest.raises(DecryptionError):
        primitives.unwrap_key(kek, wrapped, subject_id=SUBJECT, dk_version=2)
    relabelled = bytearray(wrapped)
    relabelled[4] = 4  # claim another KEK version
    with pytest.raises(DecryptionError):
        primitives.unwrap_key(kek, bytes(relabelled), subject_id=SUBJECT, dk_version=1)


def test_sealed_secret_is_bound_to_context() -> None:
    blob = primitives.seal(KEY, 1, b"JBSWY3DPEHPK3PXP", "totp:user:1")
    assert primitives.unseal(KEY, blob, "totp:user:1") == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(DecryptionError):
        primitives.unseal(KEY, blob, "totp:user:2")


def test_unknown_value_encoding_is_refused() -> None:
    with pytest.raises(DecryptionError):
        primitives.decode_value(b"zpayload")
    with pytest.raises(TypeError):
        primitives.encode_value(42)  # type: ignore[arg-type]
