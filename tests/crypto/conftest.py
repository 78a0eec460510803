"""Fixtures for crypto tests: a test-only model with encrypted fields, and apps with own keys.

``SecretNote`` lives on its own MetaData, so it never reaches Alembic or the migration
comparison; each test creates its table in the test's fresh database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from casework.crypto import (
    EncryptedSubjectMixin,
    encrypted,
    name_year_index,
    national_id_index,
    new_subject,
    phone_index,
)
from casework.crypto.keyring import create_key_file
from casework.extensions import db


class TestBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {uuid.UUID: Uuid()}  # noqa: RUF012 - SQLAlchemy API


class SecretNote(EncryptedSubjectMixin, TestBase):
    """Looks like a case: S fields encrypted, one M field in clear."""

    __tablename__ = "test_secret_notes"
    __blind_indexes__ = (name_year_index(), phone_index(), national_id_index())

    full_name = encrypted(str)
    date_of_birth = encrypted(date)
    phone = encrypted(str)
    national_id = encrypted(str)
    story = encrypted(str)
    category: Mapped[str] = mapped_column(String(20), default="general")


def create_notes_table() -> None:
    SecretNote.__table__.create(db.engine, checkfirst=True)


@pytest.fixture
def notes(app: Flask) -> type[SecretNote]:
    """The test model's table in this test's database (uses the shared session key file)."""
    create_notes_table()
    return SecretNote


@pytest.fixture
def own_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "own-keys" / "keys.json"
    create_key_file(path)
    return path


@pytest.fixture
def kapp(make_app: Callable[..., Flask], own_key_file: Path) -> Iterator[Flask]:
    """An app with its own key file, for tests that add, promote or destroy keys."""
    application = make_app(key_file=str(own_key_file))
    application.config["CASEWORK_KEY_RELOAD_WAIT"] = 0
    with application.app_context():
        create_notes_table()
        yield application


@pytest.fixture
def make_note() -> Callable[..., SecretNote]:
    """Persist a note for a new woman (or ``subject``) and commit."""

    def factory(subject: Any = None, **fields: Any) -> SecretNote:
        subject = subject or new_subject()
        db.session.add(subject)
        defaults: dict[str, Any] = {
            "full_name": "Nguyễn Thị Lan", "date_of_birth": date(1990, 2, 3),
            "phone": "0912 345 678", "national_id": "001190012345", "story": "câu chuyện",
        }
        note = SecretNote(subject=subject, **{**defaults, **fields})
        db.session.add(note)
        db.session.commit()
        return note

    return factory


@pytest.fixture
def app_with_keys(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., Flask]:
    """Build an app on this test's database with a new key file (e.g. other index bits)."""
    counter = iter(range(1, 100))

    def factory(index_bits: int = 16) -> Flask:
        path = tmp_path / f"keys-{next(counter)}" / "keys.json"
        create_key_file(path, index_bits=index_bits)
        application = make_app(key_file=str(path))
        application.config["CASEWORK_KEY_RELOAD_WAIT"] = 0
        return application

    return factory


@pytest.fixture
def notes_table() -> Callable[[], type[SecretNote]]:
    def create() -> type[SecretNote]:
        create_notes_table()
        return SecretNote

    return create


@pytest.fixture
def make_many_notes() -> Callable[..., list[SecretNote]]:
    """Persist ``count`` notes, one woman each, with distinct phones and IDs."""

    def factory(count: int, *, prefix: str = "09") -> list[SecretNote]:
        made = []
        for n in range(count):
            subject = new_subject()
            db.session.add(subject)
            note = SecretNote(subject=subject, full_name=f"Người Thử {n}",
                              date_of_birth=date(1980 + n % 30, 1, 1),
                              phone=f"{prefix}{n:08d}", national_id=f"{n:012d}",
                              story=f"story {n}")
            db.session.add(note)
            made.append(note)
        db.session.commit()
        return made

    return factory
