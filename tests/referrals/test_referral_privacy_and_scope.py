"""Security review of referrals: partners see a random reference (never the case number),
erased cases take no more referrals and lose their open ones, a need with a live referral
cannot be ended, partner management is scoped, huge ids answer 404, lists load in few queries."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from casework.extensions import db
from casework.models.need import Need
from casework.models.notification import Notification
from casework.models.referral import Referral, ReferralEvent
from casework.services import needs, referrals, subject_rights
from casework.services.effective_dates import today
from casework.services.errors import DomainError
from tests.referrals.conftest import bring_to


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


# --- 3. Partner reference -------------------------------------------------------------------------

def test_each_referral_gets_a_random_partner_reference(loop, draft):
    assert re.fullmatch(r"GT-[A-Z2-7]{8}", draft.partner_reference)
    other = referrals.create_draft(loop.need, loop.other_provider, actor=loop.caseworker)
    assert other.partner_reference != draft.partner_reference


def test_partner_pages_and_notices_never_show_the_case_number(client, login, loop, sent):
    number, unit_code = loop.case.case_number, loop.case.org_unit.code
    login(client, loop.partner)
    pages = [client.get("/partner/").get_data(as_text=True),
             client.get(f"/partner/referrals/{sent.id}").get_data(as_text=True)]
    assert sent.partner_reference in pages[0]
    assert sent.partner_reference in pages[1]
    for html in pages:
        assert number not in html
        assert f"{unit_code}-" not in html
    notices = db.session.scalars(select(Notification).where(
        Notification.user_id == loop.partner.id)).all()
    assert notices
    assert all(n.case_number is None for n in notices)
    assert {n.reference for n in notices} == {sent.partner_reference}


# --- 4. Erased case: no new work; open referrals cancelled ----------------------------------------

def test_erasure_cancels_open_referrals_and_the_partner_loses_access(client, login, loop, sent):
    subject_rights.erase_case(loop.case, actor=loop.caseworker, reason="her_request")
    db.session.commit()
    db.session.expire_all()
    referral = db.session.get(Referral, sent.id)
    assert referral.status == "cancelled"
    assert db.session.get(Need, loop.need.id).status == "identified"
    last = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == sent.id)
                              .order_by(ReferralEvent.recorded_at.desc())).first()
    assert (last.action, json.loads(last.details)) == ("cancel", {"via": "erasure"})
    login(client, loop.partner)
    assert client.get(f"/partner/referrals/{sent.id}").status_code == 404


def test_an_erased_case_refuses_new_referrals_through_pages_and_services(client, login, loop):
    draft = referrals.create_draft(loop.need, loop.provider, actor=loop.caseworker)
    db.session.commit()
    subject_rights.erase_case(loop.case, actor=loop.caseworker, reason="other")
    db.session.commit()
    with pytest.raises(DomainError):
        referrals.create_draft(loop.need, loop.other_provider, actor=loop.caseworker)
    db.session.rollback()
    login(client, loop.caseworker)
    answer = client.get(f"/referrals/new/{loop.need.id}")
    assert answer.status_code == 303
    send = client.submit(f"/referrals/{draft.id}/send",
                         {"share": "age_band", "effective_date": today().isoformat(),
                          "version": "1"}, page=f"/referrals/{draft.id}")
    assert 400 <= send.status_code < 500


# --- 5. A need with a live referral cannot be ended -----------------------------------------------

@pytest.mark.parametrize("status", ["sent", "accepted", "on_hold", "in_service"])
def test_ending_a_need_with_a_live_referral_is_refused(loop, sent, status):
    bring_to(sent, status, loop)
    need = db.session.get(Need, loop.need.id)
    with pytest.raises(DomainError) as caught:
        needs.set_status(need, "no_longer_needed", on=today(), actor=loop.caseworker)
    assert caught.value.field == "status"
    db.session.rollback()
    # After cancelling the referral the need can be ended.
    if status != "in_service":
        referrals.act(sent, "cancel", referrals.ActionInput(
            effective_date=today(), reason_code="she_changed_mind"),
            actor=loop.caseworker, version=sent.version)
        needs.set_status(db.session.get(Need, loop.need.id), "declined_by_her", on=today(),
                         actor=loop.caseworker)


# --- 8. Partner management is scoped --------------------------------------------------------------

def test_district_supervisors_manage_only_partners_within_their_district(
        client, login, loop, make_user, org):
    from casework.authz import may_manage_provider

    province_supervisor = make_user("supervisor", unit=org.province)
    assert may_manage_provider(loop.admin, [org.province.id])
    assert may_manage_provider(province_supervisor, [org.province.id])
    assert may_manage_provider(loop.supervisor, [org.d1.id, org.c1.id])
    assert not may_manage_provider(loop.supervisor, [org.d1.id, org.c3.id])
    assert not may_manage_provider(loop.caseworker, [org.c1.id])
    login(client, loop.supervisor)
    assert client.get(f"/referrals/providers/{loop.provider.id}/edit").status_code == 200
    assert client.get(f"/referrals/providers/{loop.other_provider.id}/edit").status_code == 404


# --- 9. Huge ids ----------------------------------------------------------------------------------

def test_huge_provider_ids_answer_404(client, login, loop):
    login(client, loop.supervisor)
    for path in ("/referrals/providers/99999999999999999999",
                 "/referrals/providers/99999999999999999999/edit"):
        assert client.get(path).status_code == 404


# --- 10. Few queries ------------------------------------------------------------------------------

def _count_queries(client, path):
    count = [0]

    def tick(*_args):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", tick)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", tick)
    return count[0]


def test_lists_do_not_grow_queries_with_rows(client, login, loop, make_need, make_consent):
    login(client, loop.caseworker)
    first = {p: _count_queries(client, p) for p in ("/referrals/", "/cases/worklist")}
    for category in ("jobs", "loans", "health"):
        need = make_need(loop.case, category)
        make_consent(loop.case, "share", category, given_on=loop.case.intake_date)
        if category == "jobs":
            referral = referrals.create_draft(need, loop.provider, actor=loop.caseworker)
            db.session.commit()
            referrals.send(referral, actor=loop.caseworker, version=referral.version,
                           fields=["age_band"], referred_on=today() - timedelta(days=15),
                           partner_note=None)
    db.session.commit()
    again = {p: _count_queries(client, p) for p in ("/referrals/", "/cases/worklist")}
    for path, queries in again.items():
        assert queries <= first[path] + 2, path


# --- The paper-import mark ------------------------------------------------------------------------

def test_an_uptake_imported_from_paper_is_marked_on_the_referral_page(client, login, loop, sent):
    bring_to(sent, "in_service", loop)
    uptake = db.session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == sent.id, ReferralEvent.action == "confirm_uptake")).one()
    login(client, loop.caseworker)
    assert "Nhập từ hồ sơ giấy" not in client.get(f"/referrals/{sent.id}").get_data(as_text=True)
    uptake.details = json.dumps({"uptake_source": "paper_import"})
    db.session.commit()
    assert "Nhập từ hồ sơ giấy" in client.get(f"/referrals/{sent.id}").get_data(as_text=True)
