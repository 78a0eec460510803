"""One-time partner links: how a partner without an account answers one referral.

A link is a capability: 256 random bits in the URL, kept only as a keyed digest
(``crypto.hash_token``), bound to one referral and one purpose, expiring, good once per
action, and showing her data only after the second proof, the code printed on the slip she
carries (kept only as a keyed digest too). Wrong codes are counted; a few lock the link.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow
from casework.models.referral import Referral

RESPOND = "respond"  # the one purpose: answer this referral (accept, decline, hold, uptake)
PURPOSES = (RESPOND,)
# How the link reached the partner: by a message (the provider's preferred channel), copied by
# the caseworker into a chat herself, or printed as a QR code on the woman's slip.
LINK_CHANNELS = ("sms", "zalo", "email", "copy", "slip")
MESSAGE_CHANNELS = ("sms", "zalo", "email")


class PartnerLink(Base):
    __tablename__ = "partner_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default=RESPOND)
    channel: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(80), unique=True)
    # The slip code's keyed digest (None until a slip is printed: no code opens it then).
    code_hash: Mapped[str | None] = mapped_column(String(80))
    failed_codes: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column()
    # After the right code: a random key (digest here, the key in the page's forms) that lets
    # the same person act for a few minutes without typing the code again.
    view_key_hash: Mapped[str | None] = mapped_column(String(80))
    view_until: Mapped[datetime | None] = mapped_column()
    used_actions: Mapped[str] = mapped_column(String(120), default="")  # comma-separated
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    referral: Mapped[Referral] = relationship()

    __table_args__ = (
        CheckConstraint("purpose IN ('respond')", name="purpose_known"),
        CheckConstraint("channel IN ('sms', 'zalo', 'email', 'copy', 'slip')",
                        name="channel_known"),
    )

    @property
    def actions_used(self) -> set[str]:
        return {a for a in self.used_actions.split(",") if a}

    def __repr__(self) -> str:  # never the token, never the code
        return f"<PartnerLink {self.id} {self.channel} referral={self.referral_id}>"


@dataclass(frozen=True)
class LinkActor:
    """Who acts through a link: no user, the link's identity (recorded on the event and audit).

    ``authz.referral_side`` puts it on the partner side of its own referral only.
    """

    link_id: int
    referral_id: uuid.UUID
    provider_id: int
    id: None = None
    role: str = "partner_link"
    org_unit_id: None = None
    active: bool = True
    is_authenticated: bool = False
