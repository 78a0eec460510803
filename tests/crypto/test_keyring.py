"""The key file: validation, refused production starts, and keys kept out of repr."""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from casework.crypto import KeyRingError, app_open, app_seal, hash_token, mac, verify_token
from casework.crypto.context import get_keyring
from casework.crypto.errors import DecryptionError
from casework.crypto.keyring import create_key_file, load_keyring
from tests.conftest import PRODUCTION_SECRET

PRODUCTION = {"env": "production", "secret_key": PRODUCTION_SECRET}


def _edit(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data), "utf-8")
    path.chmod(0o600)


def _set_key(index: int, raw: bytes) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        data["keys"][index]["key"] = base64.b64encode(raw).decode()
    return change


def _duplicate_version(data: dict) -> None:
    copy = dict(data["keys"][0])
    copy["key"] = base64.b64encode(os.urandom(32)).decode()
    copy["state"] = "decrypt-only"
    data["keys"].append(copy)


@pytest.fixture
def prod_keys(tmp_path: Path) -> Path:
    path = tmp_path / "prod" / "keys.json"
    create_key_file(path)
    return path


def test_create_key_file_is_private_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "k" / "keys.json"
    assert create_key_file(path) is True
    assert (path.stat().st_mode & 0o777) == 0o600
    before = path.read_bytes()
    assert create_key_file(path) is False
    assert path.read_bytes() == before
    ring = load_keyring(path)
    assert {k.purpose for k in ring} == {"kek", "blind_index", "audit", "app"}


def test_production_starts_with_a_good_key_file(make_app: Callable[..., Flask],
                                                prod_keys: Path) -> None:
    app = make_app(key_file=str(prod_keys), **PRODUCTION)
    assert "casework.keyring" in app.extensions


@pytest.mark.parametrize(("name", "change", "message"), [
    ("short", _set_key(0, os.urandom(16)), "16 bytes"),
    ("all-zero", _set_key(0, bytes(32)), "all zeros"),
    ("weak", _set_key(1, b"ab" * 16), "not random"),
    ("repeated pattern", _set_key(1, bytes(range(16)) * 2), "repeated pattern"),
    ("typed text", _set_key(2, b"my very own secret key, honest!!"), "typed text"),
    ("duplicate", _duplicate_version, r"duplicate \w+ key version 1"),
])
def test_production_refuses_bad_keys(make_app: Callable[..., Flask], prod_keys: Path,
                                     name: str, change: Callable[[dict], None],
                                     message: str) -> None:
    _edit(prod_keys, change)
    with pytest.raises(KeyRingError, match=message):
        make_app(key_file=str(prod_keys), **PRODUCTION)


def test_production_refuses_a_missing_key_file(make_app: Callable[..., Flask],
                                               tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="not found"):
        make_app(key_file=str(tmp_path / "nowhere.json"), **PRODUCTION)


def test_production_refuses_a_world_readable_key_file(make_app: Callable[..., Flask],
                                                      prod_keys: Path) -> None:
    prod_keys.chmod(0o644)
    with pytest.raises(KeyRingError, match="chmod 600"):
        make_app(key_file=str(prod_keys), **PRODUCTION)


def test_development_tolerates_loose_permissions_with_a_warning(
        make_app: Callable[..., Flask], prod_keys: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    prod_keys.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="casework.security"):
        make_app(key_file=str(prod_keys))
    assert "chmod 600" in caplog.text


def test_development_without_a_key_file_fails_on_use(make_app: Callable[..., Flask],
                                                     tmp_path: Path) -> None:
    app = make_app(key_file=str(tmp_path / "later.json"))
    with app.app_context(), pytest.raises(KeyRingError, match="init-dev"):
        get_keyring()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "init-dev"])
    assert result.exit_code == 0, result.output
    assert "created key file" in result.output
    with app.app_context():
        assert get_keyring().active("kek").version == 1
    again = runner.invoke(args=["keys", "init-dev"])
    assert again.exit_code == 0
    assert "already exists" in again.output


def test_keys_never_appear_in_repr(app: Flask, key_file: Path) -> None:
    ring = get_keyring()
    data = json.loads(key_file.read_text("utf-8"))
    text = repr(ring) + repr(list(ring)) + repr(app.extensions["casework.keyring"])
    for entry in data["keys"]:
        assert entry["key"] not in text
        assert base64.b64decode(entry["key"]).hex() not in text
    assert "kek:v1:active" in repr(ring)


def test_app_seal_round_trip_and_context_binding(app: Flask) -> None:
    blob = app_seal(b"totp-seed", "totp:user:7")
    assert b"totp-seed" not in blob
    assert app_open(blob, "totp:user:7") == b"totp-seed"
    with pytest.raises(DecryptionError):
        app_open(blob, "totp:user:8")


def test_mac_and_token_hash(app: Flask) -> None:
    assert mac(b"x", "a") == mac(b"x", "a")
    assert mac(b"x", "a") != mac(b"x", "b")
    stored = hash_token("recovery-token", "partner-token")
    assert stored.startswith("v1$")
    assert verify_token("recovery-token", stored, "partner-token")
    assert not verify_token("other-token", stored, "partner-token")
    assert not verify_token("recovery-token", "garbage", "partner-token")
