"""One-time form tokens: a create form submitted twice (back, then submit again; a double tap)
saves once. A row is written in the same transaction as what the form created."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.db import Base, utcnow


class UsedFormToken(Base):
    __tablename__ = "used_form_tokens"

    # SHA-256 of the token, hex: the page's token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Where the first submission led (a path with ids only, never personal data).
    target: Mapped[str | None] = mapped_column(String(200))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<UsedFormToken {self.token_hash[:8]}>"
