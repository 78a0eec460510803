"""Import batches: who imported which file (by keyed MAC), when, how, and what came of it.

No personal data and no file name (a file name can be a woman's name): a keyed MAC of the
uploaded bytes identifies the file (an unkeyed hash would let anyone holding the database
confirm a guessed file). Each imported row carries ``external_ref`` on its own table.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow
from casework.models.case import Case
from casework.models.org import OrgUnit
from casework.models.user import User

IMPORT_STATUSES = ("completed", "failed")
IMPORT_MODES = ("all", "clean_only")
IMPORT_SOURCES = ("web", "cli")


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    # Keyed MAC of the uploaded file(s), hex (services/imports/auditing.py file_mac): tells
    # which batches came from the same file without an unkeyed hash of its content.
    file_mac: Mapped[str] = mapped_column(String(64), index=True)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_accepted: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    rows_existing: Mapped[int] = mapped_column(default=0)
    cases_created: Mapped[int] = mapped_column(default=0)
    needs_created: Mapped[int] = mapped_column(default=0)
    referrals_created: Mapped[int] = mapped_column(default=0)
    consents_created: Mapped[int] = mapped_column(default=0)
    transfers_created: Mapped[int] = mapped_column(default=0)
    closures_created: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str | None] = mapped_column(String(40))  # a class name, never a message

    user: Mapped[User] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.status}>"


class ImportIdentityCheck(Base):
    """How many identifying values (CCCD, phone, name and year of birth) a user's import dry
    runs looked up on one day (Vietnam's calendar), capped by
    ``CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY`` (services/imports/quota.py)."""

    __tablename__ = "import_identity_checks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    checked: Mapped[int] = mapped_column(default=0)


MATCH_OUTCOMES = ("same_woman", "different_women")


class ImportMatchReview(Base):
    """An imported case that may be a woman already on file outside the importer's scope.

    Found after the import (services/imports/review.py), never shown to the importer; a
    supervisor whose scope holds ``matched_case`` reviews it. ``kinds`` names the blind
    indexes that matched (comma-separated codes, no values).
    """

    __tablename__ = "import_match_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    matched_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kinds: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(20))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    batch: Mapped[ImportBatch] = relationship()
    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    matched_case: Mapped[Case] = relationship(foreign_keys=[matched_case_id])

    def __repr__(self) -> str:
        return f"<ImportMatchReview {self.id}>"
