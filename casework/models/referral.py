"""Referrals: one need, one partner, a closed loop of statuses (see services/referral_flow.py).

The partner's copy of personal data (``shared_data``) holds only the fields chosen at sending,
within what she consented to; it is encrypted like every other personal field.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.crypto import EncryptedSubjectMixin, encrypted
from casework.db import Base, utcnow
from casework.models.case import Case
from casework.models.need import Need
from casework.models.provider import ServiceProvider
from casework.models.user import User

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_partner_reference() -> str:
    """A random reference partners and e-mails see instead of the case number (which names her
    commune): ``GT-`` and 8 base32 characters (40 random bits)."""
    return "GT-" + "".join(secrets.choice(_BASE32) for _ in range(8))


class Referral(EncryptedSubjectMixin, Base):
    __tablename__ = "referrals"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("needs.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("service_providers.id"), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # Effective dates, as people state them.
    referred_on: Mapped[date | None] = mapped_column()  # the day it was sent
    answered_on: Mapped[date | None] = mapped_column()  # accepted or declined
    uptake_on: Mapped[date | None] = mapped_column(index=True)  # the service started
    ended_on: Mapped[date | None] = mapped_column()  # completed, not completed or cancelled
    # Deadlines (effective dates computed from the provider's terms).
    response_due_on: Mapped[date | None] = mapped_column()
    uptake_due_on: Mapped[date | None] = mapped_column()
    # Recorded times and who.
    sent_at: Mapped[datetime | None] = mapped_column()
    uptake_confirmed_at: Mapped[datetime | None] = mapped_column()
    uptake_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # How the uptake became known (``casework.domain.UPTAKE_PROVENANCES``), and for a
    # caseworker's report how she knows it and the supervisor who verified it (DOMAIN.md,
    # "Uptake provenance": a caseworker report counts only once verified).
    uptake_provenance: Mapped[str | None] = mapped_column(String(20), index=True)
    uptake_evidence: Mapped[str | None] = mapped_column(String(20))
    uptake_verified_at: Mapped[datetime | None] = mapped_column()
    uptake_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A supervisor's review of a decline: None (not reviewed), "agreed" or "refer_elsewhere".
    review_outcome: Mapped[str | None] = mapped_column(String(20))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    # Reason and outcome codes (clear: M data).
    reason_code: Mapped[str | None] = mapped_column(String(40))
    outcome_code: Mapped[str | None] = mapped_column(String(40))
    shared_fields: Mapped[str] = mapped_column(String(200), default="")  # comma-separated names
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    # What partners and e-mails show: never the case number (its unit code names her commune).
    partner_reference: Mapped[str] = mapped_column(String(11), unique=True,
                                                   default=new_partner_reference)
    version: Mapped[int] = mapped_column(default=1)

    shared_data = encrypted(str)  # JSON of the shared fields' values at sending time

    case: Mapped[Case] = relationship()
    need: Mapped[Need] = relationship()
    provider: Mapped[ServiceProvider] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.recorded_at",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol
    __table_args__ = (Index("ix_referrals_provider_status", "provider_id", "status"),)

    def __repr__(self) -> str:  # no personal data, ever
        return f"<Referral {self.id} {self.status}>"


class ReferralEvent(EncryptedSubjectMixin, Base):
    """One transition: who, when (effective and recorded), which action, a reason and a note."""

    __tablename__ = "referral_events"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[date] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[str | None] = mapped_column(Text)  # codes and ids only

    note = encrypted(str)

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
