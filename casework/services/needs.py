"""Needs for services: add, change status with an effective date, and the moves referrals make.

Needs drive the target-5 denominator, so every status change is a :class:`NeedEvent` with its
effective date, and ``identified_on`` / ``ended_on`` are kept in order.

Public API for the referrals area (each flushes, never commits, and writes a NeedEvent):

* :func:`mark_referred` — a referral for this need was sent;
* :func:`mark_connected` — a partner confirmed uptake (she started the service);
* :func:`return_to_identified` — a referral was declined, cancelled or not completed and no
  other referral is still working on the need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import audit
from casework.domain import NEED_ENDED_STATUSES, SERVICE_CATEGORIES
from casework.extensions import db
from casework.models.case import Case
from casework.models.need import Need, NeedEvent
from casework.models.referral import Referral
from casework.services.cases import late_entry_reason, require_accepts_entries
from casework.services.effective_dates import (
    BEFORE_IDENTIFIED,
    BEFORE_INTAKE,
    check_date,
    clean_text,
    stated,
)
from casework.services.errors import DomainError, StaleObjectError

NOTE_MAX = 2000
# Statuses a caseworker may set by hand (referred/connected come from referrals).
MANUAL_STATUSES = ("identified", "declined_by_her", "no_longer_needed")
# Referral statuses still working on a need (the referrals area's LIVE_STATUSES).
LIVE_REFERRAL_STATUSES = ("sent", "accepted", "on_hold", "in_service")
STALE_NEED = _l("Someone else changed this need a moment ago. Nothing was saved: check it and "
                "try again.")


def _event(need: Need, to_status: str, on: date, actor: Any, code: str | None,
           late_reason: str | None = None) -> NeedEvent:
    """One status change. ``code`` is a short code only (e.g. ``referral_declined``); a free
    text reason for a late entry is stored encrypted (:func:`cases.late_entry_reason`)."""
    event = NeedEvent(need_id=need.id, from_status=need.status, to_status=to_status,
                      effective_date=on, actor_id=getattr(actor, "id", None), reason=code,
                      late_reason=late_entry_reason(need.case_id, need.subject_id,
                                                       late_reason))
    db.session.add(event)
    need.events.append(event)
    return event


def _check_not_before_identified(need: Need, on: date | None, field: str = "on") -> date:
    on = stated(on, field)
    check_date(on, field=field, not_before=need.identified_on, require_reason=False,
               not_before_message=BEFORE_IDENTIFIED)
    return on


@dataclass
class NeedInput:
    category: str
    identified_on: date | None
    note: str | None = None
    backdate_reason: str | None = None


def add_need(case: Case, data: NeedInput, *, actor: Any) -> Need:
    """Record an identified need. Raises DomainError for an unknown category, a closed case,
    or an identified date in the future, before intake, or backdated without reason."""
    require_accepts_entries(case)
    if case.status != "open":
        raise DomainError(_l("Reopen the case before adding needs."))
    if data.category not in SERVICE_CATEGORIES:
        raise DomainError(_l("Choose a service category."), "category")
    identified_on = stated(data.identified_on, "identified_on")
    reason = check_date(identified_on, field="identified_on", not_before=case.intake_date,
                        not_before_message=BEFORE_INTAKE,
                        backdate_reason=data.backdate_reason)
    note = clean_text(data.note, limit=NOTE_MAX, field="note", multiline=True)
    need = Need(case_id=case.id, subject_id=case.subject_id, category=data.category,
                status="identified", identified_on=identified_on,
                created_by_id=getattr(actor, "id", None))
    need.note = note
    db.session.add(need)
    db.session.flush()
    event = NeedEvent(need_id=need.id, from_status=None, to_status="identified",
                      effective_date=identified_on, actor_id=getattr(actor, "id", None),
                      late_reason=late_entry_reason(case.id, case.subject_id, reason))
    db.session.add(event)
    audit.record("need.added", target_type="case", target_id=case.id, actor=actor,
                 details={"category": data.category})
    db.session.flush()
    return need


def set_status(need: Need, status: str, *, on: date | None, actor: Any,
               backdate_reason: str | None = None, expected_version: int | None = None) -> None:
    """A caseworker's change: declined by her, no longer needed, or identified again.

    Ending a need sets ``ended_on``; identifying it again clears it. Raises DomainError for
    statuses only referrals set, a date out of order, no change, or ending a need while a
    referral still works on it (sent, accepted, on hold, in service: cancel that referral
    first, so the partner is told); StaleObjectError for a stale form.
    """
    require_accepts_entries(need.case)
    if expected_version is not None and expected_version != need.version:
        raise StaleObjectError(STALE_NEED)
    if status not in MANUAL_STATUSES:
        raise DomainError(_l("Choose a status."), "status")
    if status == need.status:
        raise DomainError(_l("The need already has this status."), "status")
    on = stated(on, "on")
    reason = check_date(on, field="on", not_before=need.identified_on,
                        not_before_message=BEFORE_IDENTIFIED,
                        backdate_reason=backdate_reason)
    if status == "identified" and need.ended_on is not None and on < need.ended_on:
        raise DomainError(_l("The date cannot be before the need ended."), "on")
    if status in NEED_ENDED_STATUSES and db.session.scalar(select(Referral.id).where(
            Referral.need_id == need.id, Referral.status.in_(LIVE_REFERRAL_STATUSES))):
        raise DomainError(_l("A referral for this need is still open with a partner: cancel the "
                             "referral first, then end the need."), "status")
    _event(need, status, on, actor, None, reason)
    need.status = status
    need.ended_on = on if status in NEED_ENDED_STATUSES else None
    audit.record("need.status_changed", target_type="case", target_id=need.case_id, actor=actor,
                 details={"category": need.category, "status": status})
    db.session.flush()


def mark_referred(need: Need, on: date, actor: Any) -> bool:
    """A referral for ``need`` was sent on ``on``: identified → referred.

    Returns False (no event) when the need is already referred or connected. Raises
    DomainError when the need has ended (declined by her / no longer needed) or ``on`` is in
    the future or before the need was identified.
    """
    if need.status in ("referred", "connected"):
        return False
    if need.status in NEED_ENDED_STATUSES:
        raise DomainError(_l("This need has ended; identify it again before referring."))
    _check_not_before_identified(need, on)
    _event(need, "referred", on, actor, None)
    need.status = "referred"
    db.session.flush()
    return True


def mark_connected(need: Need, on: date, actor: Any) -> bool:
    """A partner confirmed uptake on ``on``: identified/referred → connected.

    Returns False when already connected. Raises DomainError when the need has ended or the
    date is in the future or before the need was identified.
    """
    if need.status == "connected":
        return False
    if need.status in NEED_ENDED_STATUSES:
        raise DomainError(_l("This need has ended; identify it again before referring."))
    _check_not_before_identified(need, on)
    _event(need, "connected", on, actor, None)
    need.status = "connected"
    db.session.flush()
    return True


def return_to_identified(need: Need, on: date, actor: Any, reason: str) -> bool:
    """A referral was declined or not completed: referred → identified (the need stays open).

    ``reason`` is a short code (e.g. ``referral_declined``) kept on the NeedEvent. Returns
    False (no change) unless the need is "referred" — a connected or ended need is left alone.
    Raises DomainError for a date in the future or before the need was identified.
    """
    if need.status != "referred":
        return False
    _check_not_before_identified(need, on)
    _event(need, "identified", on, actor, reason)
    need.status = "identified"
    db.session.flush()
    return True


def needs_for(case: Case) -> list[Need]:
    return list(db.session.scalars(
        select(Need).where(Need.case_id == case.id).order_by(Need.identified_on, Need.recorded_at)))
