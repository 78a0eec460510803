"""Target 6: tip-offs about crimes and complaints (DOMAIN.md "Target 6").

Each item has its own subject row (its own random data key), so the reporter's identity, the
persons named, the summary and every free-text note are encrypted exactly like a woman's
fields, and one item can be crypto-erased alone. The summary is encrypted too: a tip-off's
story names places, people and relationships that identify the reporter or the persons named
(SECURITY.md class S+: free-text narrative). Only the reporter's contact carries a blind index
(duplicates from the same caller are found by phone); names and stories are never indexed.

Clear columns are codes and dates (class M/L): the channel, the class, the handling, the
police office's name, and the effective dates the indicator reads.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.crypto import EncryptedSubjectMixin, encrypted, phone_index
from casework.db import Base, utcnow
from casework.models.org import OrgUnit
from casework.models.user import User


class TipOff(EncryptedSubjectMixin, Base):
    """One tip-off or complaint; ``org_unit_id`` is the unit holding it now."""

    __tablename__ = "tipoffs"
    __blind_indexes__ = (phone_index("reporter_contact", name="reporter_contact"),)

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    received_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column()  # stated time of receipt (UTC)
    received_on: Mapped[date] = mapped_column(index=True)  # its local calendar day
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    not_to_be_named: Mapped[bool] = mapped_column(default=False)
    # verification and classification (effective dates)
    verified_on: Mapped[date | None] = mapped_column()
    classification: Mapped[str | None] = mapped_column(String(30))
    classified_on: Mapped[date | None] = mapped_column()
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tipoffs.id"))
    # handling
    handling: Mapped[str | None] = mapped_column(String(30))
    handled_on: Mapped[date | None] = mapped_column(index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    receipt_hash: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    # Encrypted under the item's own data key.
    reporter_name = encrypted(str)
    reporter_contact = encrypted(str)
    persons_named = encrypted(str)
    summary = encrypted(str)

    org_unit: Mapped[OrgUnit] = relationship(foreign_keys=[org_unit_id])
    received_unit: Mapped[OrgUnit] = relationship(foreign_keys=[received_unit_id])
    received_by: Mapped[User | None] = relationship()
    duplicate_of: Mapped[TipOff | None] = relationship(remote_side="TipOff.id")
    events: Mapped[list[TipOffEvent]] = relationship(
        back_populates="tipoff", order_by="(TipOffEvent.effective_date, TipOffEvent.recorded_at)",
        cascade="all, delete-orphan")
    custody: Mapped[list[TipOffCustody]] = relationship(
        back_populates="tipoff", order_by="TipOffCustody.from_date", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol

    def __repr__(self) -> str:  # no personal data, ever
        return f"<TipOff {self.reference}>"


class TipOffEvent(EncryptedSubjectMixin, Base):
    """One step of an item's life, with actor, effective date and an encrypted note.

    ``details`` is a short JSON object of codes, ids, dates and the receiving office's name
    (an institution, never a person).
    """

    __tablename__ = "tipoff_events"

    tipoff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tipoffs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    effective_date: Mapped[date] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    details: Mapped[str | None] = mapped_column(Text)

    note = encrypted(str)

    tipoff: Mapped[TipOff] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TipOffEvent {self.kind}>"


class TipOffCustody(Base):
    """Which unit held the item from when (effective dates; ``to_date`` exclusive)."""

    __tablename__ = "tipoff_custody"

    id: Mapped[int] = mapped_column(primary_key=True)
    tipoff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tipoffs.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    from_date: Mapped[date] = mapped_column()
    to_date: Mapped[date | None] = mapped_column()

    tipoff: Mapped[TipOff] = relationship(back_populates="custody")
    org_unit: Mapped[OrgUnit] = relationship()


class TipOffSettings(Base):
    """The province's handling deadlines (one row; DOMAIN.md defaults)."""

    __tablename__ = "tipoff_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    crime_working_days: Mapped[int] = mapped_column(default=1)
    classify_days: Mapped[int] = mapped_column(default=10)
    settle_days: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("crime_working_days BETWEEN 1 AND 60", name="crime_days_range"),
        CheckConstraint("classify_days BETWEEN 1 AND 365", name="classify_days_range"),
        CheckConstraint("settle_days BETWEEN 1 AND 365", name="settle_days_range"),
    )


class PublicHoliday(Base):
    """A public holiday the province entered: not a working day."""

    __tablename__ = "public_holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column()
    name: Mapped[str] = mapped_column(String(120))

    __table_args__ = (UniqueConstraint("day"),)
