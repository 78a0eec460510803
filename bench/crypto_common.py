"""Shared set-up for the crypto benchmarks: a throw-away database and key ring, no Flask.

Run from the repository root, e.g. ``.venv/bin/python bench/crypto_fields.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Date, MetaData, String, Uuid, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from casework.crypto import (
    EncryptedSubjectMixin,
    encrypted,
    install_orm_hooks,
    phone_index,
    use_keyring,
)
from casework.crypto.keyring import create_key_file, load_keyring
from casework.crypto.models import BlindIndexEntry, Subject


class BenchBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {uuid.UUID: Uuid()}  # noqa: RUF012 - SQLAlchemy API


class ClearRecord(BenchBase):
    """The same eight fields, in clear (the baseline)."""

    __tablename__ = "bench_clear"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    full_name: Mapped[str] = mapped_column(String(200))
    other_names: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    national_id: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(400))
    family: Mapped[str] = mapped_column(String(2000))
    history: Mapped[str] = mapped_column(String(4000))


class SecretRecord(EncryptedSubjectMixin, BenchBase):
    """Eight encrypted fields."""

    __tablename__ = "bench_secret"
    full_name = encrypted(str)
    other_names = encrypted(str)
    date_of_birth = encrypted(date)
    national_id = encrypted(str)
    phone = encrypted(str)
    address = encrypted(str)
    family = encrypted(str)
    history = encrypted(str)


class PhoneRecord(EncryptedSubjectMixin, BenchBase):
    """One encrypted, blind-indexed phone per woman (for lookup timings)."""

    __tablename__ = "bench_phone"
    __blind_indexes__ = (phone_index(),)
    phone = encrypted(str)


FIELDS: dict[str, Any] = {
    "full_name": "Nguyễn Thị Lan Anh", "other_names": "Lan, Bé Út",
    "date_of_birth": date(1994, 7, 12), "national_id": "001194012345",
    "phone": "0912 345 678", "address": "Số 12 ngõ 34 phố Huế, Hai Bà Trưng, Hà Nội",
    "family": "Hai con nhỏ, mẹ già ở quê. " * 8, "history": "Câu chuyện dài, riêng tư. " * 40,
}


@contextmanager
def bench_env(url: str | None = None) -> Iterator[Any]:
    """An engine with the crypto tables and a fresh key ring, as a context."""
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys.json"
        create_key_file(keys)
        engine = create_engine(url or f"sqlite:///{tmp}/bench.sqlite3")
        if engine.dialect.name == "sqlite":
            @event.listens_for(engine, "connect")
            def _pragmas(conn: Any, _rec: Any) -> None:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
        Subject.__table__.create(engine, checkfirst=True)
        BlindIndexEntry.__table__.create(engine, checkfirst=True)
        BenchBase.metadata.create_all(engine)
        install_orm_hooks()
        with use_keyring(load_keyring(keys)) as ring:
            try:
                yield engine, ring, keys
            finally:
                if url:  # leave a server database as we found it
                    BenchBase.metadata.drop_all(engine)
                    BlindIndexEntry.__table__.drop(engine)
                    Subject.__table__.drop(engine)
                engine.dispose()


def session(engine: Any) -> Session:
    return Session(engine, expire_on_commit=False)


def timed(func: Any, *args: Any) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start
