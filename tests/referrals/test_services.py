"""Sending, consent, need status, dates, overdue, locking and notices, through the services."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models.notification import Notification
from casework.models.referral import Referral, ReferralEvent
from casework.services import consents, referrals
from casework.services.effective_dates import today
from casework.services.errors import DomainError, StaleObjectError
from tests.referrals.conftest import CANARY_GIVEN, CANARY_ID, CANARY_PHONE, bring_to

pytestmark = pytest.mark.usefixtures("english")


def _send(referral, loop, **kw):
    args = {"actor": loop.caseworker, "version": referral.version,
            "fields": ["given_name", "phone", "age_band"], "referred_on": today(),
            "partner_note": "Muốn học may"}
    args.update(kw)
    referrals.send(referral, **args)


def test_sending_shares_only_the_chosen_fields_encrypted_and_marks_the_need(loop, draft):
    _send(draft, loop)
    db.session.commit()
    assert draft.status == "sent"
    assert draft.shared_fields == "given_name,phone,age_band"
    copy = json.loads(draft.shared_data)
    assert copy == {"given_name": CANARY_GIVEN, "phone": CANARY_PHONE, "age_band": "1995-1999",
                    "need_note": "Muốn học may"}
    raw = db.session.execute(select(Referral.shared_data_enc)).scalar_one()
    assert CANARY_PHONE.encode() not in raw
    assert CANARY_GIVEN.encode() not in raw
    assert draft.response_due_on == today() + timedelta(days=5)
    db.session.refresh(loop.need)
    assert loop.need.status == "referred"


def test_sending_without_a_valid_share_consent_is_refused(loop, draft):
    consents.withdraw_consent(loop.consent, actor=loop.caseworker)
    db.session.commit()
    with pytest.raises(DomainError, match="consent"):
        _send(draft, loop)
    db.session.rollback()
    assert db.session.get(Referral, draft.id).status == "draft"


def test_consent_for_another_category_does_not_count(loop, make_need, make_consent):
    need = make_need(loop.case, "jobs")
    referral = referrals.create_draft(need, loop.provider, actor=loop.caseworker)
    db.session.commit()
    with pytest.raises(DomainError, match="consent"):
        _send(referral, loop)


def test_fields_beyond_her_consent_are_refused(loop, draft):
    with pytest.raises(DomainError, match="consented"):
        _send(draft, loop, fields=["given_name", "address"])  # address not in her consent
    db.session.rollback()
    with pytest.raises(DomainError):
        _send(db.session.get(Referral, draft.id), loop, fields=["history"])  # never shareable


def test_national_id_is_shared_only_when_chosen(loop, draft):
    _send(draft, loop, fields=["given_name", "national_id"])
    db.session.commit()
    assert json.loads(draft.shared_data)["national_id"] == CANARY_ID
    assert "phone" not in json.loads(draft.shared_data)


def test_need_status_follows_the_referral(loop, sent):
    bring_to(sent, "in_service", loop)
    db.session.refresh(loop.need)
    assert loop.need.status == "connected"


@pytest.mark.parametrize("status", ["declined", "not_completed", "cancelled"])
def test_need_returns_to_identified_when_the_referral_fails(loop, sent, status):
    bring_to(sent, status, loop)
    db.session.refresh(loop.need)
    assert loop.need.status == "identified"


def test_need_stays_referred_while_another_referral_works_on_it(loop, sent):
    second = referrals.create_draft(loop.need, loop.other_provider, actor=loop.caseworker)
    db.session.commit()
    _send(second, loop)
    db.session.commit()
    bring_to(sent, "declined", loop)
    db.session.refresh(loop.need)
    assert loop.need.status == "referred"


def test_a_second_open_referral_to_the_same_partner_is_refused(loop, draft):
    with pytest.raises(DomainError, match="already open"):
        referrals.create_draft(loop.need, loop.provider, actor=loop.caseworker)


def test_a_partner_outside_the_area_or_category_is_refused(loop, org, make_provider):
    from casework.services import providers

    far = make_provider()
    providers.set_categories(far, ["vocational_training"])
    providers.set_areas(far, [org.d2.id])
    db.session.commit()
    with pytest.raises(DomainError, match="area"):
        referrals.create_draft(loop.need, far, actor=loop.caseworker)


@pytest.mark.parametrize(("action", "days", "message"), [
    ("accept", -10, "before the referral was sent"),
    ("accept", 1, "future"),
    ("decline", 3, "future"),
])
def test_answer_dates_are_checked(loop, sent, action, days, message):
    data = referrals.ActionInput(effective_date=today() + timedelta(days=days),
                                 reason_code="no_capacity", note="x")
    with pytest.raises(DomainError, match=message):
        referrals.act(sent, action, data, actor=loop.partner, version=sent.version)
    db.session.rollback()
    assert db.session.get(Referral, sent.id).status == "sent"


def test_uptake_date_cannot_be_before_the_referral_or_in_the_future(loop, sent):
    bring_to(sent, "accepted", loop)
    for day, message in ((sent.referred_on - timedelta(days=1), "before"),
                         (today() + timedelta(days=1), "future"), (None, "date")):
        with pytest.raises(DomainError, match=message):
            referrals.act(sent, "confirm_uptake", referrals.ActionInput(effective_date=day),
                          actor=loop.partner, version=sent.version)
        db.session.rollback()
        sent = db.session.get(Referral, sent.id)
        assert sent.status == "accepted"
        assert sent.uptake_on is None


def test_unknown_reason_codes_and_missing_notes_are_refused(loop, sent):
    with pytest.raises(DomainError, match="reason"):
        referrals.act(sent, "decline", referrals.ActionInput(
            effective_date=today(), reason_code="made_up", note="x"),
            actor=loop.partner, version=sent.version)
    with pytest.raises(DomainError, match="note"):
        referrals.act(sent, "decline", referrals.ActionInput(
            effective_date=today(), reason_code="no_capacity"),
            actor=loop.partner, version=sent.version)


def test_a_stale_version_is_refused(loop, sent):
    old = sent.version
    bring_to(sent, "accepted", loop)
    with pytest.raises(StaleObjectError):
        referrals.act(sent, "hold", referrals.ActionInput(
            effective_date=today(), reason_code="waiting_list"),
            actor=loop.partner, version=old)


def test_two_people_acting_at_once_cannot_both_win(app, loop, sent):
    """Both loaded version N; the other person's answer commits first (from another
    connection); this one's UPDATE ... WHERE version = N then matches no row: refused."""
    from sqlalchemy import update

    loaded_version = sent.version
    with db.engine.begin() as other:
        other.execute(update(Referral).where(Referral.id == sent.id)
                      .values(status="accepted", version=Referral.version + 1))
    with pytest.raises(StaleObjectError):
        referrals.act(sent, "decline", referrals.ActionInput(
            effective_date=today(), reason_code="no_capacity", note="x"),
            actor=loop.partner, version=loaded_version)
    db.session.rollback()
    db.session.expire_all()
    fresh = db.session.get(Referral, sent.id)
    assert (fresh.status, fresh.version) == ("accepted", loaded_version + 1)
    assert db.session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == sent.id, ReferralEvent.action == "decline")).all() == []


@pytest.mark.parametrize(("status", "answered_days_ago", "overdue"), [
    ("sent", None, True), ("accepted", 30, True), ("on_hold", 30, True),
    ("in_service", 30, False), ("declined", None, False),
])
def test_overdue_rule_in_sql_and_python_agree(loop, sent, status, answered_days_ago, overdue):
    sent.referred_on = today() - timedelta(days=40)
    sent.response_due_on = today() - timedelta(days=35)
    db.session.commit()
    if status != "sent":
        bring_to(sent, status if status != "accepted" else "accepted", loop)
    if answered_days_ago is not None:
        sent.uptake_due_on = today() - timedelta(days=answered_days_ago - 10)
        db.session.commit()
    found = db.session.scalars(select(Referral.id).where(referrals.overdue_filter())).all()
    assert (sent.id in found) is overdue
    assert referrals.is_overdue(sent) is overdue


def test_due_day_itself_is_not_overdue(loop, sent):
    assert not referrals.is_overdue(sent, sent.response_due_on)
    assert referrals.is_overdue(sent, sent.response_due_on + timedelta(days=1))
    on_due = db.session.scalars(select(Referral.id).where(
        referrals.overdue_filter(sent.response_due_on))).all()
    assert sent.id not in on_due


def test_notices_go_to_the_people_concerned(loop, sent):
    partner_notes = db.session.scalars(select(Notification).where(
        Notification.user_id == loop.partner.id)).all()
    assert [n.kind for n in partner_notes] == ["referral_received"]
    assert db.session.scalars(select(Notification).where(
        Notification.user_id == loop.other_partner.id)).all() == []
    bring_to(sent, "declined", loop)
    kinds = {n.kind for n in db.session.scalars(select(Notification).where(
        Notification.user_id.in_((loop.caseworker.id, loop.supervisor.id))))}
    assert kinds == {"referral_declined", "decline_to_review"}


def test_performance_counts_response_and_uptake(loop, sent):
    bring_to(sent, "in_service", loop)
    perf = referrals.performance(loop.provider)
    assert (perf.received, perf.answered, perf.accepted, perf.taken_up) == (1, 1, 1, 1)
    assert perf.uptake_rate == 1.0
    assert perf.median_response_days == 1
