"""Retention: the province's schedule, the records past their date, and their erasure.

Rules (DOMAIN: "her data is kept only as long as needed"):

* a **closed case** is due ``closed_case_years`` after the day it was last closed;
* a woman who **withdrew her consent to keep her record** (and gave no newer one) is due
  ``withdrawn_record_days`` after the withdrawal, whether her case is open or closed.

A record already erased, merged into another case (it goes with the surviving case), or kept by
a supervisor this month is not proposed. Erasure is the existing crypto-erasure
(:func:`casework.services.subject_rights.erase_case`): the tombstone keeps the indicator right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from casework import audit
from casework.crypto.models import Subject
from casework.extensions import db
from casework.models.case import Case, CaseEpisode
from casework.models.consent import Consent
from casework.models.retention import RetentionDecision, RetentionSchedule
from casework.services import subject_rights
from casework.services.effective_dates import today
from casework.services.errors import DomainError

DEFAULT_CLOSED_YEARS = 5
DEFAULT_WITHDRAWN_DAYS = 30
MAX_PER_CONFIRMATION = 50
KEEP_REASONS: dict[str, Any] = {
    "legal_proceedings": _l("Legal proceedings still need it"),
    "her_request": _l("She asked us to keep it"),
    "under_review": _l("Still being checked"),
}
RULES: dict[str, Any] = {
    "closed": _l("Closed longer than the retention period"),
    "withdrawn": _l("She withdrew her consent to keep her record"),
}


def schedule() -> RetentionSchedule:
    """The schedule in force (the newest row), or the defaults when none was ever set."""
    row = db.session.scalar(select(RetentionSchedule).order_by(RetentionSchedule.id.desc())
                            .limit(1))
    return row or RetentionSchedule(closed_case_years=DEFAULT_CLOSED_YEARS,
                                    withdrawn_record_days=DEFAULT_WITHDRAWN_DAYS)


def set_schedule(*, closed_case_years: int, withdrawn_record_days: int,
                 actor: Any) -> RetentionSchedule:
    """A new schedule row (the old ones stay as history). Raises DomainError out of range."""
    if not 1 <= closed_case_years <= 50:
        raise DomainError(_l("Choose from 1 to 50 years."), "closed_case_years")
    if not 1 <= withdrawn_record_days <= 365:
        raise DomainError(_l("Choose from 1 to 365 days."), "withdrawn_record_days")
    row = RetentionSchedule(closed_case_years=closed_case_years,
                            withdrawn_record_days=withdrawn_record_days,
                            set_by_id=getattr(actor, "id", None))
    db.session.add(row)
    audit.record("rights.retention_set", target_type="retention_schedule", actor=actor,
                 details={"closed_case_years": closed_case_years,
                          "withdrawn_record_days": withdrawn_record_days})
    db.session.flush()
    return row


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass
class Proposal:
    case: Case
    rule: str  # a key of RULES
    since: date  # the day the clock started (closed, or consent withdrawn)
    due_on: date


def proposals(visible: Any, on: date | None = None) -> list[Proposal]:
    """Records of the scoped case query ``visible`` past their retention date on ``on``."""
    day = on or today()
    rules = schedule()
    live = (visible.where(Case.merged_into_id.is_(None))
            .join(Subject, Subject.id == Case.subject_id).where(Subject.erased.is_(False)))
    kept = select(RetentionDecision.case_id).where(RetentionDecision.month == month_of(day),
                                                   RetentionDecision.decision == "keep")
    live = live.where(Case.id.not_in(kept))
    found: dict[Any, Proposal] = {}
    last_closed = (select(CaseEpisode.case_id, func.max(CaseEpisode.closed_on).label("closed"))
                   .group_by(CaseEpisode.case_id).subquery())
    closed_rows: Any = db.session.execute(
            live.add_columns(last_closed.c.closed)
            .join(last_closed, last_closed.c.case_id == Case.id)
            .where(Case.status == "closed", last_closed.c.closed.is_not(None)))
    for case, closed in closed_rows:
        due = add_years(closed, rules.closed_case_years)
        if due <= day:
            found[case.id] = Proposal(case, "closed", closed, due)
    withdrawn: Any = db.session.execute(
        live.add_columns(func.max(Consent.withdrawn_on))
        .join(Consent, Consent.case_id == Case.id)
        .where(Consent.purpose == "keep_record", Consent.withdrawn_on.is_not(None))
        .group_by(Case.id)).all()
    for case, withdrawn_on in withdrawn:
        if case.id in found or withdrawn_on is None:
            continue
        if _keeps_record(case, day):
            continue  # a newer consent to keep her record is valid
        due = withdrawn_on + timedelta(days=rules.withdrawn_record_days)
        if due <= day:
            found[case.id] = Proposal(case, "withdrawn", withdrawn_on, due)
    return sorted(found.values(), key=lambda p: (p.due_on, p.case.case_number))


def _keeps_record(case: Case, day: date) -> bool:
    rows = db.session.scalars(select(Consent).where(Consent.case_id == case.id,
                                                    Consent.purpose == "keep_record"))
    return any(c.is_valid_on(day) for c in rows)


def confirm(visible: Any, case_ids: list[Any], *, actor: Any,
            on: date | None = None) -> int:
    """Erase the ticked records that are still due (checked again here); returns how many.

    Raises DomainError when nothing is ticked, too many are, or a ticked record is no longer
    due (someone reopened it, or it was erased or kept meanwhile): nothing is erased then.
    """
    day = on or today()
    if not case_ids:
        raise DomainError(_l("Tick at least one record to erase."))
    if len(case_ids) > MAX_PER_CONFIRMATION:
        raise DomainError(_l("Erase at most %(n)s records at a time.", n=MAX_PER_CONFIRMATION))
    due = {p.case.id: p for p in proposals(visible, day)}
    wanted = set(case_ids)
    if not wanted <= set(due):
        raise DomainError(_l("A ticked record is no longer due for erasure. Reload the list."))
    for case_id in sorted(wanted, key=str):
        proposal = due[case_id]
        subject_rights.erase_case(proposal.case, actor=actor, reason="retention")
        db.session.add(RetentionDecision(case_id=case_id, month=month_of(day), decision="erase",
                                         reason_code=proposal.rule,
                                         decided_by_id=getattr(actor, "id", None)))
    db.session.flush()
    return len(wanted)


def keep(visible: Any, case_id: Any, reason: str, *, actor: Any,
         on: date | None = None) -> None:
    """Keep one due record for this month, with a reason code (it comes back next month)."""
    day = on or today()
    if reason not in KEEP_REASONS:
        raise DomainError(_l("Choose why the record is kept."), "reason")
    if case_id not in {p.case.id for p in proposals(visible, day)}:
        raise DomainError(_l("This record is no longer due for erasure. Reload the list."))
    db.session.add(RetentionDecision(case_id=case_id, month=month_of(day), decision="keep",
                                     reason_code=reason, decided_by_id=getattr(actor, "id", None)))
    audit.record("rights.retention_kept", target_type="case", target_id=case_id, actor=actor,
                 details={"reason": reason, "month": month_of(day)})
    db.session.flush()
