"""The referral pages through real HTTP: caseworker, supervisor, partner; bad input; 404s."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.referral import Referral
from casework.services import consents
from casework.services.effective_dates import today
from tests.referrals.conftest import (
    CANARY_ADDRESS,
    CANARY_GIVEN,
    CANARY_HISTORY,
    CANARY_ID,
    CANARY_NAME,
    CANARY_PHONE,
    bring_to,
    form_values,
)


def _partner_post(client, referral, action, data, *, version=None):
    page = client.get(f"/partner/referrals/{referral.id}").get_data(as_text=True)
    values = form_values(page)
    body = {f"{action}-{k}": v for k, v in data.items()}
    body[f"{action}-version"] = str(version if version is not None else referral.version)
    body["csrf_token"] = values["csrf_token"]
    return client.post(f"/partner/referrals/{referral.id}/{action}", data=body)


def test_caseworker_drafts_and_sends_from_a_need(client, login, loop):
    login(client, loop.caseworker)
    page = client.get(f"/referrals/new/{loop.need.id}").get_data(as_text=True)
    assert loop.provider.name in page
    response = client.submit(f"/referrals/new/{loop.need.id}", {"provider": loop.provider.id})
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'value="given_name"' in page
    assert 'value="address"' not in page  # not in her consent: not even offered
    response = client.submit(f"/referrals/{referral.id}/send", {
        "version": str(referral.version), "share": ["given_name", "phone", "age_band"],
        "partner_note": "Học may", "effective_date": today().isoformat()},
        page=f"/referrals/{referral.id}")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "sent"


def test_replayed_send_changes_nothing(client, login, loop, draft):
    login(client, loop.caseworker)
    data = {"version": str(draft.version), "share": ["given_name"],
            "effective_date": today().isoformat()}
    assert client.submit(f"/referrals/{draft.id}/send", data,
                         page=f"/referrals/{draft.id}").status_code == 302
    again = client.submit(f"/referrals/{draft.id}/send", data, page=f"/referrals/{draft.id}")
    assert again.status_code in (400, 409)
    db.session.expire_all()
    fresh = db.session.get(Referral, draft.id)
    assert fresh.status == "sent"
    assert len([e for e in fresh.events if e.action == "send"]) == 1


@pytest.mark.parametrize(("data", "status"), [
    ({"effective_date": "2999-01-01"}, 400),            # future
    ({"effective_date": "1999-01-01"}, 400),            # before the need
    ({"effective_date": "not-a-date"}, 400),            # garbage
    ({"share": ["history"]}, 400),                      # never shareable (tampered)
    ({"share": ["address"]}, 400),                      # beyond her consent (tampered)
    ({"version": "abc"}, 409),                          # tampered version
])
def test_bad_send_input_is_refused_without_change(client, login, loop, draft, data, status):
    login(client, loop.caseworker)
    body = {"version": str(draft.version), "share": ["given_name"],
            "effective_date": today().isoformat(), **data}
    response = client.submit(f"/referrals/{draft.id}/send", body, page=f"/referrals/{draft.id}")
    assert response.status_code == status
    assert "lang=\"vi\"" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, draft.id).status == "draft"


def test_partner_sees_only_shared_fields_and_each_view_is_audited(client, login, loop, sent):
    login(client, loop.partner)
    inbox = client.get("/partner/").get_data(as_text=True)
    assert sent.partner_reference in inbox
    assert loop.case.case_number not in inbox
    page = client.get(f"/partner/referrals/{sent.id}").get_data(as_text=True)
    assert CANARY_GIVEN in page
    assert CANARY_PHONE in page
    for canary in (CANARY_NAME, CANARY_ID, CANARY_ADDRESS, CANARY_HISTORY, "1996"):
        assert canary not in page
    views = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "referral.partner_viewed",
        AuditEvent.target_id == str(sent.id))).all()
    assert len(views) == 1
    assert CANARY_PHONE not in (views[0].details or "")


def test_partner_page_offers_only_allowed_actions(client, login, loop, sent):
    login(client, loop.partner)
    page = client.get(f"/partner/referrals/{sent.id}").get_data(as_text=True)
    for action in ("accept", "decline", "hold"):
        assert f'data-action="{action}"' in page
    for action in ("confirm_uptake", "complete", "not_complete"):
        assert f'data-action="{action}"' not in page


def test_partner_accepts_and_confirms_uptake_and_the_need_is_connected(client, login, loop,
                                                                       sent):
    login(client, loop.partner)
    response = _partner_post(client, sent, "accept", {"effective_date": today().isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    sent = db.session.get(Referral, sent.id)
    response = _partner_post(client, sent, "confirm_uptake",
                             {"effective_date": today().isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, sent.id).status == "in_service"
    db.session.refresh(loop.need)
    assert loop.need.status == "connected"


@pytest.mark.parametrize(("action", "data"), [
    ("decline", {"reason_code": "made_up", "note": "x"}),          # unknown reason
    ("decline", {"reason_code": "no_capacity", "note": ""}),        # note required
    ("accept", {"effective_date": "2999-12-31"}),                   # future
    ("accept", {"effective_date": "2001-01-01"}),                   # before the referral
    ("hold", {"reason_code": "", "note": "x"}),                     # no reason
    ("confirm_uptake", {}),                                         # not allowed now
    ("complete", {"outcome_code": "certificate_obtained"}),         # not allowed now
])
def test_bad_partner_input_gets_a_message_and_no_change(client, login, loop, sent, action,
                                                        data):
    login(client, loop.partner)
    body = {"effective_date": today().isoformat(), **data}
    response = _partner_post(client, sent, action, body)
    assert 400 <= response.status_code < 500
    assert 'class="alert alert--error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, sent.id).status == "sent"


def test_replayed_partner_answer_changes_nothing(client, login, loop, sent):
    login(client, loop.partner)
    version = sent.version
    assert _partner_post(client, sent, "accept", {"effective_date": today().isoformat()},
                         version=version).status_code == 302
    again = _partner_post(client, sent, "hold", {"reason_code": "waiting_list",
                                                 "effective_date": today().isoformat()},
                          version=version)
    assert again.status_code == 409
    db.session.expire_all()
    assert db.session.get(Referral, sent.id).status == "accepted"


def test_unknown_partner_action_is_404(client, login, loop, sent):
    login(client, loop.partner)
    token = form_values(client.get(f"/partner/referrals/{sent.id}").get_data(as_text=True))
    assert client.post(f"/partner/referrals/{sent.id}/cancel",
                       data={"csrf_token": token["csrf_token"]}).status_code == 404
    assert client.post(f"/partner/referrals/{sent.id}/send",
                       data={"csrf_token": token["csrf_token"]}).status_code == 404


def _partner_urls(referral_id):
    return [("get", f"/partner/referrals/{referral_id}")] + [
        ("post", f"/partner/referrals/{referral_id}/{a}")
        for a in ("accept", "decline", "hold", "confirm_uptake", "complete", "not_complete")]


def test_other_providers_referrals_answer_404_on_every_partner_url(client, login, loop, sent):
    login(client, loop.other_partner)
    token = client.csrf_token("/partner/")
    for method, url in [*_partner_urls(sent.id), *_partner_urls(uuid.uuid4())]:
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token,
                                              "accept-version": str(sent.version)})
        assert response.status_code == 404, url
        assert CANARY_GIVEN not in response.get_data(as_text=True)
    inbox = client.get("/partner/").get_data(as_text=True)
    assert loop.case.case_number not in inbox
    db.session.expire_all()
    assert db.session.get(Referral, sent.id).status == "sent"


def test_partners_never_reach_case_or_staff_pages(client, login, loop, sent):
    login(client, loop.partner)
    for url in (f"/referrals/{sent.id}", "/referrals/", "/referrals/providers",
                f"/referrals/new/{loop.need.id}", f"/cases/{loop.case.id}", "/cases"):
        assert client.get(url).status_code == 404, url


def test_withdrawn_consent_hides_the_referral_from_the_partner_at_once(client, login, loop,
                                                                       sent):
    login(client, loop.partner)
    assert client.get(f"/partner/referrals/{sent.id}").status_code == 200
    consents.withdraw_consent(loop.consent, actor=loop.caseworker)
    db.session.commit()
    response = client.get(f"/partner/referrals/{sent.id}")
    assert response.status_code == 404
    assert CANARY_PHONE not in response.get_data(as_text=True)
    assert loop.case.case_number not in client.get("/partner/").get_data(as_text=True)


def test_cancelled_referral_disappears_from_the_partner(client, login, loop, sent):
    bring_to(sent, "cancelled", loop)
    login(client, loop.partner)
    assert client.get(f"/partner/referrals/{sent.id}").status_code == 404


def test_drafts_are_invisible_to_partners(client, login, loop, draft):
    login(client, loop.partner)
    assert client.get(f"/partner/referrals/{draft.id}").status_code == 404


def test_caseworker_of_another_unit_gets_404(client, login, loop, sent):
    login(client, loop.other_caseworker)
    assert client.get(f"/referrals/{sent.id}").status_code == 404
    assert client.get(f"/referrals/new/{loop.need.id}").status_code == 404
    assert loop.case.case_number not in client.get("/referrals/").get_data(as_text=True)


def test_overdue_shows_first_in_the_inbox_and_on_the_staff_list(client, login, loop, sent):
    sent.referred_on = today() - timedelta(days=30)
    sent.response_due_on = today() - timedelta(days=25)
    db.session.commit()
    login(client, loop.partner)
    inbox = client.get("/partner/").get_data(as_text=True)
    overdue_section = inbox.split('inbox-group--overdue')[1].split('inbox-group--new')[0]
    assert sent.partner_reference in overdue_section
    client.post("/logout", data={"csrf_token": client.csrf_token("/partner/")})
    login(client, loop.caseworker)
    listing = client.get("/referrals/?overdue=1").get_data(as_text=True)
    assert loop.case.case_number in listing


def test_supervisor_reviews_a_decline(client, login, loop, sent):
    bring_to(sent, "declined", loop)
    login(client, loop.supervisor)
    assert loop.case.case_number in client.get("/referrals/reviews").get_data(as_text=True)
    response = client.submit(f"/referrals/{sent.id}/review",
                             {"version": str(sent.version), "decision": "refer_elsewhere",
                              "note": "Thử trung tâm khác"}, page=f"/referrals/{sent.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, sent.id).review_outcome == "refer_elsewhere"


def test_caseworker_cancels_with_a_reason(client, login, loop, sent):
    login(client, loop.caseworker)
    response = client.submit(f"/referrals/{sent.id}/cancel", {
        "cancel-version": str(sent.version), "cancel-reason_code": "she_changed_mind",
        "cancel-effective_date": today().isoformat()}, page=f"/referrals/{sent.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, sent.id).status == "cancelled"


def test_provider_directory_search_and_management(client, login, loop, org):
    login(client, loop.caseworker)
    page = client.get(f"/referrals/providers?category=vocational_training&area={org.c1.id}")
    assert loop.provider.name in page.get_data(as_text=True)
    page = client.get(f"/referrals/providers?category=legal_aid&area={org.c1.id}")
    assert loop.provider.name not in page.get_data(as_text=True)
    page = client.get(f"/referrals/providers?category=vocational_training&area={org.c3.id}")
    assert loop.provider.name not in page.get_data(as_text=True)  # covers D1 only
    assert client.get("/referrals/providers/new").status_code == 404
    client.post("/logout", data={"csrf_token": client.csrf_token("/account")})
    login(client, loop.admin)
    response = client.submit("/referrals/providers/new", {
        "code": "TEST-NEW", "name": "Trung tâm thử", "kind": "ngo",
        "categories": ["legal_aid"], "areas": [org.province.id], "response_days": "3",
        "followup_days": "14", "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    bad = client.submit("/referrals/providers/new", {
        "code": "TEST-BAD", "name": "X", "kind": "ngo", "categories": ["made_up"],
        "areas": [org.province.id], "response_days": "3", "followup_days": "14"})
    assert bad.status_code == 400


def test_partner_performance_page(client, login, loop, sent):
    bring_to(sent, "in_service", loop)
    login(client, loop.partner)
    page = client.get("/partner/performance").get_data(as_text=True)
    assert "100 %" in page
