"""Transfer, close, reopen and merge: the moves that change who holds a case and when it is open.

``CaseEpisode`` rows (open intervals) and ``CaseCustody`` rows (which unit held the case,
``to_date`` exclusive) are kept exactly right here: the target-5 indicator reads them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from casework import audit
from casework.domain import CLOSE_REASONS
from casework.extensions import db
from casework.models.case import Case, CaseCustody, CaseEpisode, CaseEvent
from casework.models.consent import Consent
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.referral import Referral
from casework.models.timeline import CaseNote, FollowUp
from casework.services.cases import late_entry_reason, require_accepts_entries
from casework.services.effective_dates import BEFORE_OPENED, check_date, stated, today
from casework.services.errors import DomainError, StaleObjectError

STALE_CASE = _l("Someone else changed this case a moment ago. Nothing was saved: check the "
                "case and try again.")


def check_version(case: Case, expected_version: int | None) -> None:
    """Refuse a form loaded before someone else changed the case (StaleObjectError → 409).

    ``expected_version`` None means an internal caller (no form), which is not checked;
    views always pass the form's value (or -1 when it is missing or not a number).
    """
    if expected_version is not None and expected_version != case.version:
        raise StaleObjectError(STALE_CASE)


def _event(case: Case, kind: str, on: date, actor: Any, backdate: str | None = None,
           **details: Any) -> None:
    db.session.add(CaseEvent(case_id=case.id, kind=kind, effective_date=on,
                             actor_id=getattr(actor, "id", None),
                             late_reason=late_entry_reason(case.id, case.subject_id, backdate),
                             details=json.dumps(details, sort_keys=True) if details else None))


def open_episode(case: Case) -> CaseEpisode | None:
    return next((e for e in case.episodes if e.closed_on is None), None)


def current_custody(case: Case) -> CaseCustody | None:
    return next((c for c in case.custody if c.to_date is None), None)


def last_closed_on(case: Case) -> date | None:
    closed = [e.closed_on for e in case.episodes if e.closed_on is not None]
    return max(closed) if closed else None


def transfer_case(case: Case, to_unit: OrgUnit, *, on: date | None, actor: Any,
                  backdate_reason: str | None = None,
                  expected_version: int | None = None) -> None:
    """She moved: ``to_unit`` holds the case from ``on``; the old custody ends on ``on``.

    Raises DomainError for a closed or merged case, the same or an inactive unit, or a date
    in the future, before the current holder took over, or backdated without a reason;
    StaleObjectError for a stale form.
    """
    require_accepts_entries(case)
    check_version(case, expected_version)
    if case.status != "open":
        raise DomainError(_l("Reopen the case before transferring it."))
    if not to_unit.active or to_unit.id == case.org_unit_id:
        raise DomainError(_l("Choose another, active unit."), "to_unit")
    holder = current_custody(case)
    start = holder.from_date if holder else case.intake_date
    day = stated(on, "on")
    reason = check_date(day, field="on", not_before=start, backdate_reason=backdate_reason,
                        not_before_message=_l("The date cannot be before the current unit "
                                              "took over the case."))
    actor_id = getattr(actor, "id", None)
    from_unit = case.org_unit_id
    if holder is not None:
        holder.to_date = day
    case.custody.append(CaseCustody(org_unit=to_unit, from_date=day, reason="transfer",
                                    recorded_by_id=actor_id))
    case.org_unit = to_unit
    _event(case, "transferred", day, actor, reason, from_unit=from_unit, to_unit=to_unit.id)
    audit.record("case.transferred", target_type="case", target_id=case.id, actor=actor,
                 details={"from_unit": from_unit, "to_unit": to_unit.id})
    db.session.flush()


def close_case(case: Case, *, on: date | None, reason_code: str, actor: Any,
               backdate_reason: str | None = None, expected_version: int | None = None) -> None:
    """Close the open episode on ``on`` with a reason. Raises DomainError when not open, for an
    unknown reason, or a date in the future / before the episode opened / backdated without
    a reason; StaleObjectError for a stale form."""
    require_accepts_entries(case)
    check_version(case, expected_version)
    episode = open_episode(case)
    if case.status != "open" or episode is None:
        raise DomainError(_l("The case is already closed."))
    if reason_code not in CLOSE_REASONS:
        raise DomainError(_l("Choose a reason."), "reason")
    day = stated(on, "on")
    reason = check_date(day, field="on", not_before=episode.opened_on,
                        backdate_reason=backdate_reason,
                        not_before_message=BEFORE_OPENED)
    episode.closed_on = day
    episode.close_reason = reason_code
    episode.closed_by_id = getattr(actor, "id", None)
    case.status = "closed"
    _event(case, "closed", day, actor, reason, reason=reason_code)
    audit.record("case.closed", target_type="case", target_id=case.id, actor=actor,
                 details={"reason": reason_code})
    db.session.flush()


def reopen_case(case: Case, *, on: date | None, actor: Any,
                backdate_reason: str | None = None, expected_version: int | None = None) -> None:
    """Open a new episode from ``on`` (not before the last closure). Raises DomainError, and
    StaleObjectError for a stale form."""
    require_accepts_entries(case)
    check_version(case, expected_version)
    if case.status != "closed" or case.merged_into_id is not None:
        raise DomainError(_l("Only a closed case can be reopened."))
    day = stated(on, "on")
    last = last_closed_on(case) or case.intake_date
    reason = check_date(day, field="on", not_before=last, backdate_reason=backdate_reason,
                        not_before_message=_l("The date cannot be before the case was closed."))
    case.episodes.append(CaseEpisode(opened_on=day, opened_by_id=getattr(actor, "id", None)))
    case.status = "open"
    _event(case, "reopened", day, actor, reason)
    audit.record("case.reopened", target_type="case", target_id=case.id, actor=actor)
    db.session.flush()


def merge_cases(survivor: Case, duplicate: Case, *, actor: Any) -> None:
    """Merge ``duplicate`` into ``survivor`` (a supervisor's decision after a duplicate warning).

    Both histories are kept: the duplicate's needs, consents, referrals, notes and follow-ups
    move to the survivor (they keep their own encryption subject); the duplicate is closed on
    the merge date (reason "merged"), its custody ends, and it points to the survivor. Lists,
    search and reports leave merged cases out. Raises DomainError for the same case, a case
    already merged, or a survivor whose data was erased (it takes no more entries). No free
    text is taken: the decision is recorded as codes and case ids only.
    """
    if survivor.id == duplicate.id:
        raise DomainError(_l("Choose two different cases."), "other")
    if survivor.merged_into_id is not None or duplicate.merged_into_id is not None:
        raise DomainError(_l("One of these cases was already merged."), "other")
    require_accepts_entries(survivor)
    day = today()
    for model in (Need, Consent, Referral, CaseNote, FollowUp):
        db.session.execute(update(model).where(model.case_id == duplicate.id)
                           .values(case_id=survivor.id)
                           .execution_options(synchronize_session="fetch"))
    episode = open_episode(duplicate)
    if episode is not None:
        episode.closed_on = max(day, episode.opened_on)
        episode.close_reason = "merged"
        episode.closed_by_id = getattr(actor, "id", None)
    holder = current_custody(duplicate)
    if holder is not None:
        holder.to_date = max(day, holder.from_date)
    duplicate.status = "closed"
    duplicate.merged_into_id = survivor.id
    _event(duplicate, "merged_into", day, actor, other=survivor.case_number)
    _event(survivor, "merged_from", day, actor, other=duplicate.case_number)
    audit.record("case.merged", target_type="case", target_id=survivor.id, actor=actor,
                 details={"merged_case": str(duplicate.id)})
    db.session.flush()
