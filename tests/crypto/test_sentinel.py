"""Sentinel scan: canary values typed in must not appear in the database files, a dump,
the logs or the audit rows (in NFC, NFD and ASCII-folded forms)."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from casework.crypto import blind_index
from casework.crypto.normalize import fold_loose
from casework.extensions import db
from casework.models.audit import AuditEvent


def _forms(text: str) -> list[bytes]:
    forms = {text, unicodedata.normalize("NFD", text), fold_loose(text), text.casefold()}
    return [f.encode("utf-8") for f in forms]


def _database_bytes(url: Any) -> bytes:
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        db.session.remove()
        db.engine.dispose()
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        if os.environ.get("CI"):
            pytest.fail("pg_dump is required in CI (apt-get install postgresql-client)")
        pytest.skip("pg_dump not installed: the PostgreSQL byte scan needs it")
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    return subprocess.run(
        [
            pg_dump,
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database,
        ],
        env=env,
        check=True,
        capture_output=True,
    ).stdout


def test_canaries_never_reach_storage_logs_or_audit(
    app: Flask, notes: Any, make_note: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    tag = secrets.token_hex(3)
    canaries = {
        "full_name": f"Hoàng Thị Thuỷ Canary{tag}",
        "phone": f"0912 {int(tag, 16) % 1000:03d} 987",
        "national_id": f"0791900{int(tag, 16) % 100000:05d}",
        "story": f"Bị lừa bán sang biên giới năm 2019 — dấu {tag}",
    }
    caplog.set_level(logging.DEBUG)
    note = make_note(**canaries)
    logging.getLogger("casework.test").info("saved note %s for %s", note.id, canaries["phone"])
    found = blind_index.find(db.session, notes, "phone", canaries["phone"])
    assert [n.full_name for n in found] == [canaries["full_name"]]
    db.session.commit()

    audit_rows = " ".join(
        f"{e.target_id} {e.fields} {e.details}" for e in db.session.scalars(select(AuditEvent))
    )
    raw = _database_bytes(db.engine.url)
    logs = caplog.text.encode("utf-8")
    for value in canaries.values():
        for form in _forms(value):
            assert form not in raw
            assert form.decode() not in audit_rows
        if value != canaries["full_name"] and value != canaries["story"]:
            continue
        for form in _forms(value):
            assert form not in logs
    assert canaries["phone"].encode() not in logs  # the scrubbing filter masked it
