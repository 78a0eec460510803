"""Referrals: draft from a need, send with consent, move through the loop, and find the overdue.

The allowed moves live in :mod:`casework.services.referral_flow` (the table); this module runs
them: it checks the actor's side, the status, the form's version, the inputs and the dates;
sets exactly what the table's executor (``referral_flow.effects``) returns, writes one
:class:`ReferralEvent`, one audit event and the notices; and moves the need as
``referral_flow.need_change`` says (sent → referred, uptake → connected, declined / not
completed / cancelled → identified again when no other referral is working on it). The import
(``imports/apply.py``) uses the same executor and need rule on its bulk rows.

**Overdue** (one rule for worklists, partner inboxes and supervision): see :func:`overdue_filter`.

Every function flushes and never commits; the view commits once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import wraps
from statistics import median
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm.exc import StaleDataError

from casework import audit
from casework.authz import referral_side
from casework.db import utcnow
from casework.domain import NEED_ENDED_STATUSES, REFERRAL_OPEN_STATUSES, UPTAKE_PARTNER_LINK
from casework.extensions import db
from casework.models.case import Case
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.partner_link import LinkActor
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral, ReferralEvent
from casework.models.user import User
from casework.services import consents, needs, notifications, providers
from casework.services import referral_flow as flow
from casework.services.cases import require_accepts_entries
from casework.services.effective_dates import (
    REFERRAL_BEFORE_IDENTIFIED,
    check_date,
    clean_text,
    today,
)
from casework.services.errors import DomainError, StaleObjectError

NOTE_MAX = 1000
PARTNER_NOTE_MAX = 500
# Statuses in which a referral still works on its need (a new one would duplicate it).
LIVE_STATUSES = needs.LIVE_REFERRAL_STATUSES
# Statuses a partner never sees.
HIDDEN_FROM_PARTNER = ("draft", "cancelled")

#: Fields a caseworker may share, with the consent field each needs (None: always allowed,
#: because it identifies no one: a five-year age band, the need and the caseworker's note).
SHARE_OPTIONS: dict[str, tuple[Any, str | None]] = {
    "given_name": (_l("Given name"), "full_name"),
    "phone": (_l("Phone"), "phone"),
    "age_band": (_l("Age band"), None),
    "full_name": (_l("Full name"), "full_name"),
    "date_of_birth": (_l("Date of birth"), "date_of_birth"),
    "address": (_l("Current address"), "address"),
    "national_id": (_l("National ID number (CCCD)"), "national_id"),
}
DEFAULT_SHARE = ("given_name", "phone", "age_band")
STALE_MESSAGE = _l("Someone else changed this referral a moment ago. Nothing was saved: "
                   "check its current status and try again.")


def _refuse(message: Any, field: str | None = None) -> DomainError:
    return DomainError(message, field)


# --- Who is acting ----------------------------------------------------------------------------

def available_actions(referral: Referral, user: User | Any) -> list[flow.Transition]:
    """The actions ``user`` may take on ``referral`` now (what the page offers as buttons)."""
    side = referral_side(user, referral)
    actions = flow.allowed_actions(referral.status, side)
    if referral.review_outcome is not None:
        actions = [t for t in actions if not t.action.startswith("review_")]
    if not flow.awaiting_verification(referral):
        actions = [t for t in actions if t.action not in flow.VERIFY_ACTIONS]
    return actions


def _check_version(referral: Referral, version: int | None) -> None:
    if version is None or version != referral.version:
        raise StaleObjectError(STALE_MESSAGE)


def _flush(referral: Referral) -> None:
    db.session.flush()


def _locked(fn: Any) -> Any:
    """Turn a lost optimistic-lock race (someone else's UPDATE won) into StaleObjectError."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise StaleObjectError(STALE_MESSAGE) from None

    return wrapper


# --- Drafting and sending ---------------------------------------------------------------------

def create_draft(need: Need, provider: ServiceProvider, *, actor: User) -> Referral:
    """A draft referral of ``need`` to ``provider``. Raises DomainError for a closed case, an
    ended need, a partner that does not offer the category or serve the case's area, or when a
    referral of this need to this partner is already open (this also makes a replayed form
    harmless)."""
    case = need.case
    require_accepts_entries(case)
    if case.status != "open":
        raise _refuse(_l("Reopen the case before referring."))
    if need.status in ("declined_by_her", "no_longer_needed"):
        raise _refuse(_l("This need has ended; identify it again before referring."))
    if not providers.serves(provider, need.category, case.org_unit):
        raise _refuse(_l("This partner does not offer this service in the case's area."),
                      "provider")
    open_already = db.session.scalar(select(Referral.id).where(
        Referral.need_id == need.id, Referral.provider_id == provider.id,
        Referral.status.in_(tuple(REFERRAL_OPEN_STATUSES))))
    if open_already is not None:
        raise _refuse(_l("A referral of this need to this partner is already open."),
                      "provider")
    referral = Referral(case_id=case.id, subject_id=case.subject_id, need_id=need.id,
                        provider_id=provider.id, category=need.category, status="draft",
                        created_by_id=actor.id)
    db.session.add(referral)
    db.session.flush()
    db.session.add(ReferralEvent(referral_id=referral.id, subject_id=case.subject_id,
                                 action="create", from_status=None, to_status="draft",
                                 effective_date=today(), actor_id=actor.id,
                                 actor_role=actor.role))
    audit.record("referral.drafted", target_type="referral", target_id=referral.id, actor=actor,
                 details={"category": need.category, "provider": provider.code})
    db.session.flush()
    return referral


def allowed_share_fields(referral: Referral, on: date | None = None) -> tuple[str, ...]:
    """Share options the woman's valid consent allows for this referral's category on ``on``."""
    consent = consents.valid_share_consent(referral.case, referral.category, on or today())
    allowed = set(consents.shareable_fields(consent))
    if consent is None:
        return ()
    return tuple(name for name, (_label, needs_) in SHARE_OPTIONS.items()
                 if needs_ is None or needs_ in allowed)


def _snapshot(case: Case, fields: tuple[str, ...], partner_note: str | None) -> str:
    values: dict[str, str | None] = {}
    for name in fields:
        if name == "age_band":
            values[name] = case.birth_year_band
        elif name == "date_of_birth":
            values[name] = case.date_of_birth.isoformat() if case.date_of_birth else None
        else:
            values[name] = getattr(case, name)
    values["need_note"] = partner_note
    return json.dumps(values, ensure_ascii=False)


@_locked
def send(referral: Referral, *, actor: User, version: int | None, fields: list[str],
         referred_on: date | None, partner_note: str | None, note: str | None = None) -> None:
    """Send a draft: consent checked for the category on the referral date and today, the
    partner's copy (only ``fields``) encrypted, deadlines set, need marked referred.

    Raises DomainError (nothing written) for a wrong side or status, a stale form, no valid
    consent, a field she did not consent to share, or a bad date; StaleObjectError when
    someone else acted first.
    """
    _guard(referral, "send", actor, version)
    case = referral.case
    if case.status != "open":
        raise _refuse(_l("Reopen the case before referring."))
    provider = referral.provider
    if not provider.active:
        raise _refuse(_l("This partner is no longer active; choose another one."))
    if referral.need.status in NEED_ENDED_STATUSES:
        raise _refuse(_l("This need has ended; identify it again before referring."))
    reason = check_date(referred_on, field="effective_date", not_before=referral.need.identified_on,
                        not_before_message=REFERRAL_BEFORE_IDENTIFIED,
                        backdate_reason=note, reason_field="note")
    if referred_on is None:  # check_date refused it already; this narrows the type
        raise _refuse(_l("Enter a date."), "effective_date")
    if (consents.valid_share_consent(case, referral.category, referred_on) is None
            or consents.valid_share_consent(case, referral.category, today()) is None):
        raise _refuse(_l("She has not given a valid consent to share her details with partners "
                         "of this service category. Record her consent first."), "fields")
    chosen = tuple(name for name in SHARE_OPTIONS if name in set(fields))
    unknown = set(fields) - set(SHARE_OPTIONS)
    allowed = set(allowed_share_fields(referral, referred_on)) & set(allowed_share_fields(referral))
    if unknown or not set(chosen) <= allowed:
        raise _refuse(_l("Share only the details she consented to share with this service."),
                      "fields")
    partner_note = clean_text(partner_note, limit=PARTNER_NOTE_MAX, field="partner_note",
                              multiline=True)
    event_note = clean_text(note, limit=NOTE_MAX, field="note", multiline=True)
    # The partner's copy is the consent's business, not the state machine's: written here.
    referral.shared_fields = ",".join(chosen)
    referral.shared_data = _snapshot(case, chosen, partner_note)
    _move(referral, "send", _step(referral, actor, referred_on), actor, event_note or reason,
          extra={"fields": referral.shared_fields})
    audit.record("referral.shared", target_type="referral", target_id=referral.id, actor=actor,
                 fields=chosen, details={"provider": provider.code, "category": referral.category})
    _notify(referral, "referral_received", to_partner=True)
    notifications.mark_read_for_referral(actor, referral.id)
    from casework.services import partner_links  # a provider without an account gets a link

    partner_links.on_sent(referral, actor=actor)
    _flush(referral)


# --- Partner and caseworker moves -------------------------------------------------------------

@dataclass
class ActionInput:
    effective_date: date | None = None
    reason_code: str | None = None
    outcome_code: str | None = None
    note: str | None = None


def _guard(referral: Referral, action: str, actor: User | LinkActor,
           version: int | None) -> flow.Transition:
    require_accepts_entries(referral.case)
    step = flow.transition(action)
    refusal = flow.refusal(action, referral.status, referral_side(actor, referral))
    if step is None or refusal is not None:
        raise _refuse(refusal)
    if action.startswith("review_") and referral.review_outcome is not None:
        raise _refuse(_l("This decline was already reviewed."))
    if action in flow.VERIFY_ACTIONS and not flow.awaiting_verification(referral):
        raise _refuse(_l("This uptake is not waiting for a supervisor's verification."))
    _check_version(referral, version)
    return step


def _earliest(referral: Referral, action: str) -> tuple[date | None, Any]:
    if action in ("complete", "not_complete"):
        start = referral.uptake_on or referral.answered_on or referral.referred_on
        return start, _l("The date cannot be before the service started or the referral "
                         "was answered.")
    if action == "cancel" and referral.referred_on is None:
        return referral.need.identified_on, _l("The date cannot be before the need was "
                                                "identified.")
    return referral.referred_on, _l("The date cannot be before the referral was sent.")


@_locked
def act(referral: Referral, action: str, data: ActionInput, *, actor: User | LinkActor,
        version: int | None) -> ReferralEvent:
    """Take ``action`` (any transition but ``send``) with the inputs the table requires.

    Raises DomainError (status unchanged, nothing written) for an action this actor may not
    take now, a stale or replayed form, an unknown reason or outcome code, a missing note, a
    date in the future or before the referral; StaleObjectError when someone acted first.
    """
    if action == "send":
        raise _refuse(_l("This action does not exist."))
    step = _guard(referral, action, actor, version)
    reason_code = data.reason_code or None
    if step.reasons is not None and reason_code not in step.reasons:
        raise _refuse(_l("Choose a reason from the list."), "reason_code")
    if step.reasons is None:
        reason_code = None
    outcome = data.outcome_code or None
    if step.outcomes is not None and outcome not in step.outcomes:
        raise _refuse(_l("Choose an outcome from the list."), "outcome_code")
    if step.outcomes is None:
        outcome = None
    note = clean_text(data.note, limit=NOTE_MAX, field="note", multiline=True)
    if step.note_required and not note:
        raise _refuse(_l("Add a short note for the caseworker."), "note")
    if flow.EFFECTIVE_DATE in step.inputs:
        earliest, message = _earliest(referral, action)
        check_date(data.effective_date, field="effective_date", not_before=earliest,
                   not_before_message=message, backdate_reason=note, reason_field="note")
        on: date = data.effective_date  # type: ignore[assignment]
    elif action == "verify_uptake" and referral.uptake_on is not None:
        on = referral.uptake_on  # the need is connected from the day she started
    else:
        on = today()
    event = _move(referral, action, _step(referral, actor, on, reason_code or outcome),
                  actor, note)
    _notify_after(referral, action)
    notifications.mark_read_for_referral(actor, referral.id)  # acted on: her notices are read
    _flush(referral)
    return event


def _step(referral: Referral, actor: User | LinkActor, on: date,
          code: str | None = None) -> flow.Step:
    provider = referral.provider
    return flow.Step(on=on, code=code, actor_id=actor.id, now=utcnow(),
                     response_days=provider.response_days,
                     followup_days=provider.followup_days,
                     provenance=UPTAKE_PARTNER_LINK if isinstance(actor, LinkActor) else None)


def _move(referral: Referral, action: str, step: flow.Step, actor: User | LinkActor,
          note: str | None, extra: dict[str, Any] | None = None) -> ReferralEvent:
    """Set what the table's executor says, record the event and audit it, move the need.

    Raises DomainError when the move is not possible from the referral's status, or (from
    :mod:`needs`) when the need's date rules refuse it; the view then rolls back.
    """
    from_status = referral.status
    if isinstance(actor, LinkActor):  # the link's identity on the event (no user)
        extra = {**(extra or {}), "link": actor.link_id}
    for name, value in flow.effects(action, referral, step).items():
        setattr(referral, name, value)
    code = flow.event_code(action, step.code)
    event = ReferralEvent(referral_id=referral.id, subject_id=referral.subject_id, action=action,
                          from_status=from_status, to_status=referral.status,
                          effective_date=step.on, actor_id=actor.id, actor_role=actor.role,
                          reason_code=code, details=json.dumps(extra) if extra else None)
    event.note = note
    db.session.add(event)
    audit.record(f"referral.{action}", target_type="referral", target_id=referral.id,
                 actor=actor, details={"from": from_status, "to": referral.status,
                                       "code": code or "", "on": step.on.isoformat()})
    _move_need(referral, action, step.on, actor, was_live=from_status in LIVE_STATUSES)
    return event


def _move_need(referral: Referral, action: str, on: date, actor: User | LinkActor, *,
               was_live: bool) -> None:
    """The need follows the referral as :func:`referral_flow.need_change` says."""
    need = referral.need
    other_live = action in flow.RELEASING and db.session.scalar(select(Referral.id).where(
        Referral.need_id == referral.need_id, Referral.id != referral.id,
        Referral.status.in_(LIVE_STATUSES))) is not None
    change = flow.need_change(action, need.status, on=on, identified_on=need.identified_on,
                              was_live=was_live, other_live=other_live)
    if change is None:
        return
    if change.to_status == "referred":
        needs.mark_referred(need, change.on, actor)
    elif change.to_status == "connected":
        needs.mark_connected(need, change.on, actor)
    else:
        needs.return_to_identified(need, change.on, actor, change.reason or "")


def cancel_for_erasure(case: Case, *, actor: User, on: date) -> int:
    """Her data is about to be erased: cancel every open referral of ``case`` (drafts too).

    Partners lose access at once (the portal shows only live referrals) and are told by a
    notice carrying the partner reference only; needs worked on return to "identified".
    Returns the number cancelled. Called by ``subject_rights.erase_case`` before the keys go.
    """
    rows = db.session.scalars(select(Referral).where(
        Referral.case_id == case.id, Referral.status.in_(tuple(REFERRAL_OPEN_STATUSES)))).all()
    for referral in rows:
        day = max(on, referral.referred_on or on)
        _move(referral, "cancel", _step(referral, actor, day, "other"), actor, None,
              extra={"via": "erasure"})
        _notify_after(referral, "cancel")
    db.session.flush()
    return len(rows)


# --- Notices ----------------------------------------------------------------------------------

_NOTICE = {"accept": "referral_accepted", "decline": "referral_declined",
           "hold": "referral_on_hold", "confirm_uptake": "uptake_confirmed",
           "complete": "referral_completed", "not_complete": "referral_not_completed",
           "cancel": "referral_cancelled", "review_agree": "review_agreed",
           "review_refer_elsewhere": "review_refer_elsewhere",
           "report_uptake": "uptake_reported", "verify_uptake": "uptake_verified",
           "reject_uptake": "uptake_rejected"}


def _partner_users(referral: Referral) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.provider_id == referral.provider_id, User.role == "partner",
        User.active.is_(True))))


def _caseworkers(referral: Referral) -> list[User]:
    return [u for u in (referral.sent_by, referral.created_by) if u is not None]


def _supervisors(referral: Referral) -> list[User]:
    unit: OrgUnit = referral.case.org_unit
    rows = db.session.scalars(select(User).join(OrgUnit, User.org_unit_id == OrgUnit.id).where(
        User.role == "supervisor", User.active.is_(True)))
    return [u for u in rows if u.org_unit is not None and unit.is_within(u.org_unit)]


def partner_users(referral: Referral) -> list[User]:
    """The provider's active partner accounts (reminders go to them)."""
    return _partner_users(referral)


def caseworkers(referral: Referral) -> list[User]:
    """Who sent or drafted the referral."""
    return _caseworkers(referral)


def supervisors(referral: Referral) -> list[User]:
    """Active supervisors of the case's unit or a unit above it (escalations go to them)."""
    return _supervisors(referral)


def _notify(referral: Referral, kind: str, *, to_partner: bool) -> None:
    """Partners' notices carry the partner reference only (the case number names her commune)."""
    users = _partner_users(referral) if to_partner else _caseworkers(referral)
    link = (f"/partner/referrals/{referral.id}" if to_partner else f"/referrals/{referral.id}")
    notifications.notify(users, kind, link=link,
                         case_number=None if to_partner else referral.case.case_number,
                         reference=referral.partner_reference, referral_id=referral.id)


def _notify_after(referral: Referral, action: str) -> None:
    kind = _NOTICE[action]
    if action == "report_uptake":  # to the supervisors who verify it (their queue)
        notifications.notify(_supervisors(referral), kind, link=f"/referrals/{referral.id}",
                             case_number=referral.case.case_number,
                             reference=referral.partner_reference, referral_id=referral.id)
        return
    if action == "cancel":
        if referral.referred_on is not None:
            _notify(referral, kind, to_partner=True)
        return
    _notify(referral, kind, to_partner=False)
    if action == "decline":
        notifications.notify(_supervisors(referral), "decline_to_review",
                             link=f"/referrals/{referral.id}",
                             case_number=referral.case.case_number,
                             reference=referral.partner_reference, referral_id=referral.id)


# --- Overdue, partner copy, performance -------------------------------------------------------

def overdue_filter(on: date | None = None) -> Any:
    """THE overdue rule as a SQL condition on ``Referral`` (use it in any ``select(Referral)``).

    A referral is overdue on day ``on`` (default: today in Vietnam) when it is

    * ``sent`` and still unanswered after its ``response_due_on`` (sent date + the provider's
      response days), or
    * ``accepted`` or ``on_hold`` with no uptake after its ``uptake_due_on`` (acceptance date +
      the provider's follow-up days).

    "After" means strictly later: on the due day itself it is not yet overdue. Example, a
    caseworker's worklist: ``select(Referral).where(Referral.case_id.in_(scoped_case_ids),
    overdue_filter())``.
    """
    day = on or today()
    return or_(
        and_(Referral.status == "sent", Referral.response_due_on < day),
        and_(Referral.status.in_(("accepted", "on_hold")), Referral.uptake_on.is_(None),
             Referral.uptake_due_on < day),
    )


def is_overdue(referral: Referral, on: date | None = None) -> bool:
    """The same rule as :func:`overdue_filter`, for one loaded referral."""
    day = on or today()
    if referral.status == "sent":
        return referral.response_due_on is not None and referral.response_due_on < day
    if referral.status in ("accepted", "on_hold") and referral.uptake_on is None:
        return referral.uptake_due_on is not None and referral.uptake_due_on < day
    return False


def partner_copy(referral: Referral) -> dict[str, str]:
    """What the partner may see now: the shared fields still covered by a valid consent.

    The stored copy holds what was chosen at sending; a later consent that covers fewer fields
    narrows what is shown. Without a valid consent the partner sees nothing (the loader answers
    404 before this is called). The need's note is always part of the copy.
    """
    if not referral.shared_data:
        return {}
    data = json.loads(referral.shared_data)
    allowed = set(allowed_share_fields(referral))
    shown = {name: data.get(name) for name in referral.shared_fields.split(",")
             if name and name in allowed and data.get(name)}
    if data.get("need_note"):
        shown["need_note"] = data["need_note"]
    return shown


@dataclass(frozen=True)
class Performance:
    received: int
    answered: int
    answered_on_time: int
    median_response_days: float | None
    accepted: int
    taken_up: int
    median_days_to_uptake: float | None

    @property
    def uptake_rate(self) -> float | None:
        return self.taken_up / self.accepted if self.accepted else None

    @property
    def on_time_rate(self) -> float | None:
        return self.answered_on_time / self.answered if self.answered else None


PERFORMANCE_ACCEPTED = ("accepted", "on_hold", "in_service", "completed", "not_completed")


def performance_query(*conditions: Any) -> Any:
    """THE rows partner performance is computed from (shared with supervision's table).

    Referrals actually sent (``referred_on`` set) and not cancelled, with ``provider_id`` first;
    callers add their own ``conditions`` (one partner, a period, a unit's cases).
    """
    return select(Referral.provider_id, Referral.referred_on, Referral.answered_on,
                  Referral.response_due_on, Referral.status, Referral.uptake_on).where(
        Referral.referred_on.is_not(None), Referral.status != "cancelled", *conditions)


def summarise_performance(rows: Any) -> Performance:
    """One partner's :class:`Performance` from :func:`performance_query` rows."""
    rows = list(rows)
    answered = [r for r in rows if r.answered_on is not None]
    accepted = [r for r in answered if r.status in PERFORMANCE_ACCEPTED]
    taken = [r for r in rows if r.uptake_on is not None]
    return Performance(
        received=len(rows), answered=len(answered),
        answered_on_time=sum(1 for r in answered
                             if r.response_due_on is None or r.answered_on <= r.response_due_on),
        median_response_days=(median((r.answered_on - r.referred_on).days for r in answered)
                              if answered else None),
        accepted=len(accepted), taken_up=len(taken),
        median_days_to_uptake=(median((r.uptake_on - r.referred_on).days for r in taken)
                               if taken else None),
    )


def performance(provider: ServiceProvider, *, since: date | None = None) -> Performance:
    """Response time and uptake for one partner, over referrals sent since ``since``.

    Uses referral metadata only (no personal data). "Accepted" counts every referral that was
    ever accepted (including those later in service, completed or not completed). Supervision
    computes its per-partner table with the same :func:`performance_query` and
    :func:`summarise_performance`, so a partner and its supervisor see the same rates.
    """
    conditions = [Referral.provider_id == provider.id]
    if since is not None:
        conditions.append(Referral.referred_on >= since)
    return summarise_performance(db.session.execute(performance_query(*conditions)).all())
