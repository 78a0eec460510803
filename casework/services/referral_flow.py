"""THE referral state machine, as data: one table of transitions.

Each :class:`Transition` says which action moves a referral from which statuses to which status,
who may take it (``side``: the ``caseworker`` of the case's unit subtree, a ``partner`` user of the
receiving provider, or a ``supervisor`` of the case's unit subtree), what the person must give
(``inputs``) and what it writes (``write``, one small function per move; ``records`` names the
attributes it sets and is checked against it). :func:`effects` is the one executor: the
referral services (forms, API) and the import both set exactly what it returns, and
:func:`need_change` says what a move does to the referral's need. The pages ask
:func:`allowed_actions` which buttons to show; nothing else decides.

Statuses (``domain.REFERRAL_STATUSES``)::

    draft ─send─▶ sent ─accept─▶ accepted ─confirm_uptake─▶ in_service ─complete─▶ completed
                   │  ╲─decline─▶ declined (─review_agree / review_refer_elsewhere: supervisor)
                   │   ╲─hold─▶ on_hold ─accept / decline / confirm_uptake / not_complete─▶ …
                   └ any open status ─cancel (caseworker)─▶ cancelled
    accepted / on_hold / in_service ─not_complete─▶ not_completed

``to_status`` None means the status does not change (a supervisor's review of a decline).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from casework.domain import (
    NEED_ENDED_STATUSES,
    REFERRAL_STATUSES,
    UPTAKE_CASEWORKER_REPORT,
    UPTAKE_PAPER_IMPORT,
    UPTAKE_PARTNER_ACCOUNT,
)
from casework.services.errors import DomainError

CASEWORKER = "caseworker"
PARTNER = "partner"
SUPERVISOR = "supervisor"
SIDES = (CASEWORKER, PARTNER, SUPERVISOR)

# Inputs a transition may require (form field names, also the service's keyword arguments).
EFFECTIVE_DATE = "effective_date"
REASON = "reason_code"
NOTE = "note"
OUTCOME = "outcome_code"

DECLINE_REASONS: dict[str, Any] = {
    "not_eligible": _l("She does not meet the service's conditions"),
    "no_capacity": _l("No place or capacity now"),
    "outside_area": _l("Outside our service area"),
    "service_not_offered": _l("We do not offer this service"),
    "could_not_contact": _l("Could not contact her"),
    "she_declined": _l("She did not want the service"),
    "other": _l("Other reason (see note)"),
}
HOLD_REASONS: dict[str, Any] = {
    "waiting_list": _l("On a waiting list"),
    "next_course": _l("Waiting for the next course or intake"),
    "documents_missing": _l("Waiting for documents"),
    "contacting": _l("Still trying to contact her"),
    "other": _l("Other reason (see note)"),
}
OUTCOMES: dict[str, Any] = {
    "certificate_obtained": _l("Certificate obtained"),
    "loan_disbursed": _l("Loan disbursed"),
    "job_placed": _l("Job found"),
    "legal_matter_resolved": _l("Legal matter resolved"),
    "papers_issued": _l("Papers issued"),
    "treatment_ongoing": _l("Treatment started and continuing"),
    "business_started": _l("Business started"),
    "support_provided": _l("Support provided"),
    "other": _l("Other outcome (see note)"),
}
NOT_COMPLETED_REASONS: dict[str, Any] = {
    "did_not_attend": _l("She did not come"),
    "dropped_out": _l("She stopped attending"),
    "moved_away": _l("She moved away"),
    "not_eligible": _l("Found not eligible"),
    "service_ended": _l("The service stopped"),
    "other": _l("Other reason (see note)"),
}
CANCEL_REASONS: dict[str, Any] = {
    "she_changed_mind": _l("She changed her mind"),
    "wrong_partner": _l("Sent to the wrong partner"),
    "need_met_otherwise": _l("The need was met another way"),
    "consent_withdrawn": _l("She withdrew her consent"),
    "case_closed": _l("The case was closed"),
    "other": _l("Other reason (see note)"),
}
#: How a caseworker knows she started (a caseworker's report of uptake, DOMAIN.md).
UPTAKE_EVIDENCE: dict[str, Any] = {
    "showed_paper": _l("She showed a paper from the partner"),
    "called_partner": _l("The caseworker called the partner"),
    "home_visit": _l("Seen on a home visit"),
}
REVIEW_OUTCOMES: dict[str, Any] = {
    "agreed": _l("Decline agreed"),
    "refer_elsewhere": _l("Refer elsewhere"),
}


@dataclass(frozen=True)
class Step:
    """What one move is given: the effective day, a reason or outcome code, who acts and when,
    and the partner's response and follow-up days (for the due dates).

    ``paper`` marks a move copied from a paper file by the import: nobody confirmed it in
    Casework, so an uptake from paper names no confirming user and no confirmation time.
    """

    on: date
    code: str | None = None
    actor_id: int | None = None
    now: datetime | None = None
    response_days: int = 0
    followup_days: int = 0
    paper: bool = False
    provenance: str | None = None  # how an uptake became known, when not the partner's account


#: Reads one attribute of the referral, whether an ORM object or a mapping (the import's rows).
Read = Callable[[str], Any]
Write = Callable[[Read, Step], dict[str, Any]]


def _send(get: Read, s: Step) -> dict[str, Any]:
    return {"referred_on": s.on, "response_due_on": s.on + timedelta(days=s.response_days),
            "sent_at": s.now, "sent_by_id": s.actor_id}


def _accept(get: Read, s: Step) -> dict[str, Any]:
    return {"answered_on": get("answered_on") or s.on,
            "uptake_due_on": s.on + timedelta(days=s.followup_days)}


def _hold(get: Read, s: Step) -> dict[str, Any]:
    return {"answered_on": get("answered_on") or s.on,
            "uptake_due_on": get("uptake_due_on") or s.on + timedelta(days=s.followup_days),
            "reason_code": s.code}


def _decline(get: Read, s: Step) -> dict[str, Any]:
    return {"answered_on": get("answered_on") or s.on, "ended_on": s.on, "reason_code": s.code}


def _confirm_uptake(get: Read, s: Step) -> dict[str, Any]:
    provenance = s.provenance or (UPTAKE_PAPER_IMPORT if s.paper else UPTAKE_PARTNER_ACCOUNT)
    return {"uptake_on": s.on,
            "uptake_confirmed_at": None if s.paper else s.now,
            "uptake_confirmed_by_id": None if s.paper else s.actor_id,
            "uptake_provenance": provenance}


_UPTAKE_FIELDS = ("uptake_on", "uptake_confirmed_at", "uptake_confirmed_by_id",
                  "uptake_provenance", "uptake_evidence", "uptake_verified_at",
                  "uptake_verified_by_id")


def _report_uptake(get: Read, s: Step) -> dict[str, Any]:
    """A caseworker's report: it counts only once a supervisor verifies it (DOMAIN.md)."""
    return {"uptake_on": s.on, "uptake_confirmed_at": s.now, "uptake_confirmed_by_id": s.actor_id,
            "uptake_provenance": UPTAKE_CASEWORKER_REPORT, "uptake_evidence": s.code}


def _verify_uptake(get: Read, s: Step) -> dict[str, Any]:
    return {"uptake_verified_at": s.now, "uptake_verified_by_id": s.actor_id}


def _reject_uptake(get: Read, s: Step) -> dict[str, Any]:
    """Not verified: the report is withdrawn and the referral waits for her uptake again."""
    return {**dict.fromkeys(_UPTAKE_FIELDS), "answered_on": get("answered_on") or s.on,
            "uptake_due_on": get("uptake_due_on") or s.on + timedelta(days=s.followup_days)}


def _complete(get: Read, s: Step) -> dict[str, Any]:
    return {"ended_on": s.on, "outcome_code": s.code}


def _end(get: Read, s: Step) -> dict[str, Any]:
    return {"ended_on": s.on, "reason_code": s.code}


def _review(outcome: str) -> Write:
    def write(get: Read, s: Step) -> dict[str, Any]:
        return {"review_outcome": outcome, "reviewed_at": s.now}
    return write


@dataclass(frozen=True)
class Transition:
    action: str
    from_statuses: frozenset[str]
    to_status: str | None
    side: str
    label: Any
    write: Write
    records: tuple[str, ...]  # the referral attributes ``write`` sets (besides the status)
    inputs: tuple[str, ...] = ()
    reasons: dict[str, Any] | None = None  # the code list for REASON, when required
    outcomes: dict[str, Any] | None = None  # the code list for OUTCOME, when required
    note_required: bool = False
    danger: bool = False  # shown as a red button
    clears: tuple[str, ...] = ()  # the attributes ``write`` empties (set to None)


OPEN = frozenset({"draft", "sent", "accepted", "on_hold", "in_service"})

TRANSITIONS: tuple[Transition, ...] = (
    Transition("send", frozenset({"draft"}), "sent", CASEWORKER, _l("Send to the partner"),
               _send, ("referred_on", "response_due_on", "sent_at", "sent_by_id"),
               inputs=(EFFECTIVE_DATE, NOTE)),
    Transition("accept", frozenset({"sent", "on_hold"}), "accepted", PARTNER, _l("Accept"),
               _accept, ("answered_on", "uptake_due_on"), inputs=(EFFECTIVE_DATE, NOTE)),
    Transition("decline", frozenset({"sent", "on_hold"}), "declined", PARTNER, _l("Decline"),
               _decline, ("answered_on", "ended_on", "reason_code"),
               inputs=(EFFECTIVE_DATE, REASON, NOTE), reasons=DECLINE_REASONS,
               note_required=True, danger=True),
    Transition("hold", frozenset({"sent", "accepted"}), "on_hold", PARTNER, _l("Put on hold"),
               _hold, ("answered_on", "uptake_due_on", "reason_code"),
               inputs=(EFFECTIVE_DATE, REASON, NOTE), reasons=HOLD_REASONS),
    Transition("confirm_uptake", frozenset({"accepted", "on_hold"}), "in_service", PARTNER,
               _l("Confirm she started the service"), _confirm_uptake,
               ("uptake_on", "uptake_confirmed_at", "uptake_confirmed_by_id", "uptake_provenance"),
               inputs=(EFFECTIVE_DATE, NOTE)),
    # A caseworker's report of uptake (she showed a paper, a call, a home visit), and the
    # supervisor's verdict on it: verified (it counts from now) or not (back to accepted).
    Transition("report_uptake", frozenset({"sent", "accepted", "on_hold"}), "in_service",
               CASEWORKER, _l("Report that she started the service"), _report_uptake,
               _UPTAKE_FIELDS[:5], inputs=(EFFECTIVE_DATE, REASON, NOTE),
               reasons=UPTAKE_EVIDENCE),
    Transition("verify_uptake", frozenset({"in_service", "completed", "not_completed"}), None,
               SUPERVISOR, _l("Verify the reported uptake"), _verify_uptake,
               ("uptake_verified_at", "uptake_verified_by_id"), inputs=(NOTE,)),
    Transition("reject_uptake", frozenset({"in_service"}), "accepted", SUPERVISOR,
               _l("Do not verify: back to accepted"), _reject_uptake,
               ("answered_on", "uptake_due_on"), inputs=(NOTE,), note_required=True,
               danger=True, clears=_UPTAKE_FIELDS),
    Transition("complete", frozenset({"in_service"}), "completed", PARTNER, _l("Completed"),
               _complete, ("ended_on", "outcome_code"),
               inputs=(EFFECTIVE_DATE, OUTCOME, NOTE), outcomes=OUTCOMES),
    Transition("not_complete", frozenset({"accepted", "on_hold", "in_service"}),
               "not_completed", PARTNER, _l("Not completed"), _end, ("ended_on", "reason_code"),
               inputs=(EFFECTIVE_DATE, REASON, NOTE), reasons=NOT_COMPLETED_REASONS,
               danger=True),
    Transition("cancel", OPEN, "cancelled", CASEWORKER, _l("Cancel the referral"), _end,
               ("ended_on", "reason_code"), inputs=(EFFECTIVE_DATE, REASON, NOTE),
               reasons=CANCEL_REASONS, danger=True),
    Transition("review_agree", frozenset({"declined"}), None, SUPERVISOR,
               _l("Agree with the decline"), _review("agreed"),
               ("review_outcome", "reviewed_at"), inputs=(NOTE,)),
    Transition("review_refer_elsewhere", frozenset({"declined"}), None, SUPERVISOR,
               _l("Ask the caseworker to refer elsewhere"), _review("refer_elsewhere"),
               ("review_outcome", "reviewed_at"), inputs=(NOTE,)),
)
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTIONS = tuple(BY_ACTION)
PARTNER_ACTIONS = tuple(t.action for t in TRANSITIONS if t.side == PARTNER)
STATUSES = tuple(REFERRAL_STATUSES)

assert set(STATUSES) >= {s for t in TRANSITIONS for s in t.from_statuses}  # noqa: S101


def transition(action: str) -> Transition | None:
    return BY_ACTION.get(action)


def refusal(action: str, status: str, side: str | None) -> Any | None:
    """Why ``side`` may not take ``action`` on a referral in ``status`` now; None when allowed.

    The messages are shown to the person, so they say what is wrong in plain words.
    """
    step = BY_ACTION.get(action)
    if step is None:
        return _l("This action does not exist.")
    if side != step.side:
        return _l("You cannot take this action on this referral.")
    if status not in step.from_statuses:
        return _l("This action is not possible while the referral is “%(status)s”.",
                  status=REFERRAL_STATUSES.get(status, status))
    return None


def allowed_actions(status: str, side: str | None) -> list[Transition]:
    """The transitions ``side`` may take now, in table order (what the page shows as buttons)."""
    return [t for t in TRANSITIONS if t.side == side and status in t.from_statuses]


def _reader(referral: Mapping[str, Any] | Any) -> Read:
    if isinstance(referral, Mapping):
        return referral.get
    return lambda name: getattr(referral, name)


def effects(action: str, referral: Mapping[str, Any] | Any, step: Step) -> dict[str, Any]:
    """THE executor: the attributes ``action`` sets on ``referral`` (an ORM object or a row
    mapping), with its new ``status`` when the move changes it. It writes nothing itself: the
    caller sets exactly these (``setattr`` or ``dict.update``).

    Raises DomainError (the refusal's message) when the action does not exist or is not
    possible from the referral's status; who may act is the caller's check (:func:`refusal`).
    """
    get = _reader(referral)
    status = get("status")
    move = BY_ACTION.get(action)
    if move is None or status not in move.from_statuses:
        raise DomainError(refusal(action, status, move.side if move else None))
    values = move.write(get, step)
    if move.to_status is not None:
        values["status"] = move.to_status
    return values


def event_code(action: str, code: str | None) -> str | None:
    """The code a move's event keeps: its reason or outcome, when the move takes one."""
    move = BY_ACTION[action]
    return code if move.reasons is not None or move.outcomes is not None else None


#: A supervisor's verdict on a caseworker's report of uptake (offered only while one waits).
VERIFY_ACTIONS = frozenset({"verify_uptake", "reject_uptake"})


def awaiting_verification(referral: Mapping[str, Any] | Any) -> bool:
    """An uptake reported by a caseworker that no supervisor has verified yet (the pipeline)."""
    get = _reader(referral)
    return (get("uptake_provenance") == UPTAKE_CASEWORKER_REPORT
            and get("uptake_on") is not None and get("uptake_verified_at") is None)


#: Moves that give the need back when the referral was the one working on it.
RELEASING = frozenset({"decline", "not_complete", "cancel"})


@dataclass(frozen=True)
class NeedChange:
    to_status: str
    on: date
    reason: str | None = None  # a short code kept on the need's event


def need_change(action: str, need_status: str, *, on: date, identified_on: date,
                was_live: bool, other_live: bool) -> NeedChange | None:
    """What ``action`` (dated ``on``) does to the referral's need, or None.

    Sending moves an identified need to "referred"; an uptake makes it "connected"; a decline,
    a non-completion or the cancelling of a live referral returns a "referred" need to
    "identified" (dated no earlier than it was identified) unless ``other_live`` (another
    referral still works on it). A need that ended (declined by her, no longer needed) is never
    moved: the forms refuse to send or confirm for it; the import's paper history predates it.
    """
    if need_status in NEED_ENDED_STATUSES:
        return None
    if action == "send" and need_status == "identified":
        return NeedChange("referred", on)
    if action in ("confirm_uptake", "verify_uptake") and need_status != "connected":
        return NeedChange("connected", on)  # a caseworker's report: once verified
    if action in RELEASING and was_live and not other_live and need_status == "referred":
        to_status = BY_ACTION[action].to_status
        return NeedChange("identified", max(on, identified_on), f"referral_{to_status}")
    return None
