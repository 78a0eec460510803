"""Consent per purpose (Decree 13 style): given, how, which text version, expiry, withdrawal."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.crypto import EncryptedSubjectMixin, encrypted
from casework.db import Base, utcnow
from casework.models.case import Case
from casework.models.user import User


class Consent(EncryptedSubjectMixin, Base):
    __tablename__ = "consents"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    service_category: Mapped[str | None] = mapped_column(String(30))  # for purpose "share"
    given_on: Mapped[date] = mapped_column()
    method: Mapped[str] = mapped_column(String(20))
    text_version: Mapped[str] = mapped_column(String(20))
    expires_on: Mapped[date | None] = mapped_column()
    withdrawn_on: Mapped[date | None] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_recorded_at: Mapped[datetime | None] = mapped_column()
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    # For purpose "share": which personal fields she agreed partners may see (comma-separated
    # names from casework.services.consents.SHAREABLE_FIELDS).
    shared_fields: Mapped[str] = mapped_column(
        String(200), default="full_name,phone", server_default="full_name,phone"
    )

    witness_name = encrypted(str)  # for verbal consent

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def is_valid_on(self, day: date) -> bool:
        """Given on or before ``day``, not expired and not withdrawn by then."""
        if self.given_on > day:
            return False
        if self.expires_on is not None and self.expires_on < day:
            return False
        return self.withdrawn_on is None or self.withdrawn_on > day
