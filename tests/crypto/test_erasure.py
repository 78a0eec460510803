"""Crypto-erasure of one woman: nothing readable or searchable is left, statistics survive."""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from casework import audit
from casework.crypto import blind_index, new_subject
from casework.crypto.models import BlindIndexEntry, Subject
from casework.crypto.normalize import fold_loose
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.services.erasure import erase_subject

IS_PG = bool(os.environ.get("CASEWORK_TEST_DATABASE_URL"))


def _sqlite_bytes() -> bytes:
    path = Path(db.engine.url.database or "")
    db.session.remove()
    db.engine.dispose()
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def erasing(app_with_keys: Callable[..., Flask], notes_table: Callable[[], Any]) -> Any:
    app = app_with_keys(index_bits=32)  # long values, so a byte scan for them means something
    with app.app_context():
        yield app, notes_table()


def test_erasure_leaves_nothing_readable_or_searchable(erasing: Any) -> None:
    app, model = erasing
    canary = f"Nguyễn Thị Canary{secrets.token_hex(4)}"
    story = f"chuyện riêng {secrets.token_hex(6)} ở Hà Nội"
    her = new_subject()
    other = new_subject()
    db.session.add_all([her, other])
    for subject, name, phone in [(her, canary, "0912 999 111"), (her, canary, "0912 999 222"),
                                 (other, "Lê Thị Hoa", "0933 444 555")]:
        db.session.add(model(subject=subject, full_name=name, phone=phone, story=story,
                             national_id="079190000" + phone[-3:], category="trafficking",
                             date_of_birth=date(1990, 1, 1)))
    db.session.commit()
    her_id = her.id
    wrapped = her.wrapped_key
    ciphertexts = [n.full_name_enc for n in db.session.scalars(
        select(model).where(model.subject_id == her_id))]
    index_values = list(db.session.scalars(
        select(BlindIndexEntry.value).where(BlindIndexEntry.subject_id == her_id)))
    assert len(index_values) == 6
    assert blind_index.find(db.session, model, "phone", "0912999111")
    if not IS_PG:  # the scan below can see her key while it exists
        path = Path(db.engine.url.database or "")
        wal = path.with_name(path.name + "-wal")
        before = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        assert wrapped is not None
        assert wrapped in before
        assert index_values[0].to_bytes(4, "big") in before

    receipt = erase_subject(her_id, actor=None, reason="her request, form 12")
    db.session.commit()
    retention = app.config["CASEWORK_BACKUP_RETENTION_DAYS"]
    assert receipt.complete_at - receipt.erased_at == timedelta(days=retention)
    assert receipt.index_values_removed == 6
    db.session.expunge_all()

    tomb = db.session.get(Subject, her_id)
    assert tomb.erased
    assert tomb.wrapped_key is None
    assert tomb.kek_version is None
    assert db.session.scalar(select(func.count()).select_from(Subject)) == 2
    rows = db.session.scalars(select(model).where(model.subject_id == her_id)).all()
    assert [r.category for r in rows] == ["trafficking", "trafficking"]  # statistics survive
    assert all(r.full_name is None and r.story is None for r in rows)
    assert blind_index.find(db.session, model, "phone", "0912999111") == []
    assert blind_index.find(db.session, model, "name_birth_year", canary, 1990) == []
    assert db.session.scalar(select(func.count()).select_from(BlindIndexEntry).where(
        BlindIndexEntry.subject_id == her_id)) == 0
    assert [n.full_name for n in blind_index.find(db.session, model, "phone",
                                                  "0933444555")] == ["Lê Thị Hoa"]
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "subject.erased")).one()
    assert event.target_id == str(her_id)
    assert "form 12" in (event.details or "")
    assert audit.verify(db.session).ok
    again = erase_subject(her_id, actor=None, reason="twice")
    assert again.erased_at == receipt.erased_at

    if IS_PG:
        return  # the byte scan is for the SQLite file and its WAL
    raw = _sqlite_bytes()
    assert wrapped is not None
    assert wrapped not in raw
    assert wrapped[5:17] not in raw  # not even its nonce
    for blob in ciphertexts:
        assert blob[18:34] not in raw
    for value in index_values:
        assert value.to_bytes(4, "big") not in raw
    for text in (canary, story):
        for form in (text, unicodedata.normalize("NFD", text), fold_loose(text)):
            assert form.encode("utf-8") not in raw


def test_erasure_needs_a_reason_and_a_subject(app: Flask) -> None:
    with pytest.raises(ValueError, match="reason"):
        erase_subject(new_subject().id, actor=None, reason=" ")
    with pytest.raises(LookupError):
        erase_subject(new_subject().id, actor=None, reason="x")


def test_erase_subject_command(erasing: Any, make_note: Callable[..., Any]) -> None:
    app, model = erasing
    note = make_note(phone="0912 000 777")
    subject_id = note.subject_id
    result = app.test_cli_runner().invoke(
        args=["erase-subject", str(subject_id), "--reason", "court order"])
    assert result.exit_code == 0, result.output
    assert "complete (no backup holds her key) on" in result.output
    db.session.expunge_all()
    assert db.session.get(Subject, subject_id).erased
    assert blind_index.find(db.session, model, "phone", "0912000777") == []
