"""Notes, contacts, home visits and follow-up tasks; the case timeline and the worklist.

The timeline merges, in date order: case events (opened, transferred, closed, consent...),
need status changes, notes and contacts, follow-ups and referral events. Only what is shown
is decrypted (note bodies, follow-up titles), so the audit collector notes exactly that.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from casework import audit
from casework.extensions import db
from casework.models.case import Case, CaseEvent, LateEntryReason
from casework.models.consent import Consent
from casework.models.need import Need, NeedEvent
from casework.models.referral import Referral, ReferralEvent
from casework.models.timeline import NOTE_KINDS, CaseNote, FollowUp
from casework.models.user import User
from casework.services.cases import require_accepts_entries
from casework.services.consents import expiring_soon, valid_consent
from casework.services.effective_dates import check_date, clean_text, local_date, stated, today
from casework.services.errors import DomainError
from casework.services.referrals import overdue_filter

NOTE_MAX = 5000
TITLE_MAX = 200
UPCOMING_DAYS = 7
#: A contact that needs its own consent (DOMAIN: consent per purpose). Refused, not warned: a
#: call or a visit she did not agree to can reveal her situation to the people around her, and
#: the record of a contact is what prompts the next one.
CONTACT_CONSENT = {"phone_call": "contact_phone", "home_visit": "contact_visit"}
CONTACT_REFUSED = {
    "phone_call": _l("She has not agreed to be contacted by phone on this date. Record her "
                     "consent to phone contact first (it can be given verbally, with a "
                     "witness)."),
    "home_visit": _l("She has not agreed to home visits on this date. Record her consent to "
                     "home visits first (it can be given verbally, with a witness)."),
}


def add_note(case: Case, *, kind: str, on: date | None, body: str | None, actor: Any,
             backdate_reason: str | None = None) -> CaseNote:
    """A note, phone call, home visit or meeting on ``on``. Raises DomainError."""
    require_accepts_entries(case)
    if kind not in NOTE_KINDS:
        raise DomainError(_l("Choose what kind of entry this is."), "kind")
    text = clean_text(body, limit=NOTE_MAX, field="body", multiline=True)
    if not text:
        raise DomainError(_l("Write the note."), "body")
    day = stated(on, "on")
    reason = check_date(day, field="on", not_before=case.intake_date,
                        backdate_reason=backdate_reason,
                        not_before_message=_l("The date cannot be before the intake date."))
    purpose = CONTACT_CONSENT.get(kind)
    if purpose is not None and valid_consent(case, purpose, day) is None:
        raise DomainError(CONTACT_REFUSED[kind], "kind")
    note = CaseNote(case_id=case.id, subject_id=case.subject_id, kind=kind, effective_date=day,
                    author_id=getattr(actor, "id", None))
    note.body = text
    note.backdate_reason = reason
    db.session.add(note)
    audit.record("case.note_added", target_type="case", target_id=case.id, actor=actor,
                 details={"kind": kind})
    db.session.flush()
    return note


def add_follow_up(case: Case, *, due_on: date | None, title: str | None,
                  actor: Any) -> FollowUp:
    """A task due on ``due_on`` (today or later, within two years). Raises DomainError."""
    require_accepts_entries(case)
    if case.status != "open":
        raise DomainError(_l("Reopen the case before planning follow-ups."))
    text = clean_text(title, limit=TITLE_MAX, field="title")
    if not text:
        raise DomainError(_l("Say what needs doing."), "title")
    due = stated(due_on, "due_on")
    if due < today() or due > today() + timedelta(days=730):
        raise DomainError(_l("Choose a due date from today to two years ahead."), "due_on")
    task = FollowUp(case_id=case.id, subject_id=case.subject_id, due_on=due,
                    created_by_id=getattr(actor, "id", None))
    task.title = text
    db.session.add(task)
    audit.record("case.follow_up_added", target_type="case", target_id=case.id, actor=actor)
    db.session.flush()
    return task


def complete_follow_up(task: FollowUp, *, actor: Any) -> None:
    require_accepts_entries(task.case)
    if task.done_on is not None:
        raise DomainError(_l("This follow-up is already done."))
    task.done_on = today()
    task.done_by_id = getattr(actor, "id", None)
    audit.record("case.follow_up_done", target_type="case", target_id=task.case_id, actor=actor)
    db.session.flush()


def open_follow_ups(case: Case) -> list[FollowUp]:
    return list(db.session.scalars(
        select(FollowUp).where(FollowUp.case_id == case.id, FollowUp.done_on.is_(None))
        .order_by(FollowUp.due_on)))


@dataclass
class Entry:
    """One line of the timeline: effective date, recorded time, a kind and what to show."""

    on: date
    recorded_at: datetime
    kind: str
    actor: str | None = None
    body: str | None = None  # decrypted text (notes, follow-ups) — shown escaped
    codes: dict[str, Any] = field(default_factory=dict)
    backdate_reason: str | None = None


def timeline(case: Case) -> list[Entry]:
    """Everything that happened on the case, newest effective date first."""
    events = list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)))
    need_rows = list(db.session.execute(
        select(NeedEvent, Need.category).join(Need, Need.id == NeedEvent.need_id)
        .where(Need.case_id == case.id)))
    notes = list(db.session.scalars(select(CaseNote).where(CaseNote.case_id == case.id)))
    tasks = list(db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)))
    referral_rows = list(db.session.execute(
        select(ReferralEvent, Referral.category).join(Referral,
                                                      Referral.id == ReferralEvent.referral_id)
        .where(Referral.case_id == case.id)))
    # Only the users and late-entry reasons this timeline refers to (one query each).
    actor_ids = ({e.actor_id for e in events} | {n.actor_id for n, _c in need_rows}
                 | {n.author_id for n in notes} | {t.created_by_id for t in tasks}
                 | {r.actor_id for r, _c in referral_rows}) - {None}
    names = dict(db.session.execute(select(User.id, User.display_name)
                                    .where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    reason_ids = ({e.late_reason_id for e in events}
                  | {n.late_reason_id for n, _c in need_rows}) - {None}
    reasons = {r.id: r for r in db.session.scalars(
        select(LateEntryReason).where(LateEntryReason.id.in_(reason_ids)))} if reason_ids else {}

    def name(user_id: int | None) -> str | None:
        return names.get(user_id) if user_id is not None else None

    def late(reason_id: Any) -> str | None:
        row = reasons.get(reason_id)
        return row.reason if row is not None else None

    entries: list[Entry] = []
    for ev in events:
        entries.append(Entry(ev.effective_date, ev.recorded_at, f"case.{ev.kind}",
                             name(ev.actor_id), codes=json.loads(ev.details or "{}"),
                             backdate_reason=late(ev.late_reason_id)))
    for nev, category in need_rows:
        entries.append(Entry(nev.effective_date, nev.recorded_at, "need",
                             name(nev.actor_id),
                             codes={"category": category, "to": nev.to_status,
                                    "reason": nev.reason or ""},
                             backdate_reason=late(nev.late_reason_id)))
    for note in notes:
        entries.append(Entry(note.effective_date, note.recorded_at, f"note.{note.kind}",
                             name(note.author_id), body=note.body,
                             backdate_reason=note.backdate_reason))
    for task in tasks:
        entries.append(Entry(local_date(task.created_at), task.created_at, "follow_up",
                             name(task.created_by_id), body=task.title,
                             codes={"due_on": task.due_on, "done_on": task.done_on}))
    for rev, category in referral_rows:
        entries.append(Entry(rev.effective_date, rev.recorded_at, "referral",
                             name(rev.actor_id),
                             codes={"category": category, "to": rev.to_status,
                                    "action": rev.action}))
    entries.sort(key=lambda e: (e.on, e.recorded_at), reverse=True)
    return entries


# --- Worklist --------------------------------------------------------------------------------

@dataclass
class Worklist:
    open_cases: int
    cases: list[Case]
    follow_ups: Sequence[tuple[FollowUp, Case]]
    overdue_follow_ups: int
    overdue_referrals: list[Any]
    expiring_consents: list[Any]


def worklist(visible: Any, *, limit: int = 50) -> Worklist:
    """The caseworker's home: open cases, follow-ups due within a week or overdue, referrals
    past their deadline, consents expiring within 30 days. ``visible`` is the scoped query."""
    now = today()
    open_q = visible.where(Case.status == "open")
    count = db.session.scalar(select(func.count()).select_from(open_q.subquery())) or 0
    cases = list(db.session.scalars(open_q.options(selectinload(Case.org_unit))
                                    .order_by(Case.intake_date.desc()).limit(limit)))
    ids = open_q.with_only_columns(Case.id)
    due = list(db.session.execute(
        select(FollowUp, Case).join(Case, Case.id == FollowUp.case_id)
        .where(FollowUp.case_id.in_(ids), FollowUp.done_on.is_(None),
               FollowUp.due_on <= now + timedelta(days=UPCOMING_DAYS))
        .order_by(FollowUp.due_on).limit(limit)).all())
    overdue = sum(1 for task, _ in due if task.due_on < now)
    referrals = list(db.session.scalars(
        select(Referral).options(selectinload(Referral.case), selectinload(Referral.provider))
        .where(Referral.case_id.in_(ids), overdue_filter(now))
        .order_by(Referral.response_due_on).limit(limit)))
    consents = list(db.session.scalars(expiring_soon(visible).limit(limit).options(
        selectinload(Consent.case).selectinload(Case.org_unit))))
    return Worklist(count, cases, due, overdue, referrals, consents)
