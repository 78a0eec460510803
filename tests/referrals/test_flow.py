"""The referral state machine, table-driven: every status × every action × every role.

An allowed move lands in the table's status; anything else is refused with a message and
leaves the referral exactly as it was.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.domain import REFERRAL_STATUSES
from casework.extensions import db
from casework.models.referral import Referral
from casework.services import referral_flow as flow
from casework.services import referrals
from casework.services.effective_dates import today
from casework.services.errors import DomainError
from tests.referrals.conftest import bring_to

ACTORS = ("caseworker", "partner", "supervisor", "other_partner", "other_caseworker", "admin")
# Which referral_flow side each actor is on for the loop's referral (None: no side at all).
SIDE = {"caseworker": flow.CASEWORKER, "partner": flow.PARTNER,
        "supervisor": flow.SUPERVISOR}

pytestmark = pytest.mark.usefixtures("english")


def _inputs(action):
    return referrals.ActionInput(
        effective_date=today(), note="Ghi chú",
        reason_code=next(iter(flow.BY_ACTION[action].reasons or {}), None),
        outcome_code=next(iter(flow.BY_ACTION[action].outcomes or {}), None))


def _attempt(referral, action, actor):
    if action == "send":
        referrals.send(referral, actor=actor, version=referral.version,
                       fields=["given_name", "phone"], referred_on=today(),
                       partner_note="Nhu cầu")
    else:
        referrals.act(referral, action, _inputs(action), actor=actor, version=referral.version)


def test_the_table_names_known_statuses_and_every_status_has_a_way_forward_or_is_final():
    final = {"declined", "completed", "not_completed", "cancelled"}
    for status in REFERRAL_STATUSES:
        moves = [t for t in flow.TRANSITIONS if status in t.from_statuses and t.to_status]
        assert bool(moves) != (status in final), status


@pytest.mark.parametrize("status", list(REFERRAL_STATUSES))
def test_every_action_by_every_role_in_every_status(loop, draft, status):
    referral = draft
    if status != "draft":
        referrals.send(referral, actor=loop.caseworker, version=referral.version,
                       fields=["given_name"], referred_on=today() - timedelta(days=2),
                       partner_note=None)
        db.session.commit()
        bring_to(referral, status, loop)
    assert referral.status == status
    for action in flow.ACTIONS:
        step = flow.BY_ACTION[action]
        for name in ACTORS:
            actor = getattr(loop, name)
            allowed = (SIDE.get(name) == step.side and status in step.from_statuses
                       # a verdict only on a caseworker's report waiting for one
                       and (action not in flow.VERIFY_ACTIONS
                            or flow.awaiting_verification(referral)))
            before = (referral.status, referral.version, referral.review_outcome)
            try:
                _attempt(referral, action, actor)
            except DomainError as error:
                refused_with = str(error.message)
                db.session.rollback()
                assert not allowed, (status, action, name, refused_with)
                assert refused_with
                fresh = db.session.get(Referral, referral.id)
                assert (fresh.status, fresh.version, fresh.review_outcome) == before
            else:
                assert allowed, (status, action, name)
                expected = step.to_status or status
                assert referral.status == expected, (status, action, name)
                db.session.rollback()  # undo, try the next combination from the same state
            referral = db.session.get(Referral, referral.id)


def test_pages_offer_only_the_actions_allowed_now(loop, sent):
    names = [t.action for t in referrals.available_actions(sent, loop.partner)]
    assert names == ["accept", "decline", "hold"]
    assert [t.action for t in referrals.available_actions(sent, loop.caseworker)] == [
        "report_uptake", "cancel"]
    assert referrals.available_actions(sent, loop.other_partner) == []
    assert referrals.available_actions(sent, loop.other_caseworker) == []
    assert referrals.available_actions(sent, loop.admin) == []


def test_a_decline_is_reviewed_once(loop, sent):
    bring_to(sent, "declined", loop)
    referrals.act(sent, "review_refer_elsewhere", referrals.ActionInput(note="Thử nơi khác"),
                  actor=loop.supervisor, version=sent.version)
    db.session.commit()
    assert sent.review_outcome == "refer_elsewhere"
    assert referrals.available_actions(sent, loop.supervisor) == []
    with pytest.raises(DomainError, match="already reviewed"):
        referrals.act(sent, "review_agree", referrals.ActionInput(), actor=loop.supervisor,
                      version=sent.version)
