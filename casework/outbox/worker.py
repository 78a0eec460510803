"""The outbox worker: claim due messages, send them through their channel, retry with
exponential back-off, give up after a few tries; fold a busy day's messages into one digest.

The database is the queue. A worker claims a row with a conditional UPDATE (status due, not
claimed or its lease run out) and a random token, in its own short transaction, so two workers
(threads, processes or machines) never send one message twice, on SQLite and PostgreSQL alike.
During quiet hours nothing is sent. Logs name a message by id, status and error code only:
never an address, a body or a link.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from casework import audit
from casework.db import rows_affected, utcnow
from casework.extensions import db
from casework.models.outbox import OutboxMessage
from casework.models.user import User
from casework.outbox import channels, contacts, timing
from casework.outbox.queue import _message, unseal
from casework.outbox.render import render
from casework.services.errors import DomainError

log = logging.getLogger("casework.outbox")
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
DUE_STATUSES = ("queued", "failed")


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    digested: int = 0
    quiet: bool = False

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.given_up


def _cfg(name: str) -> int:
    return int(current_app.config[f"CASEWORK_{name}"])


def _unclaimed(now: datetime) -> Any:
    return or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)


def work_once(*, batch: int = 100, now: datetime | None = None) -> Report:
    """Send what is due now (at most ``batch`` messages); commits as it goes."""
    now = now or utcnow()
    report = Report()
    if timing.quiet_until(now) is not None:
        report.quiet = True
        return report
    _fold_digests(now, report)
    for message_id, token in _claim(now, batch):
        _deliver(message_id, token, report)
    return report


def drain(*, batch: int = 100) -> Report:
    """Run :func:`work_once` until nothing more is due (``flask outbox work --once``)."""
    total = Report()
    while True:
        step = work_once(batch=batch)
        total.sent += step.sent
        total.failed += step.failed
        total.given_up += step.given_up
        total.digested += step.digested
        total.quiet = step.quiet
        if step.handled == 0:
            return total


def run(*, interval: float, should_stop: Callable[[], bool]) -> None:
    """The long-running worker: drain, wait ``interval`` seconds, again, until told to stop."""
    while not should_stop():
        report = drain()
        if report.handled:
            log.info("outbox: %d sent, %d failed, %d given up", report.sent, report.failed,
                     report.given_up)
        db.session.remove()
        waited = 0.0
        while waited < interval and not should_stop():
            time.sleep(min(1.0, interval))
            waited += 1.0


# --- Claiming ---------------------------------------------------------------------------------

def _claim(now: datetime, batch: int) -> list[tuple[uuid.UUID, str]]:
    due = list(db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status.in_(DUE_STATUSES),
                                       OutboxMessage.next_attempt_at <= now, _unclaimed(now))
        .order_by(OutboxMessage.next_attempt_at).limit(batch)))
    # End the read before writing: each claim is a transaction that starts with its UPDATE
    # (SQLite would refuse to upgrade a read snapshot that another worker's commit made stale).
    db.session.rollback()
    claimed = []
    for message_id in due:
        token = secrets.token_hex(16)
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(DUE_STATUSES),
                   OutboxMessage.next_attempt_at <= now, _unclaimed(now))
            .values(claimed_until=now + LEASE, claim_token=token)
            .execution_options(synchronize_session=False))
        db.session.commit()
        if rows_affected(result) == 1:
            claimed.append((message_id, token))
    return claimed


# --- Sending ----------------------------------------------------------------------------------

def _home_link(user: User | None) -> str:
    return "/partner/" if user is not None and user.role == "partner" else "/referrals/notices"


def _outgoing(message: OutboxMessage) -> channels.Outgoing | None:
    """What to send, or None when there is no address any more (she removed it)."""
    user = db.session.get(User, message.user_id) if message.user_id else None
    if message.user_id is not None:
        if user is None or not user.active:
            return None
        address = contacts.address_for(user, message.channel)
    else:
        address = unseal(message.id, "address", message.address_sealed)
    if not address:
        return None
    link = unseal(message.id, "link", message.link_sealed)
    references: tuple[str, ...] = ()
    if message.kind == "digest":
        references = tuple(r for r in db.session.scalars(
            select(OutboxMessage.reference).where(OutboxMessage.digest_id == message.id)
            .order_by(OutboxMessage.created_at)) if r)
        link = None
    text = render(message.kind, message.reference, link or _home_link(user), message.locale,
                  references)
    return channels.Outgoing(channel=message.channel, address=address, subject=text.subject,
                             body=text.body, short=text.short, title=text.title, url=text.url,
                             reference=message.reference, tracking_id=str(message.id))


def _deliver(message_id: uuid.UUID, token: str, report: Report) -> None:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.claim_token != token:
        return
    outgoing = _outgoing(message)
    outcome = (channels.send(outgoing, current_app.config) if outgoing is not None
               else channels.Outcome(sent=False, error="no_address"))
    _settle(message, token, outcome, report)


def backoff(attempts: int, retry_after: int | None = None) -> timedelta:
    """The wait before try ``attempts + 1``: the first wait doubled each time, at most 6 hours,
    never shorter than the gateway's Retry-After."""
    first = _cfg("OUTBOX_RETRY_SECONDS")
    wait = min(timedelta(seconds=first * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return max(wait, timedelta(seconds=retry_after or 0))


def _settle(message: OutboxMessage, token: str, outcome: channels.Outcome,
            report: Report) -> None:
    now = utcnow()
    attempts = message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claimed_until": None, "claim_token": None,
                              "last_error": outcome.error or None}
    if outcome.sent:
        values.update(status="sent", sent_at=now, link_sealed=None, address_sealed=None)
        report.sent += 1
    elif outcome.retry and attempts < _cfg("OUTBOX_MAX_ATTEMPTS"):
        values.update(status="failed",
                      next_attempt_at=timing.allowed_from(now + backoff(attempts,
                                                                        outcome.retry_after)))
        report.failed += 1
    else:
        values.update(status="given_up", given_up_at=now, link_sealed=None, address_sealed=None)
        report.given_up += 1
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == token)
        .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()
    log.info("outbox message %s %s %s", message.id, values["status"], outcome.error or "")


# --- Daily digest -----------------------------------------------------------------------------

def _fold_digests(now: datetime, report: Report) -> None:
    """Fold a recipient's due messages on one channel into one digest when she chose a daily
    digest, or when the day's messages would pass CASEWORK_OUTBOX_DIGEST_AFTER. After that
    day's digest, later messages wait for the next morning."""
    limit = _cfg("OUTBOX_DIGEST_AFTER")
    day_start = timing.local_day_start(now)
    foldable = (OutboxMessage.status == "queued", OutboxMessage.attempts == 0,
                OutboxMessage.kind != "digest", OutboxMessage.user_id.is_not(None),
                OutboxMessage.next_attempt_at <= now, _unclaimed(now))
    groups = db.session.execute(
        select(OutboxMessage.user_id, OutboxMessage.channel, func.count())
        .where(*foldable).group_by(OutboxMessage.user_id, OutboxMessage.channel)).all()
    db.session.rollback()
    for user_id, channel, due in groups:
        user = db.session.get(User, user_id)
        if user is None:
            continue
        mine = (OutboxMessage.user_id == user_id, OutboxMessage.channel == channel)
        sent_today = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            *mine, OutboxMessage.status == "sent", OutboxMessage.sent_at >= day_start)) or 0
        chose_digest = contacts.preferences(user).digest
        if not ((chose_digest and due > 1) or sent_today + due > limit):
            db.session.rollback()
            continue
        had_digest = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            *mine, OutboxMessage.kind == "digest", OutboxMessage.created_at >= day_start)) or 0
        db.session.rollback()
        if had_digest and not chose_digest:  # one digest a day: the rest wait for tomorrow
            db.session.execute(
                update(OutboxMessage).where(*foldable, *mine)
                .values(next_attempt_at=timing.allowed_from(day_start + timedelta(days=1)))
                .execution_options(synchronize_session=False))
            db.session.commit()
            continue
        digest = _message(channel, "digest", reference=None, link=None,
                          locale=user.language or "vi", user=user)
        digest.next_attempt_at = now
        db.session.flush()
        folded = rows_affected(db.session.execute(
            update(OutboxMessage).where(*foldable, *mine)
            .values(status="digested", digest_id=digest.id, link_sealed=None)
            .execution_options(synchronize_session=False)))
        if folded == 0:
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id == digest.id))
        report.digested += folded
        db.session.commit()


# --- Admin ------------------------------------------------------------------------------------

def problems(*, limit: int = 200) -> list[OutboxMessage]:
    """Messages that failed (and will retry) or were given up, newest first."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status.in_(("failed", "given_up")))
        .order_by(OutboxMessage.created_at.desc()).limit(limit)))


def counts() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count())
                              .group_by(OutboxMessage.status)).all()
    return {status: int(n) for status, n in rows}


def retry(message: OutboxMessage, *, actor: Any) -> None:
    """Queue a failed or given-up message again (an admin's action after fixing a gateway).

    Raises DomainError for a message that was sent, or one to a contact whose address and
    link were cleared when it was given up (a new link has to be issued instead)."""
    if message.status not in ("failed", "given_up"):
        raise DomainError(_l("Only failed or given-up messages can be sent again."))
    if message.user_id is None and message.address_sealed is None:
        raise DomainError(_l("This message's address and link were cleared when it was given "
                             "up; issue a new link to the partner instead."))
    message.status = "queued"
    message.attempts = 0
    message.given_up_at = None
    message.claimed_until = None
    message.claim_token = None
    message.next_attempt_at = timing.allowed_from(utcnow())
    audit.record("outbox.retry", target_type="outbox_message", target_id=message.id,
                 actor=actor, details={"channel": message.channel, "kind": message.kind})
    db.session.flush()
