"""The case pages through real HTTP, per role: intake, duplicates, consent, needs, timeline."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case
from casework.services.effective_dates import today as vn_today

INTAKE = {
    "full_name": "Trần Thị Mai", "date_of_birth": "1996-03-04", "national_id": "036196001234",
    "phone": "+84 912 345 678", "address": "Xóm 3", "family_situation": "", "history": "",
    "group": "left_sex_work", "referral_source": "union", "other_names": "",
    "backdate_reason": "",
}


@pytest.fixture
def worker(make_user, org):
    return make_user("caseworker", unit=org.c1)


@pytest.fixture
def signed_in(client, worker, login):
    login(client, worker)
    return client


def _open(client, org, **changes):
    data = {**INTAKE, "intake_date": vn_today().isoformat(), "org_unit": org.c1.id, **changes}
    return client.submit("/cases/new", data)


def test_opening_a_case_stores_encrypted_fields_and_clear_analytics(signed_in, org):
    response = _open(signed_in, org)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    case = db.session.scalars(select(Case)).one()
    assert case.case_number == f"C1-{vn_today().year}-0001"
    assert case.phone == "0912345678"
    assert case.given_name == "Mai"
    assert case.birth_year_band == "1995-1999"
    assert len(case.episodes) == 1
    assert case.custody[0].org_unit_id == org.c1.id
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Trần Thị Mai" in page


def test_a_possible_duplicate_warns_without_revealing_and_can_be_confirmed(
        signed_in, org, make_case):
    make_case(org.c3, full_name="Trần Thị Mai", phone="0912345678")
    response = _open(signed_in, org)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Huyện Hai" in page  # the district managing it, nothing else
    assert "C3-" not in page
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 1
    response = _open(signed_in, org, confirm_duplicate="y")
    assert response.status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"national_id": "12345"}, "12"),
    ({"national_id": "999196001234"}, "001"),
    ({"phone": "12345"}, "0912"),
    ({"intake_date": (vn_today() + timedelta(days=1)).isoformat()}, ""),
    ({"intake_date": "2024-02-30"}, ""),
    ({"full_name": "x" * 100_000}, "120"),
    ({"history": "y" * 100_000}, "10000"),
])
def test_bad_intake_input_gets_a_message_and_writes_nothing(signed_in, org, changes, message):
    response = _open(signed_in, org, **changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 0


def test_html_and_mixed_unicode_are_stored_safely_and_shown_escaped(signed_in, org):
    decomposed = "Tra\u0302\u0300n Thi\u0323 <script>alert(1)</script>"
    response = _open(signed_in, org, full_name=decomposed, national_id="", phone="")
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page
    case = db.session.scalars(select(Case)).one()
    assert case.full_name.startswith("Trần Thị")  # NFC


def test_viewing_a_case_writes_one_viewed_event_naming_the_fields(signed_in, make_case):
    case = make_case()
    before = db.session.scalar(select(db.func.max(AuditEvent.seq))) or 0
    assert signed_in.get(f"/cases/{case.id}").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.seq > before, AuditEvent.action == "viewed",
        AuditEvent.target_id == str(case.id))).all()
    assert len(events) == 1
    assert {"full_name", "phone"} <= set(json.loads(events[0].fields))


def test_a_stale_correction_is_refused_clearly_and_keeps_what_was_typed(signed_in, make_case):
    case = make_case(national_id=None)
    form = {**INTAKE, "national_id": "", "version": str(case.version), "full_name": "Tên Mới"}
    first = signed_in.submit(f"/cases/{case.id}/edit", {**form, "address": "Xóm 9"})
    assert first.status_code == 302
    stale = signed_in.submit(f"/cases/{case.id}/edit", {**form, "address": "Xóm 7"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Xóm 7" in page  # nothing typed is lost
    db.session.expire_all()
    assert db.session.get(Case, case.id).address == "Xóm 9"


def test_consent_need_note_and_follow_up_through_the_pages(signed_in, make_case):
    case = make_case(intake_date=vn_today() - timedelta(days=3))
    base = f"/cases/{case.id}"
    today = vn_today().isoformat()  # the app's calendar day (Vietnam), not the machine's
    assert signed_in.submit(f"{base}/consents/new", {
        "purpose": "share", "service_category": "loans", "shared_fields": ["full_name", "phone"],
        "given_on": today, "method": "signed_form"}).status_code == 302
    assert signed_in.submit(f"{base}/needs/new", {"category": "loans", "identified_on": today,
                                                  "note": "<i>x</i>"}).status_code == 302
    assert signed_in.submit(f"{base}/consents/new", {
        "purpose": "contact_visit", "given_on": today, "method": "signed_form"}).status_code == 302
    assert signed_in.submit(f"{base}/notes/new", {"kind": "home_visit", "on": today,
                                                  "body": "Đã thăm nhà"}).status_code == 302
    assert signed_in.submit(f"{base}/follow-ups/new", {"title": "Gọi lại",
                                                       "due_on": today}).status_code == 302
    page = signed_in.get(base).get_data(as_text=True)
    assert "Đã thăm nhà" in page
    assert "Gọi lại" in page
    assert "&lt;i&gt;x&lt;/i&gt;" in page
    worklist = signed_in.get("/cases/worklist").get_data(as_text=True)
    assert "Gọi lại" not in worklist  # titles stay on the case page; the list shows the name
    assert 'id="count-open">1<' in worklist


def test_printing_the_consent_form_and_her_data_is_audited(signed_in, make_case):
    case = make_case()
    assert "PHIẾU ĐỒNG Ý" in signed_in.get(f"/cases/{case.id}/consent-form").get_data(
        as_text=True)
    response = signed_in.get(f"/cases/{case.id}/data.json")
    assert response.headers["Cache-Control"].startswith("no-store")
    assert response.json["personal"]["phone"] == "0912345678"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"case.consent_form_printed", "case.exported"} <= actions


def test_erasure_through_the_page_needs_confirmation(signed_in, make_case):
    case = make_case()
    refused = signed_in.submit(f"/cases/{case.id}/erase", {"reason": "her_request"})
    assert refused.status_code == 400
    done = signed_in.submit(f"/cases/{case.id}/erase", {"reason": "her_request", "confirm": "y"})
    assert done.status_code == 302
    page = signed_in.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="erasure-state"' in page
    assert "Nguyễn Thị Lan" not in page


def test_the_case_list_comes_in_pages(signed_in, make_case):
    """50 a page, previous/next without a total (the busy list runs no count query, see
    test_case_list_pages.py)."""
    for n in range(55):
        make_case(case_number=f"C1-P{n:03d}")
    first = signed_in.get("/cases").get_data(as_text=True)
    assert "Trang 1" in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = signed_in.get("/cases?page=2").get_data(as_text=True)
    assert "Trang 2" in second
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    shown = {n for n in range(55) if f"C1-P{n:03d}" in first}
    shown_later = {n for n in range(55) if f"C1-P{n:03d}" in second}
    assert len(shown) == 50
    assert len(shown_later) == 5
    assert not shown & shown_later
    # A page past the end, or not a positive number, shows the first page.
    for odd in ("99", "abc", "-3"):
        assert "Trang 1" in signed_in.get(f"/cases?page={odd}").get_data(as_text=True)
