"""Notices for the people a referral concerns: in-app always, and on the outside channels each
person chose (e-mail, SMS, Zalo) through the outbox.

Nothing personal leaves: an outside message names the kind of notice, the referral's partner
reference and a link to log in; never a name, phone, note, category or case number (a case
number's unit code names her commune). Partners' in-app notices carry the partner reference
only; staff notices may also carry the case number. Outside messages are outbox rows written
in the same transaction (a rolled-back action sends nothing) and sent by ``flask outbox work``;
a failing gateway is retried there and never breaks the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from casework import outbox
from casework.db import rows_affected, utcnow
from casework.extensions import db
from casework.models.notification import Notification
from casework.models.user import User

KINDS: dict[str, Any] = {
    "referral_received": _l("New referral received"),
    "referral_accepted": _l("Referral accepted"),
    "referral_declined": _l("Referral declined"),
    "referral_on_hold": _l("Referral put on hold"),
    "uptake_confirmed": _l("She started the service"),
    "referral_completed": _l("Service completed"),
    "referral_not_completed": _l("Service not completed"),
    "referral_cancelled": _l("Referral cancelled"),
    "decline_to_review": _l("A decline to review"),
    "review_agreed": _l("Supervisor agreed with the decline"),
    "review_refer_elsewhere": _l("Supervisor asks you to refer elsewhere"),
    "tipoff_overdue": _l("A tip-off or complaint is past its deadline"),
    # Reminders the schedule sends (services/reminders.py).
    "response_due_soon": _l("A referral needs your answer soon"),
    "response_overdue": _l("A referral is past its answer deadline"),
    "uptake_overdue": _l("An accepted referral has no confirmed start yet"),
    "follow_up_due": _l("A follow-up is due"),
    "escalation": _l("Overdue referrals in your unit"),
    # Partners without an account (issue 12): the link is never in the notice.
    "partner_link_created": _l("A one-time link was made for the partner: print her slip"),
    "uptake_reported": _l("A caseworker reported an uptake: verify it"),
    "uptake_verified": _l("Supervisor verified the reported uptake"),
    "uptake_rejected": _l("Supervisor did not verify the reported uptake"),
}


def notify(users: Iterable[User], kind: str, *, link: str, case_number: str | None,
           reference: str | None = None, referral_id: Any = None) -> list[Notification]:
    """Add one notice per distinct active user, and outbox messages on the channels she chose.

    ``case_number`` is kept for staff notices only (never for a partner user, never sent out);
    ``reference`` (the referral's partner reference) is what partners and messages show.
    """
    seen: set[int] = set()
    created = []
    for user in users:
        if user is None or not user.active or user.id in seen:
            continue
        seen.add(user.id)
        notice = Notification(user_id=user.id, kind=kind, link=link,
                              case_number=None if user.role == "partner" else case_number,
                              reference=reference, referral_id=referral_id)
        db.session.add(notice)
        created.append(notice)
        messages = outbox.to_user(user, kind, reference=reference, link=link)
        if any(m.channel == "email" for m in messages):
            notice.emailed_at = utcnow()
    db.session.flush()
    return created


# --- Reading -----------------------------------------------------------------------------------

def for_user(user: User, *, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc())
        .limit(limit)))


def unread_count(user: User) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0)


def unread_for(user: User, *, limit: int = 10) -> list[Notification]:
    """The user's unread notices, newest first (the worklist's "partner answers" section)."""
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc()).limit(limit)))


def mark_read_for_referral(user: User | Any, referral_id: Any) -> int:
    """Mark ``user``'s unread notices about one referral read (she opened or acted on it)."""
    if user is None or not getattr(user, "id", None):
        return 0
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.referral_id == referral_id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return rows_affected(result)


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return rows_affected(result)


def label(kind: str) -> Any:
    return KINDS.get(kind, kind)
