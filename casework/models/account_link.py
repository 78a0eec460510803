"""One-time account links: a set-password link an administrator hands to the account's owner.

The token (256 random bits) is in the link only; the row keeps its SHA-256 taken together with
the purpose, so a token is good for one purpose and one user, once, until it expires or a newer
link for the same user replaces it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow
from casework.models.user import User

SET_PASSWORD = "set_password"  # noqa: S105 - a purpose name, not a password
PURPOSES = (SET_PASSWORD,)


class AccountLink(Base):
    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    voided_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (CheckConstraint("purpose IN ('set_password')", name="purpose_known"),)

    def __repr__(self) -> str:
        return f"<AccountLink {self.id} {self.purpose} user={self.user_id}>"
