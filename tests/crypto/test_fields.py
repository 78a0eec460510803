"""Encrypted ORM attributes: round trips through the database, binding, lazy decryption."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from casework.crypto import DecryptionError, SubjectErasedError, new_subject
from casework.crypto.context import clear_key_cache, key_cache
from casework.crypto.errors import CryptoError
from casework.crypto.models import Subject
from casework.extensions import db

pytestmark = pytest.mark.usefixtures("notes")


def _reload(model: Any, row_id: uuid.UUID) -> Any:
    db.session.expunge_all()
    clear_key_cache()
    return db.session.get(model, row_id)


def test_round_trip_through_the_database(notes: Any, make_note: Callable[..., Any]) -> None:
    note = make_note(full_name="Trần Thị Bích", story=None)
    again = _reload(notes, note.id)
    assert again.full_name == "Trần Thị Bích"
    assert again.date_of_birth == date(1990, 2, 3)
    assert again.story is None
    assert again.story_enc is None
    assert isinstance(again.full_name_enc, bytes)
    assert b"Bich" not in again.full_name_enc
    assert "Bích".encode() not in again.full_name_enc


def test_update_and_clear_a_field(notes: Any, make_note: Callable[..., Any]) -> None:
    note = make_note()
    note.phone = "0987 654 321"
    note.national_id = None
    db.session.commit()
    again = _reload(notes, note.id)
    assert again.phone == "0987 654 321"
    assert again.national_id is None


def test_types_are_checked(notes: Any) -> None:
    note = notes(subject=new_subject())
    with pytest.raises(TypeError):
        note.full_name = 42
    with pytest.raises(TypeError):
        note.date_of_birth = datetime(1990, 1, 1)


def test_a_row_without_a_subject_is_refused(notes: Any) -> None:
    db.session.add(notes(full_name="Lan"))
    with pytest.raises(CryptoError, match="subject"):
        db.session.flush()
    db.session.rollback()


def test_encrypted_attributes_cannot_be_compared_in_sql(notes: Any) -> None:
    with pytest.raises(TypeError, match="blind_index"):
        select(notes).where(notes.full_name == "Lan")


def test_ciphertext_copied_to_another_row_fails(notes: Any, make_note: Callable[..., Any],
                                                caplog: pytest.LogCaptureFixture) -> None:
    subject = new_subject()
    first = make_note(subject=subject, full_name="Nguyễn Thị Lan")
    second = make_note(subject=subject, full_name="Lê Thị Hoa")
    db.session.execute(
        text("UPDATE test_secret_notes SET full_name_enc = "
             "(SELECT full_name_enc FROM test_secret_notes WHERE id = :a) WHERE id = :b"),
        {"a": first.id.hex if db.engine.dialect.name == "sqlite" else first.id,
         "b": second.id.hex if db.engine.dialect.name == "sqlite" else second.id})
    db.session.commit()
    moved = _reload(notes, second.id)
    with pytest.raises(DecryptionError):
        _ = moved.full_name
    assert "decryption failed" in caplog.text
    assert "Nguyễn" not in caplog.text


def test_ciphertext_copied_to_another_column_fails(notes: Any,
                                                   make_note: Callable[..., Any]) -> None:
    note = make_note()
    note.__dict__.pop("_cw_plain", None)
    note.story_enc = note.full_name_enc
    db.session.commit()
    with pytest.raises(DecryptionError):
        _ = _reload(notes, note.id).story


def test_ciphertext_moved_to_another_woman_fails(notes: Any,
                                                 make_note: Callable[..., Any]) -> None:
    note = make_note()
    other = new_subject()
    db.session.add(other)
    db.session.flush()
    note.subject_id = other.id
    db.session.commit()
    with pytest.raises(DecryptionError):
        _ = _reload(notes, note.id).full_name


def test_data_key_unwrapped_once_and_forgotten(notes: Any, make_note: Callable[..., Any]) -> None:
    note = make_note()
    again = _reload(notes, note.id)
    assert not key_cache()
    _ = again.full_name, again.phone, again.story
    data_keys = [k for k in key_cache() if k[0] == "dk"]
    assert data_keys == [("dk", note.subject_id)]
    clear_key_cache()
    assert not key_cache()


def test_erased_subject_cannot_be_read(notes: Any, make_note: Callable[..., Any]) -> None:
    note = make_note()
    subject = db.session.get(Subject, note.subject_id)
    subject.erased = True
    subject.wrapped_key = None
    db.session.commit()
    with pytest.raises(SubjectErasedError):
        _ = _reload(notes, note.id).full_name


def test_reading_in_a_request_writes_one_viewed_event(
        app: Flask, notes: Any, make_note: Callable[..., Any], make_user: Callable[..., Any],
        login: Callable[..., Any], client: Any) -> None:
    from casework.models.audit import AuditEvent

    def show(note_id: uuid.UUID) -> str:
        note = db.session.get(notes, note_id)
        return f"{note.full_name} {note.phone} {note.full_name}"

    app.add_url_rule("/test-note/<uuid:note_id>", "test_note", show)
    note = make_note()
    user = make_user()
    login(client, user)
    before = db.session.scalar(select(db.func.max(AuditEvent.seq)))
    page = client.get(f"/test-note/{note.id}")
    assert page.status_code == 200
    assert "Nguyễn Thị Lan" in page.get_data(as_text=True)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
    viewed = [e for e in events if e.action == "viewed"]
    assert len(viewed) == 1
    assert viewed[0].target_type == "test_secret_notes"
    assert viewed[0].target_id == str(note.id)
    assert viewed[0].fields == '["full_name", "phone"]'
    assert viewed[0].actor_user_id == user.id
    assert viewed[0].actor_role == "caseworker"
    assert viewed[0].request_id
