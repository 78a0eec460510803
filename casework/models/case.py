"""A woman's case: encrypted identity and story, clear analytical fields, custody and episodes.

Effective dates (what a person states happened, e.g. the intake date) live beside recorded
times (what the system saw). Indicators use effective dates; the audit trail uses recorded times.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.crypto import (
    EncryptedSubjectMixin,
    encrypted,
    name_year_index,
    national_id_index,
    phone_index,
)
from casework.db import Base, utcnow
from casework.models.org import OrgUnit
from casework.models.user import User


class Case(EncryptedSubjectMixin, Base):
    __tablename__ = "cases"
    __blind_indexes__ = (name_year_index(), phone_index(), national_id_index())
    __table_args__ = (
        # The case list of a unit, in its order, one page at a time (migration 0019_perf).
        Index("ix_cases_list", "org_unit_id", "status", "created_at"),
    )

    # Clear analytical fields: they identify no one and reports need them.
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    group: Mapped[str] = mapped_column(String(30), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    intake_date: Mapped[date] = mapped_column()
    birth_year_band: Mapped[str | None] = mapped_column(String(9))
    referral_source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | closed
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    # Encrypted personal fields (S: identity; S+: story). Stored in ``<name>_enc`` columns.
    full_name = encrypted(str)
    given_name = encrypted(str)  # derived from full_name; lists decrypt only this
    other_names = encrypted(str)
    date_of_birth = encrypted(date)
    national_id = encrypted(str)
    phone = encrypted(str)
    address = encrypted(str)
    family_situation = encrypted(str)
    history = encrypted(str)

    org_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User | None] = relationship()
    episodes: Mapped[list[CaseEpisode]] = relationship(
        back_populates="case", order_by="CaseEpisode.opened_on", cascade="all, delete-orphan"
    )
    custody: Mapped[list[CaseCustody]] = relationship(
        back_populates="case", order_by="CaseCustody.from_date", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol

    def __repr__(self) -> str:  # no personal data, ever
        return f"<Case {self.case_number}>"


class CaseEpisode(Base):
    """One open interval of a case: intake (or reopening) to closure. Indicators read these."""

    __tablename__ = "case_episodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    opened_on: Mapped[date] = mapped_column()
    closed_on: Mapped[date | None] = mapped_column()
    close_reason: Mapped[str | None] = mapped_column(String(30))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="episodes")

    __table_args__ = (Index("ix_case_episodes_dates", "opened_on", "closed_on"),)


class CaseCustody(Base):
    """Which unit held the case from when to when (effective dates); transfers add rows."""

    __tablename__ = "case_custody"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    from_date: Mapped[date] = mapped_column()
    to_date: Mapped[date | None] = mapped_column()  # exclusive; None while held
    reason: Mapped[str] = mapped_column(String(20), default="intake")  # intake|transfer|merge
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(back_populates="custody")
    org_unit: Mapped[OrgUnit] = relationship()


class CaseNumberCounter(Base):
    """The last sequence number given per unit and year (case numbers: UNIT-YEAR-0001)."""

    __tablename__ = "case_number_counters"

    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class LateEntryReason(EncryptedSubjectMixin, Base):
    """The free-text reason given for a late ("backdated") entry: S+ text, encrypted under her
    data key, so it is unreadable after erasure. Events point at it by ``late_reason_id``."""

    __tablename__ = "late_entry_reasons"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    reason = encrypted(str)

    def __repr__(self) -> str:  # no personal data, ever
        return f"<LateEntryReason {self.id}>"


class CaseEvent(Base):
    """A timeline entry without personal content: status changes, transfers, consent, merges.

    ``details`` is a short JSON object of codes and ids only (never names, phones or notes).
    A late entry's free-text reason is a :class:`LateEntryReason` (encrypted), never a column
    here: ``backdate_reason`` is kept only so older bulk writers' ``None`` still fits, and the
    database refuses any other value.
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    effective_date: Mapped[date] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    backdate_reason: Mapped[str | None] = mapped_column(String(200))  # always NULL (see above)
    late_reason_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("late_entry_reasons.id"))
    details: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()
    late_reason: Mapped[LateEntryReason | None] = relationship()

    __table_args__ = (CheckConstraint("backdate_reason IS NULL", name="no_clear_reason"),)
