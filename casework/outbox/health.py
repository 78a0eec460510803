"""The outbox seen from outside: a readiness check for a stalled worker, and queue counts for
the metrics. Neither reads a message's sealed address or link."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.db import utcnow
from casework.models.outbox import OutboxMessage
from casework.outbox import timing

WAITING = ("queued", "failed")
STATUSES = ("queued", "failed", "sent", "given_up", "digested")


def backlog_check(app: Flask) -> str | None:
    """Fail when messages have waited past their send time for longer than
    CASEWORK_OUTBOX_STALL_MINUTES outside quiet hours: no worker is sending (``flask outbox
    work`` or ``flask schedule run`` stopped). Without outside channels there is never a row."""
    from casework.extensions import db

    now = utcnow()
    if timing.quiet_until(now) is not None:
        return None  # messages wait for the morning on purpose
    stall = timedelta(minutes=int(app.config["CASEWORK_OUTBOX_STALL_MINUTES"]))
    late = db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.status.in_(WAITING), OutboxMessage.next_attempt_at < now - stall))
    if late:
        return f"{late} outside messages waiting longer than {stall}: is the outbox worker running?"
    return None


def queue_counts(session: Session) -> dict[str, int]:
    """Messages per status (every status listed, zero when none)."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in session.execute(select(OutboxMessage.status, func.count())
                                     .group_by(OutboxMessage.status)):
        counts[str(status)] = int(n)
    return counts
