"""In-app notices: short, code-based messages for the people concerned by a referral.

A notice holds a kind code, a link path, the referral's partner reference and (for staff
only) a case number: never a name, phone or note, so the
same content can go out by e-mail (see services/notifications.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow
from casework.models.user import User


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    case_number: Mapped[str | None] = mapped_column(String(40))  # staff notices only
    reference: Mapped[str | None] = mapped_column(String(11))  # the referral's partner reference
    link: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    emailed_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind}>"
