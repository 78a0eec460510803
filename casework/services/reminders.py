"""Reminders and escalation, run by ``flask schedule run`` (cron or a systemd timer).

What is sent, on day ``D`` (today in Vietnam):

* ``response_due_soon`` to the partner's accounts: a sent referral whose answer is due within
  CASEWORK_REMIND_BEFORE_DAYS days (on its due day at the latest); a provider without an
  account gets, for this and the partner's reminders below, a fresh one-time link on its
  channel (the slip code unchanged), when the channel is set up;
* ``response_overdue`` to the partner's accounts and the caseworker: a sent referral past its
  response deadline (the overdue rule of :func:`referrals.overdue_filter`);
* ``uptake_overdue`` to the partner's accounts and the caseworker: an accepted (or on hold)
  referral with no uptake after its follow-up date;
* ``follow_up_due`` to the caseworker who set it: an open follow-up task due today or before;
* ``escalation`` to the supervisors of the case's unit (and above): a referral overdue for
  CASEWORK_ESCALATE_AFTER_DAYS days or more;
* ``tipoff_overdue`` to the caseworkers of the unit holding a tip-off or complaint and the
  supervisors above it: an item past its handling deadline and not handled (target 6's rule,
  :func:`casework.tipoffs.indicator.overdue_items`); the notice names its reference only.

Each reminder fires once: its key (kind, referral or task, due day) is a unique row in
``reminders_sent``, written in the same transaction as its notices and outbox messages. Two runs
at once cannot both write it (the second is refused and skips), and a run after a gap sends
each reminder still due once, not once per missed day; a deadline that moves makes a new key.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from casework.extensions import db
from casework.models.case import Case
from casework.models.org import OrgUnit
from casework.models.outbox import ReminderSent
from casework.models.referral import Referral
from casework.models.timeline import FollowUp
from casework.models.user import User
from casework.services import notifications, partner_links, referrals
from casework.services.effective_dates import today
from casework.tipoffs.indicator import overdue_items

log = logging.getLogger("casework.reminders")


@dataclass(frozen=True)
class Due:
    """One reminder that may be due: its unique key and whom it goes to."""

    key: str
    kind: str
    due_on: date
    users: tuple[User, ...]
    link: str
    case_number: str | None
    reference: str | None
    referral_id: uuid.UUID | None = None
    follow_up_id: uuid.UUID | None = None
    # A partner-side referral reminder: with no partner account, its contact person gets a
    # fresh one-time link instead (partner_links.remind_contact).
    contact: Referral | None = None


def _cfg(name: str) -> int:
    return int(current_app.config[f"CASEWORK_{name}"])


def _referral_reminders(day: date) -> Iterator[Due]:
    soon = _cfg("REMIND_BEFORE_DAYS")
    escalate = _cfg("ESCALATE_AFTER_DAYS")
    rows = db.session.scalars(
        select(Referral).options(selectinload(Referral.case), selectinload(Referral.provider))
        .where(or_(and_(Referral.status == "sent",
                        Referral.response_due_on <= day + timedelta(days=soon)),
                   referrals.overdue_filter(day))))
    for referral in rows:
        case = referral.case
        if case.status != "open":
            continue
        staff_link, partner_link = f"/referrals/{referral.id}", f"/partner/referrals/{referral.id}"
        ref, rid = referral.partner_reference, referral.id
        overdue = referrals.is_overdue(referral, day)  # THE overdue rule, as on the worklist
        if referral.status == "sent":
            due_on = referral.response_due_on
            kind = "response_overdue" if overdue else "response_due_soon"
        elif overdue:
            due_on, kind = referral.uptake_due_on, "uptake_overdue"
        else:
            continue
        if due_on is None:
            continue
        yield Due(f"{kind}:{referral.id}:{due_on}:partner", kind, due_on,
                  tuple(referrals.partner_users(referral)), partner_link, None,
                  reference=ref, referral_id=rid, contact=referral)
        if kind != "response_due_soon":
            yield Due(f"{kind}:{referral.id}:{due_on}:caseworker", kind, due_on,
                      tuple(referrals.caseworkers(referral)), staff_link, case.case_number,
                      reference=ref, referral_id=rid)
        if due_on < day and (day - due_on).days >= escalate:
            yield Due(f"escalation:{referral.id}:{due_on}", "escalation", due_on,
                      tuple(referrals.supervisors(referral)), staff_link, case.case_number,
                      reference=ref, referral_id=rid)


def _follow_up_reminders(day: date) -> Iterator[Due]:
    rows = db.session.execute(
        select(FollowUp, Case).join(Case, Case.id == FollowUp.case_id)
        .where(FollowUp.done_on.is_(None), FollowUp.due_on <= day, Case.status == "open",
               FollowUp.created_by_id.is_not(None)))
    for task, case in rows:
        author = db.session.get(User, task.created_by_id)
        if author is None:
            continue
        yield Due(f"follow_up_due:{task.id}:{task.due_on}", "follow_up_due", task.due_on,
                  (author,), f"/cases/{case.id}#follow-ups", case.case_number, None,
                  follow_up_id=task.id)


def _tipoff_reminders(day: date) -> Iterator[Due]:
    items = overdue_items(day)
    if not items:
        return
    units = {u.id: u for u in db.session.scalars(select(OrgUnit))}
    staff = db.session.scalars(select(User).where(
        User.active.is_(True), User.role.in_(("caseworker", "supervisor")),
        User.org_unit_id.is_not(None))).all()
    for item in items:
        unit = units[item.org_unit_id]
        users = tuple(u for u in staff if (u.role == "caseworker" and u.org_unit_id == unit.id)
                      or (u.role == "supervisor" and u.org_unit is not None
                          and unit.is_within(u.org_unit)))
        yield Due(f"tipoff_overdue:{item.id}:{item.deadline}", "tipoff_overdue", item.deadline,
                  users, f"/tipoffs/{item.id}", None, reference=item.reference)


def due_reminders(day: date) -> list[Due]:
    """Every reminder due on ``day`` that was not sent yet (without sending it)."""
    found = [*_referral_reminders(day), *_follow_up_reminders(day), *_tipoff_reminders(day)]
    keys = [d.key for d in found]
    sent: set[str] = set()
    for start in range(0, len(keys), 500):
        sent.update(db.session.scalars(select(ReminderSent.key)
                                       .where(ReminderSent.key.in_(keys[start:start + 500]))))
    return [d for d in found if d.key not in sent
            and (any(u.active for u in d.users) or d.contact is not None)]


def run(day: date | None = None) -> Counter[str]:
    """Send every reminder due on ``day`` (default today), each in its own transaction;
    answers how many of each kind this run sent."""
    day = day or today()
    counts: Counter[str] = Counter()
    plan = due_reminders(day)
    db.session.rollback()
    for item in plan:
        if _fire(item):
            counts[item.kind] += 1
    return counts


def _fire(item: Due) -> bool:
    """Record the key, the notices and the outbox messages together; False when another run
    recorded it first (then nothing of this one is kept)."""
    try:
        db.session.add(ReminderSent(key=item.key, kind=item.kind, due_on=item.due_on,
                                    referral_id=item.referral_id,
                                    follow_up_id=item.follow_up_id,
                                    recipients=len(item.users)))
        db.session.flush()
        delivered = bool(notifications.notify(
            item.users, item.kind, link=item.link, case_number=item.case_number,
            reference=item.reference, referral_id=item.referral_id))
        if not delivered and item.contact is not None:
            delivered = partner_links.remind_contact(item.contact, item.kind)
        if not delivered:  # nobody to tell (no account, no channel): try again next run
            db.session.rollback()
            return False
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    log.info("reminder %s sent", item.kind)
    return True


def summary(counts: Counter[str]) -> dict[str, Any]:
    return {kind: counts.get(kind, 0) for kind in (
        "response_due_soon", "response_overdue", "uptake_overdue", "follow_up_due",
        "escalation", "tipoff_overdue")}
