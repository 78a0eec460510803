"""Supervision records: outcome-audit samples and verdicts, and sign-offs of a unit's period.

A sign-off keeps the figures as they were signed (a JSON snapshot of counts and unit ids: no
personal data), so later corrections show up as amendments instead of silently changing a
report that was sent on.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.crypto import EncryptedSubjectMixin, encrypted
from casework.db import Base, utcnow
from casework.models.case import CaseCustody, CaseEpisode
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral
from casework.models.user import User

VERIFICATION_STATUSES = ("pending", "verified", "disputed")

# Covering indexes the target-5 definition (casework/indicators/definition.py) reads the facts
# through, declared here against the other areas' tables (migration 0006 creates them).
INDICATOR_INDEXES = (
    Index("ix_case_episodes_case_dates", CaseEpisode.__table__.c.case_id,
          CaseEpisode.__table__.c.opened_on, CaseEpisode.__table__.c.closed_on),
    Index("ix_case_custody_case_dates", CaseCustody.__table__.c.case_id,
          CaseCustody.__table__.c.from_date, CaseCustody.__table__.c.to_date,
          CaseCustody.__table__.c.org_unit_id),
    Index("ix_needs_case_facts", Need.__table__.c.case_id, Need.__table__.c.identified_on,
          Need.__table__.c.ended_on, Need.__table__.c.category, Need.__table__.c.id),
    Index("ix_referrals_need_facts", Referral.__table__.c.need_id, Referral.__table__.c.status,
          Referral.__table__.c.referred_on, Referral.__table__.c.uptake_on,
          Referral.__table__.c.provider_id),
)


class OutcomeSample(Base):
    """A random draw of confirmed uptakes of one partner in one period, within a unit's scope."""

    __tablename__ = "outcome_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("service_providers.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(24))
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    requested_size: Mapped[int] = mapped_column()
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)

    provider: Mapped[ServiceProvider] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()
    drawn_by: Mapped[User | None] = relationship()
    items: Mapped[list[UptakeVerification]] = relationship(
        back_populates="sample", cascade="all, delete-orphan",
        order_by="UptakeVerification.position",
    )


class UptakeVerification(EncryptedSubjectMixin, Base):
    """A supervisor's verdict on one partner-confirmed uptake; the note is encrypted (S+)."""

    __tablename__ = "uptake_verifications"
    __table_args__ = (UniqueConstraint("sample_id", "referral_id"),)

    sample_id: Mapped[int] = mapped_column(ForeignKey("outcome_samples.id"), index=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column()

    note = encrypted(str)

    sample: Mapped[OutcomeSample] = relationship(back_populates="items")
    referral: Mapped[Referral] = relationship()
    checked_by: Mapped[User | None] = relationship()


class PeriodSignOff(Base):
    """A supervisor's sign-off of one unit's period: the figures are locked as signed."""

    __tablename__ = "period_sign_offs"
    __table_args__ = (UniqueConstraint("org_unit_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(24))
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    snapshot: Mapped[str] = mapped_column(Text)  # JSON from Indicator.snapshot()
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
    signed_by: Mapped[User | None] = relationship()
