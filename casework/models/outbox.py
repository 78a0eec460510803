"""The outbox: messages to people by e-mail, SMS and Zalo, the recipients' channel choices,
and the reminders the schedule has sent.

A message carries a kind code, a reference and a link, never a name, phone or service detail
(SECURITY.md, "Messages, links and outside channels"). The link and, for people without an
account, the address are sealed with the app key (``casework.crypto.app_seal``) and cleared
once the message is sent or given up. The database is the queue: the worker claims rows with
a conditional UPDATE (``casework/outbox/worker.py``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.db import Base, utcnow

CHANNELS = ("email", "sms", "zalo")
STATUSES = ("queued", "sent", "failed", "given_up", "digested")


class OutboxMessage(Base):
    """One message on one channel to one person (an account holder, or a contact address).

    Statuses: ``queued`` (waiting for its time), ``sent``, ``failed`` (will retry at
    ``next_attempt_at``), ``given_up`` (no more tries; shown to admins), ``digested`` (folded
    into the daily digest ``digest_id``, which is sent instead).
    """

    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    channel: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Sealed with the app key, bound to this row's id; cleared once sent or given up.
    address_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    link_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(60))  # a code, never a body
    digest_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox_messages.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    given_up_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_outbox_messages_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_user_channel", "user_id", "channel", "created_at"),
        CheckConstraint("channel IN ('email', 'sms', 'zalo')", name="channel_known"),
        CheckConstraint("status IN ('queued', 'sent', 'failed', 'given_up', 'digested')",
                        name="status_known"),
    )

    def __repr__(self) -> str:  # nothing personal, no link
        return f"<OutboxMessage {self.id} {self.channel} {self.kind} {self.status}>"


class ContactPreference(Base):
    """Where and how one account holder wants messages: her own phone and Zalo number (sealed:
    a staff member's work phone is personal data too), the channels chosen, the daily digest.

    Without a row, a user with an e-mail address gets e-mail (the behaviour before channels).
    """

    __tablename__ = "contact_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    zalo_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    channels: Mapped[str] = mapped_column(String(40), default="")  # comma-separated
    digest: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReminderSent(Base):
    """One reminder the schedule sent: its key (kind, referral or task, due day) is unique, so
    a reminder fires once however often, and however many at once, the schedule runs."""

    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    follow_up_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("follow_ups.id"))
    due_on: Mapped[date] = mapped_column()
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
