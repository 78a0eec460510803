"""The verbs of the union's activity: record, correct, submit, approve, return.

Services validate, flush and audit; the view commits. A unit's half-year is open until it is
submitted; while submitted (awaiting review) nothing in it changes; once approved, a change needs
an amendment note (the report lists amendments); a returned half-year is open again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import audit
from casework.activity import targets
from casework.db import utcnow
from casework.extensions import db
from casework.indicators import PLAN_START, parse_period
from casework.models.activity import (
    RECORD_KINDS,
    ActivityRecord,
    ActivitySubmission,
    UnitYearCounts,
)
from casework.models.org import OrgUnit
from casework.models.user import User
from casework.services.errors import DomainError
from casework.services.org_units import subtree_ids

COUNT_MAX = 1_000_000
NOTE_MAX = 500
COMMUNICATION_FORMS = ("meeting", "loudspeaker", "drama", "social_media", "leaflet", "contest",
                       "other")
POST_CHANNELS = ("website", "fanpage")


@dataclass
class RecordInput:
    held_on: date
    ended_on: date | None = None
    title: str = ""
    form: str | None = None
    officers: int = 0
    members: int = 0
    partners: str = ""
    link: str = ""
    amendment_note: str = ""


def submission(unit: OrgUnit, key: str) -> ActivitySubmission | None:
    return db.session.scalar(select(ActivitySubmission).where(
        ActivitySubmission.org_unit_id == unit.id, ActivitySubmission.period_key == key))


def _open_for_change(unit: OrgUnit, day: date, note: str) -> str | None:
    """Refuse a change to a submitted half-year; an approved one needs a note (returned)."""
    found = submission(unit, targets.half_key(day))
    if found is None or found.status == "returned":
        return None
    if found.status == "submitted":
        raise DomainError(_l("This half-year has been sent for approval and cannot change now; "
                             "ask the level above to return it."), "held_on")
    if not note:
        raise DomainError(_l("This half-year is approved: say briefly what this correction is "
                             "(it is shown as an amendment)."), "amendment_note")
    return note


def _check(kind: str, data: RecordInput, today: date) -> None:
    if kind not in RECORD_KINDS:
        raise DomainError(_l("Unknown kind of record."), "kind")
    if data.held_on > today:
        raise DomainError(_l("The date cannot be in the future."), "held_on")
    if data.held_on < PLAN_START:
        raise DomainError(_l("The date cannot be before 01/01/2021."), "held_on")
    if data.ended_on is not None and data.ended_on < data.held_on:
        raise DomainError(_l("The end cannot be before the start."), "ended_on")
    for name in ("officers", "members"):
        if not 0 <= getattr(data, name) <= COUNT_MAX:
            raise DomainError(_l("Enter a number from 0 to 1,000,000."), name)
    if kind in ("plan", "programme", "training") and not data.title.strip():
        raise DomainError(_l("Enter a name."), "title")
    if kind == "communication":
        if data.form not in COMMUNICATION_FORMS:
            raise DomainError(_l("Choose a form of communication."), "form")
        if data.officers + data.members == 0:
            raise DomainError(_l("Enter how many people were reached."), "members")
    if kind == "training" and data.officers == 0:
        raise DomainError(_l("Enter how many concerned officers were trained."), "officers")
    if kind == "post":
        if data.form not in POST_CHANNELS:
            raise DomainError(_l("Choose the website or the fan page."), "form")
        if not data.link.startswith(("https://", "http://")) or " " in data.link.strip():
            raise DomainError(_l("Enter the link of the post (https://...)."), "link")
    if len(data.amendment_note) > NOTE_MAX:
        raise DomainError(_l("Keep the note under 500 characters."), "amendment_note")


def check_record(unit: OrgUnit, kind: str, data: RecordInput, today: date) -> None:
    """What :func:`save_record` refuses, without writing (the import's dry run)."""
    _check(kind, data, today)
    _open_for_change(unit, data.held_on, data.amendment_note.strip())


def save_record(unit: OrgUnit, kind: str, data: RecordInput, today: date, *, actor: User | None,
                record: ActivityRecord | None = None, source: str = "form") -> ActivityRecord:
    """Add (or correct) one record of ``unit``; refused in a submitted half-year."""
    _check(kind, data, today)
    note = data.amendment_note.strip()
    amendment = _open_for_change(unit, data.held_on, note)
    if record is not None and targets.half_key(record.held_on) != targets.half_key(data.held_on):
        amendment = _open_for_change(unit, record.held_on, note) or amendment
    if record is None:
        record = ActivityRecord(org_unit_id=unit.id, kind=kind, created_by_id=getattr(
            actor, "id", None), source=source)
        db.session.add(record)
    record.held_on, record.ended_on = data.held_on, data.ended_on if kind == "programme" else None
    record.title = data.title.strip()
    record.form = data.form if kind in ("communication", "post") else None
    record.officers = data.officers if kind in ("communication", "training") else 0
    record.members = data.members if kind == "communication" else 0
    record.partners = data.partners.strip() if kind == "communication" else ""
    record.link = data.link.strip() if kind == "post" else ""
    if amendment:
        record.amendment_note = amendment
    db.session.flush()
    audit.record("activity.saved", target_type="org_unit", target_id=unit.id, actor=actor,
                 details={"kind": kind, "record": record.id, "amendment": bool(amendment)})
    return record


def delete_record(record: ActivityRecord, *, actor: User) -> None:
    found = submission(record.org_unit, targets.half_key(record.held_on))
    if found is not None and found.status != "returned":
        raise DomainError(_l("This half-year has been sent for approval: a record in it cannot "
                             "be deleted (correct it instead)."))
    audit.record("activity.deleted", target_type="org_unit", target_id=record.org_unit_id,
                 actor=actor, details={"kind": record.kind, "record": record.id})
    db.session.delete(record)
    db.session.flush()


def counts_for(unit: OrgUnit, year: int) -> UnitYearCounts | None:
    return db.session.scalar(select(UnitYearCounts).where(
        UnitYearCounts.org_unit_id == unit.id, UnitYearCounts.year == year))


def save_counts(unit: OrgUnit, year: int, officers: int, concerned: int, members: int,
                today: date, *, actor: User | None, note: str = "") -> UnitYearCounts:
    """The unit's yearly counts (denominators); locked like the year's half-years."""
    if not PLAN_START.year <= year <= today.year:
        raise DomainError(_l("Choose a year from 2021 to this year."), "year")
    for name, value in (("officers", officers), ("concerned_officers", concerned),
                        ("members", members)):
        if not 0 <= value <= COUNT_MAX:
            raise DomainError(_l("Enter a number from 0 to 1,000,000."), name)
    if concerned > officers:
        raise DomainError(_l("Concerned officers are union officers too: there cannot be more "
                             "of them than officers."), "concerned_officers")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_l("Keep the note under 500 characters."), "amendment_note")
    amendment = None
    for month in (1, 7):
        if date(year, month, 1) <= today:
            amendment = _open_for_change(unit, date(year, month, 1), note) or amendment
    row = counts_for(unit, year)
    if row is None:
        row = UnitYearCounts(org_unit_id=unit.id, year=year)
        db.session.add(row)
    row.officers, row.concerned_officers, row.members = officers, concerned, members
    row.updated_by_id = getattr(actor, "id", None)
    if amendment:
        row.amendment_note = amendment
    db.session.flush()
    audit.record("activity.counts_saved", target_type="org_unit", target_id=unit.id,
                 actor=actor, details={"year": year, "amendment": bool(amendment)})
    return row


# --- Submission and approval --------------------------------------------------------------------

def half_period(key: str, today: date) -> Any:
    """The half-year ``key`` (``2025H1``) as a Period; ValueError when it is not one."""
    period = parse_period(key, today, today=today)
    if period.kind != "half":
        raise ValueError("not a half-year")
    return period


def own_snapshot(unit: OrgUnit, key: str, today: date) -> dict[str, Any]:
    """The unit's own figures for the half-year (counts only), as submitted."""
    period = half_period(key, today)
    facts = targets.unit_facts(unit, period, approved_only=False)[unit.id]
    return {"plan": facts.plan, "communications": facts.communications,
            "officers_reached": facts.officers_reached,
            "members_reached": facts.members_reached, "programmes": facts.programmes,
            "trainings": facts.trainings, "trained": facts.trained,
            "post_quarters": sorted(f"{y}Q{q}" for y, q in facts.post_quarters),
            "officers": facts.officers, "concerned_officers": facts.concerned,
            "members": facts.members}


def missing(unit: OrgUnit, key: str, today: date) -> list[str]:
    """What the level above will look for and not find, in words."""
    period = half_period(key, today)
    facts = targets.unit_facts(unit, period, approved_only=False)
    own = facts[unit.id]
    gaps: list[str] = []
    if not own.plan:
        gaps.append(str(_l("No anti-prostitution plan adopted by the end of the half-year.")))
    if own.officers is None:
        gaps.append(str(_l("No counts of officers and members for %(year)s.",
                           year=period.end.year)))
    if own.communications == 0:
        gaps.append(str(_l("No communication activity in the half-year.")))
    if own.programmes == 0:
        gaps.append(str(_l("No programme integrating the task.")))
    for year, quarter in targets.quarters(period):
        if (year, quarter) not in own.post_quarters:
            gaps.append(str(_l("No post on the website or fan page in quarter %(q)s/%(year)s.",
                               q=quarter, year=year)))
    children = [f.unit for f in facts.values() if f.unit.parent_id == unit.id]
    if children:
        approved = {u for u, _k in targets.approved_halves(unit, {key})}
        waiting = sorted(c.name for c in children if c.id not in approved)
        if waiting:
            gaps.append(str(_l("Units below not yet approved: %(names)s.",
                               names=", ".join(waiting))))
    return gaps


def submit(unit: OrgUnit, key: str, today: date, *, actor: User) -> ActivitySubmission:
    try:
        half_period(key, today)
    except ValueError:
        raise DomainError(_l("Choose a half-year that has started."), "period") from None
    found = submission(unit, key)
    if found is not None and found.status == "submitted":
        raise DomainError(_l("This half-year is already waiting for approval."), "period")
    if found is not None and found.status == "approved":
        raise DomainError(_l("This half-year is already approved."), "period")
    snapshot = json.dumps(own_snapshot(unit, key, today), sort_keys=True)
    if found is None:
        found = ActivitySubmission(org_unit_id=unit.id, period_key=key, status="submitted")
        db.session.add(found)
    found.status, found.submitted_by_id, found.submitted_at = "submitted", actor.id, utcnow()
    found.reviewed_by_id, found.reviewed_at = None, None
    found.snapshot = snapshot
    db.session.flush()
    audit.record("activity.submitted", target_type="org_unit", target_id=unit.id, actor=actor,
                 details={"period": key})
    return found


def review(found: ActivitySubmission, decision: str, comment: str, today: date, *,
           actor: User) -> ActivitySubmission:
    """Approve or return a submitted half-year (a comment is required to return it)."""
    comment = " ".join((comment or "").split())
    if found.status != "submitted":
        raise DomainError(_l("Only a half-year waiting for approval can be reviewed."),
                          "decision")
    if decision not in ("approved", "returned"):
        raise DomainError(_l("Choose approve or return."), "decision")
    if len(comment) > NOTE_MAX:
        raise DomainError(_l("Keep the note under 500 characters."), "comment")
    if decision == "returned" and not comment:
        raise DomainError(_l("Say what needs correcting."), "comment")
    found.status, found.comment = decision, comment
    found.reviewed_by_id, found.reviewed_at = actor.id, utcnow()
    if decision == "approved":
        found.snapshot = json.dumps(own_snapshot(found.org_unit, found.period_key, today),
                                    sort_keys=True)
    db.session.flush()
    audit.record(f"activity.{decision}", target_type="org_unit", target_id=found.org_unit_id,
                 actor=actor, details={"period": found.period_key})
    return found


def amendments(found: ActivitySubmission, today: date) -> list[dict[str, Any]]:
    """Figures of an approved half-year that changed since approval: (figure, approved, now)."""
    if found.status != "approved":
        return []
    before = json.loads(found.snapshot or "{}")
    now = own_snapshot(found.org_unit, found.period_key, today)
    return [{"figure": k, "approved": before.get(k), "now": now[k]}
            for k in sorted(now) if before.get(k) != now[k]]


def statuses(scope: OrgUnit, key: str) -> dict[int, ActivitySubmission]:
    """Unit id -> its submission for the half-year, over ``scope``'s subtree."""
    rows = db.session.scalars(select(ActivitySubmission).where(
        ActivitySubmission.org_unit_id.in_(subtree_ids(scope)),
        ActivitySubmission.period_key == key))
    return {s.org_unit_id: s for s in rows}


def records_of(unit: OrgUnit, start: date, end: date) -> list[ActivityRecord]:
    return list(db.session.scalars(
        select(ActivityRecord).where(
            ActivityRecord.org_unit_id == unit.id,
            (ActivityRecord.held_on <= end)
            & ((ActivityRecord.held_on >= start) | ActivityRecord.kind.in_(("plan", "programme"))))
        .order_by(ActivityRecord.held_on.desc(), ActivityRecord.id.desc())))
