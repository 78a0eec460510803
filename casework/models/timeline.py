"""Case notes (contacts, home visits, notes) and follow-up tasks: the caseworker's timeline.

Bodies are S+ data (free text about her life), encrypted under her data key.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.crypto import EncryptedSubjectMixin, encrypted
from casework.db import Base, utcnow
from casework.models.case import Case
from casework.models.user import User

NOTE_KINDS = ("note", "phone_call", "home_visit", "meeting")


class CaseNote(EncryptedSubjectMixin, Base):
    """A note, phone call, home visit or meeting on its effective date."""

    __tablename__ = "case_notes"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="note")
    effective_date: Mapped[date] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    body = encrypted(str)
    backdate_reason = encrypted(str)  # free text about a late entry: S+

    case: Mapped[Case] = relationship()
    author: Mapped[User | None] = relationship()


class FollowUp(EncryptedSubjectMixin, Base):
    """A task with a due date ("call her about the loan papers"); done when ``done_on`` is set."""

    __tablename__ = "follow_ups"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    due_on: Mapped[date] = mapped_column()
    done_on: Mapped[date | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    title = encrypted(str)

    case: Mapped[Case] = relationship()

    __table_args__ = (Index("ix_follow_ups_open_due", "done_on", "due_on"),)
