"""The province's retention schedule and the supervisors' monthly decisions on what is due."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.db import Base, utcnow


class RetentionSchedule(Base):
    """One row (the province's schedule); the newest row is in force, older ones are history."""

    __tablename__ = "retention_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    closed_case_years: Mapped[int] = mapped_column(default=5)
    withdrawn_record_days: Mapped[int] = mapped_column(default=30)
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RetentionDecision(Base):
    """A supervisor's decision on one record due for erasure: erased, or kept this month."""

    __tablename__ = "retention_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # yyyy-mm
    decision: Mapped[str] = mapped_column(String(10))  # erase | keep
    reason_code: Mapped[str | None] = mapped_column(String(30))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
