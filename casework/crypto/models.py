"""The woman's data-key row (``subjects``) and the blind-index values that point at her rows.

A subject row holds no personal data: a random UUID, her data key wrapped under a KEK, and
timestamps. After crypto-erasure it stays as a tombstone (``erased`` true, no key) so counts
and referral statistics stay right.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow


class Subject(Base):
    """One woman, as key management knows her; create with ``casework.crypto.new_subject()``."""

    __tablename__ = "subjects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Her random data key wrapped under KEK ``kek_version`` (NULL once erased).
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(80))
    kek_version: Mapped[int | None] = mapped_column(index=True)
    # Data-key version: bumped by `flask keys rotate-subject`; part of every field's AD.
    key_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased: Mapped[bool] = mapped_column(default=False, index=True)
    erased_at: Mapped[datetime | None] = mapped_column()

    def __repr__(self) -> str:
        state = "erased" if self.erased else f"kek v{self.kek_version}"
        return f"<Subject {self.id} {state}>"


class BlindIndexEntry(Base):
    """One truncated HMAC of a normalised search term, pointing at one encrypted row.

    Kept in one table (not columns on each model) so that index-key rotation can dual-write
    a new key version without schema changes, and erasure can drop all of a woman's values.
    """

    __tablename__ = "blind_index_entries"
    __table_args__ = (
        # row_id first: this index serves per-row rewrites, and the planner can never pick it
        # over the lookup index for a search (it did on PostgreSQL before ANALYZE).
        UniqueConstraint("row_id", "index_name", "key_version"),
        Index("ix_blind_index_entries_lookup", "index_name", "key_version", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    index_name: Mapped[str] = mapped_column(String(80))  # "<table>.<index>"
    key_version: Mapped[int] = mapped_column()
    value: Mapped[int] = mapped_column(BigInteger)
    row_id: Mapped[uuid.UUID] = mapped_column()
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id"), index=True)
    # Declared so the unit of work inserts a new subject before her index values.
    subject: Mapped[Subject] = relationship(lazy="raise")
