"""Consent and need rules the referrals area builds on (service level)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from casework.extensions import db
from casework.services import consents, needs
from casework.services.errors import DomainError

TODAY = date(2025, 6, 10)


@pytest.fixture(autouse=True)
def _frozen_today(in_request):
    with time_machine.travel(date(2025, 6, 10), tick=False):
        yield


@pytest.fixture
def case(make_case):
    return make_case(intake_date=date(2025, 6, 1))


@pytest.fixture
def worker(make_user):
    return make_user("caseworker")


def _share(case, worker, category="loans", **kw):
    data = consents.ConsentInput(purpose="share", service_category=category,
                                 given_on=kw.pop("given_on", date(2025, 6, 2)),
                                 method="signed_form", **kw)
    consent = consents.record_consent(case, data, actor=worker)
    db.session.commit()
    return consent


def test_a_share_consent_covers_only_its_category_and_dates(case, worker):
    consent = _share(case, worker, expires_on=date(2025, 12, 31))
    assert consents.valid_share_consent(case, "loans", TODAY) == consent
    assert consents.valid_share_consent(case, "jobs", TODAY) is None
    assert consents.valid_share_consent(case, "loans", date(2025, 6, 1)) is None  # before given
    assert consents.valid_share_consent(case, "loans", date(2026, 1, 1)) is None  # expired


def test_withdrawal_takes_effect_at_once(case, worker):
    consent = _share(case, worker)
    consents.withdraw_consent(consent, actor=worker)
    db.session.commit()
    assert consent.withdrawn_on == TODAY
    assert consents.valid_share_consent(case, "loans", TODAY) is None
    assert consents.valid_share_consent(case, "loans", TODAY - timedelta(days=1)) == consent
    with pytest.raises(DomainError):
        consents.withdraw_consent(consent, actor=worker)


def test_shareable_fields_are_what_she_agreed_to(case, worker):
    consent = _share(case, worker, shared_fields=("phone", "history", "full_name"))
    assert consents.shareable_fields(consent) == ("full_name", "phone")  # never the story
    assert consents.shareable_fields(None) == ()


@pytest.mark.parametrize(("changes", "field"), [
    ({"service_category": None}, "service_category"),
    ({"shared_fields": ()}, "shared_fields"),
    ({"given_on": TODAY + timedelta(days=1)}, "given_on"),
    ({"given_on": TODAY - timedelta(days=40)}, "given_on"),  # before the intake date
    ({"expires_on": date(2025, 6, 2)}, "expires_on"),
    ({"method": "verbal_witness"}, "witness_name"),
])
def test_consent_input_is_checked(case, worker, changes, field):
    base = {"purpose": "share", "service_category": "loans", "given_on": date(2025, 6, 2),
            "method": "signed_form"}
    with pytest.raises(DomainError) as caught:
        consents.record_consent(case, consents.ConsentInput(**{**base, **changes}), actor=worker)
    assert caught.value.field == field


def test_a_long_backdated_consent_keeps_its_reason(make_case, worker):
    case = make_case(intake_date=date(2025, 1, 1))
    consent = _share(case, worker, given_on=date(2025, 2, 1),
                     backdate_reason="paper form typed late")
    from casework.models.case import CaseEvent

    event = db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    assert event.kind == "consent_given"
    assert event.backdate_reason is None  # never in clear: encrypted under her data key
    assert event.late_reason.reason == "paper form typed late"
    assert consent.given_on == date(2025, 2, 1)


def test_need_moves_through_referral_statuses_with_events(case, worker):
    need = needs.add_need(case, needs.NeedInput("loans", date(2025, 6, 3), note="vốn nuôi bò"),
                          actor=worker)
    assert needs.mark_referred(need, date(2025, 6, 4), worker)
    assert not needs.mark_referred(need, date(2025, 6, 5), worker)  # a second referral: no event
    assert needs.return_to_identified(need, date(2025, 6, 6), worker, "referral_declined")
    assert needs.mark_referred(need, date(2025, 6, 7), worker)
    assert needs.mark_connected(need, date(2025, 6, 8), worker)
    assert not needs.return_to_identified(need, date(2025, 6, 9), worker, "referral_declined")
    db.session.commit()
    db.session.refresh(need)
    assert need.status == "connected"
    assert need.ended_on is None
    assert [(e.from_status, e.to_status, e.effective_date.day, e.reason) for e in need.events] == [
        (None, "identified", 3, None), ("identified", "referred", 4, None),
        ("referred", "identified", 6, "referral_declined"), ("identified", "referred", 7, None),
        ("referred", "connected", 8, None)]


def test_need_dates_are_in_order(case, worker):
    with pytest.raises(DomainError):
        needs.add_need(case, needs.NeedInput("loans", date(2025, 5, 31)), actor=worker)
    with pytest.raises(DomainError):
        needs.add_need(case, needs.NeedInput("loans", TODAY + timedelta(days=1)), actor=worker)
    need = needs.add_need(case, needs.NeedInput("loans", date(2025, 6, 3)), actor=worker)
    with pytest.raises(DomainError):
        needs.mark_referred(need, date(2025, 6, 2), worker)
    with pytest.raises(DomainError):
        needs.mark_connected(need, TODAY + timedelta(days=1), worker)


def test_ending_a_need_sets_its_end_date_and_blocks_referral(case, worker):
    need = needs.add_need(case, needs.NeedInput("jobs", date(2025, 6, 3)), actor=worker)
    needs.set_status(need, "declined_by_her", on=date(2025, 6, 5), actor=worker)
    assert need.ended_on == date(2025, 6, 5)
    with pytest.raises(DomainError):
        needs.mark_referred(need, date(2025, 6, 6), worker)
    needs.set_status(need, "identified", on=date(2025, 6, 7), actor=worker)
    assert need.ended_on is None
    assert need.status == "identified"
