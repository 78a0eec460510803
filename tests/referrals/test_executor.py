"""The transition table is what writes: one executor, exactly the attributes each move declares.

``referral_flow.effects`` is used by the forms, the erasure and the import alike; these tests
hold it to the table (``records``, ``to_status``, ``from_statuses``) and pin the one thing paper
does differently (an uptake from paper names no confirming user).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from casework.domain import REFERRAL_STATUSES
from casework.services import referral_flow as flow
from casework.services.errors import DomainError

ON = date(2024, 5, 10)
NOW = datetime(2024, 5, 10, 3, 0)
STEP = flow.Step(on=ON, code="other", actor_id=7, now=NOW, response_days=5, followup_days=10)
#: Every referral attribute a move could write, empty, so nothing is set "by accident".
EMPTY = {name: None for t in flow.TRANSITIONS for name in (*t.records, *t.clears)}


@pytest.mark.parametrize("move", flow.TRANSITIONS, ids=lambda t: t.action)
def test_every_move_writes_exactly_what_the_table_declares(move):
    for status in sorted(move.from_statuses):
        values = flow.effects(move.action, {**EMPTY, "status": status}, STEP)
        assert set(values) - {"status"} == {*move.records, *move.clears}, (move.action, status)
        assert values.get("status") == move.to_status, (move.action, status)
        assert all(values[name] is not None for name in move.records), (move.action, values)
        assert all(values[name] is None for name in move.clears), (move.action, values)


@pytest.mark.parametrize("move", flow.TRANSITIONS, ids=lambda t: t.action)
def test_a_move_from_a_status_the_table_does_not_allow_is_refused(move):
    for status in REFERRAL_STATUSES:
        if status in move.from_statuses:
            continue
        with pytest.raises(DomainError, match="not possible"):
            flow.effects(move.action, {**EMPTY, "status": status}, STEP)


def test_an_unknown_action_is_refused():
    with pytest.raises(DomainError):
        flow.effects("reopen", {**EMPTY, "status": "sent"}, STEP)


class Obj:
    """A referral given as an object (the ORM path reads attributes, not keys)."""

    def __init__(self, **values):
        self.__dict__.update(values)


def test_an_object_and_a_mapping_get_the_same_values():
    row = {**EMPTY, "status": "on_hold", "answered_on": date(2024, 5, 1),
           "uptake_due_on": date(2024, 5, 11)}
    assert flow.effects("accept", row, STEP) == flow.effects("accept", Obj(**row), STEP)


def test_due_dates_and_a_first_answer_that_stays():
    sent = flow.effects("send", {**EMPTY, "status": "draft"}, STEP)
    assert (sent["referred_on"], sent["response_due_on"], sent["sent_by_id"]) == (
        ON, date(2024, 5, 15), 7)
    held = {**EMPTY, "status": "on_hold", "answered_on": date(2024, 5, 2),
            "uptake_due_on": date(2024, 5, 12)}
    accepted = flow.effects("accept", held, STEP)
    assert accepted == {"answered_on": date(2024, 5, 2), "uptake_due_on": date(2024, 5, 20),
                        "status": "accepted"}
    assert flow.effects("hold", held | {"status": "sent"}, STEP)["uptake_due_on"] == date(
        2024, 5, 12)


def test_a_paper_uptake_names_no_confirming_user_and_no_time_and_says_it_came_from_paper():
    accepted = {**EMPTY, "status": "accepted"}
    typed = flow.effects("confirm_uptake", accepted, STEP)
    paper = flow.effects("confirm_uptake", accepted,
                         flow.Step(on=ON, actor_id=7, now=NOW, paper=True))
    assert (typed["uptake_confirmed_by_id"], typed["uptake_confirmed_at"]) == (7, NOW)
    assert typed["uptake_provenance"] == "partner_account"
    assert paper == {"uptake_on": ON, "uptake_confirmed_at": None,
                     "uptake_confirmed_by_id": None, "uptake_provenance": "paper_import",
                     "status": "in_service"}


def test_the_event_keeps_a_code_only_for_moves_that_take_one():
    kept = {a for a in flow.ACTIONS if flow.event_code(a, "x") == "x"}
    assert kept == {"decline", "hold", "complete", "not_complete", "cancel", "report_uptake"}


IDENTIFIED = date(2024, 5, 1)


@pytest.mark.parametrize(("action", "need", "was_live", "other_live", "expected"), [
    ("send", "identified", False, False, ("referred", ON, None)),
    ("send", "referred", False, False, None),
    ("send", "connected", False, False, None),
    ("confirm_uptake", "identified", True, False, ("connected", ON, None)),
    ("confirm_uptake", "referred", True, False, ("connected", ON, None)),
    ("confirm_uptake", "connected", True, False, None),
    ("decline", "referred", True, False, ("identified", ON, "referral_declined")),
    ("decline", "referred", True, True, None),
    ("not_complete", "referred", True, False, ("identified", ON, "referral_not_completed")),
    ("not_complete", "connected", True, False, None),
    ("cancel", "referred", True, False, ("identified", ON, "referral_cancelled")),
    ("cancel", "referred", False, False, None),  # a draft never moved the need
    ("accept", "referred", True, False, None),
    ("complete", "connected", True, False, None),
    ("send", "no_longer_needed", False, False, None),
    ("confirm_uptake", "declined_by_her", True, False, None),
])
def test_what_a_move_does_to_its_need(action, need, was_live, other_live, expected):
    change = flow.need_change(action, need, on=ON, identified_on=IDENTIFIED,
                              was_live=was_live, other_live=other_live)
    got = None if change is None else (change.to_status, change.on, change.reason)
    assert got == expected


def test_a_need_given_back_is_never_dated_before_it_was_identified():
    change = flow.need_change("decline", "referred", on=date(2024, 4, 1),
                              identified_on=IDENTIFIED, was_live=True, other_live=False)
    assert change is not None
    assert change.on == IDENTIFIED
