"""Needs for services: they make a woman eligible for target 5 while open."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.crypto import EncryptedSubjectMixin, encrypted
from casework.db import Base, utcnow
from casework.models.case import Case, LateEntryReason


class Need(EncryptedSubjectMixin, Base):
    __tablename__ = "needs"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    status: Mapped[str] = mapped_column(String(20), default="identified")
    identified_on: Mapped[date] = mapped_column()  # effective date
    ended_on: Mapped[date | None] = mapped_column()  # effective; set when declined/no longer needed
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    note = encrypted(str)

    case: Mapped[Case] = relationship()
    events: Mapped[list[NeedEvent]] = relationship(
        back_populates="need", order_by="NeedEvent.recorded_at", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol
    __table_args__ = (Index("ix_needs_dates", "identified_on", "ended_on"),)


class NeedEvent(Base):
    """A change of a need's status, with its effective date (the denominator's history)."""

    __tablename__ = "need_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("needs.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[date] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(40))  # a code only (referral_declined...)
    # A late entry's free-text reason lives encrypted in LateEntryReason.
    late_reason_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("late_entry_reasons.id"))

    need: Mapped[Need] = relationship(back_populates="events")
    late_reason: Mapped[LateEntryReason | None] = relationship()
