"""THE referral state machine, as data: one table of transitions.

Each :class:`Transition` says which action moves a referral from which statuses to which status,
who may take it (``side``: the ``caseworker`` of the case's unit subtree, a ``partner`` user of the
receiving provider, or a ``supervisor`` of the case's unit subtree), what the person must give
(``inputs``) and which referral attributes it writes (``records``). ``services/referrals.py``
executes it; the pages ask :func:`allowed_actions` which buttons to show; nothing else decides.

Statuses (``domain.REFERRAL_STATUSES``)::

    draft ─send─▶ sent ─accept─▶ accepted ─confirm_uptake─▶ in_service ─complete─▶ completed
                   │  ╲─decline─▶ declined (─review_agree / review_refer_elsewhere: supervisor)
                   │   ╲─hold─▶ on_hold ─accept / decline / confirm_uptake / not_complete─▶ …
                   └ any open status ─cancel (caseworker)─▶ cancelled
    accepted / on_hold / in_service ─not_complete─▶ not_completed

``to_status`` None means the status does not change (a supervisor's review of a decline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from casework.domain import REFERRAL_STATUSES

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
REVIEW_OUTCOMES: dict[str, Any] = {
    "agreed": _l("Decline agreed"),
    "refer_elsewhere": _l("Refer elsewhere"),
}


@dataclass(frozen=True)
class Transition:
    action: str
    from_statuses: frozenset[str]
    to_status: str | None
    side: str
    label: Any
    inputs: tuple[str, ...] = ()
    reasons: dict[str, Any] | None = None  # the code list for REASON, when required
    outcomes: dict[str, Any] | None = None  # the code list for OUTCOME, when required
    records: tuple[str, ...] = ()  # referral attributes this transition sets
    note_required: bool = False
    danger: bool = False  # shown as a red button


OPEN = frozenset({"draft", "sent", "accepted", "on_hold", "in_service"})

TRANSITIONS: tuple[Transition, ...] = (
    Transition("send", frozenset({"draft"}), "sent", CASEWORKER, _l("Send to the partner"),
               inputs=(EFFECTIVE_DATE, NOTE),
               records=("referred_on", "response_due_on", "sent_at", "sent_by_id",
                        "shared_fields", "shared_data")),
    Transition("accept", frozenset({"sent", "on_hold"}), "accepted", PARTNER, _l("Accept"),
               inputs=(EFFECTIVE_DATE, NOTE), records=("answered_on", "uptake_due_on")),
    Transition("decline", frozenset({"sent", "on_hold"}), "declined", PARTNER, _l("Decline"),
               inputs=(EFFECTIVE_DATE, REASON, NOTE), reasons=DECLINE_REASONS,
               records=("answered_on", "ended_on", "reason_code"), note_required=True,
               danger=True),
    Transition("hold", frozenset({"sent", "accepted"}), "on_hold", PARTNER, _l("Put on hold"),
               inputs=(EFFECTIVE_DATE, REASON, NOTE), reasons=HOLD_REASONS,
               records=("reason_code",)),
    Transition("confirm_uptake", frozenset({"accepted", "on_hold"}), "in_service", PARTNER,
               _l("Confirm she started the service"), inputs=(EFFECTIVE_DATE, NOTE),
               records=("uptake_on", "uptake_confirmed_at", "uptake_confirmed_by_id")),
    Transition("complete", frozenset({"in_service"}), "completed", PARTNER, _l("Completed"),
               inputs=(EFFECTIVE_DATE, OUTCOME, NOTE), outcomes=OUTCOMES,
               records=("ended_on", "outcome_code")),
    Transition("not_complete", frozenset({"accepted", "on_hold", "in_service"}),
               "not_completed", PARTNER, _l("Not completed"),
               inputs=(EFFECTIVE_DATE, REASON, NOTE), reasons=NOT_COMPLETED_REASONS,
               records=("ended_on", "reason_code"), danger=True),
    Transition("cancel", OPEN, "cancelled", CASEWORKER, _l("Cancel the referral"),
               inputs=(EFFECTIVE_DATE, REASON, NOTE), reasons=CANCEL_REASONS,
               records=("ended_on", "reason_code"), danger=True),
    Transition("review_agree", frozenset({"declined"}), None, SUPERVISOR,
               _l("Agree with the decline"), inputs=(NOTE,),
               records=("review_outcome", "reviewed_at")),
    Transition("review_refer_elsewhere", frozenset({"declined"}), None, SUPERVISOR,
               _l("Ask the caseworker to refer elsewhere"), inputs=(NOTE,),
               records=("review_outcome", "reviewed_at")),
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
