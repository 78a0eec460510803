"""Issue 13, defect 1: a form shows every error at once, each on its field, values kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.case import Case
from casework.models.consent import Consent
from casework.services.effective_dates import today as vn_today


@pytest.fixture
def signed_in(client, make_user, org, login):
    login(client, make_user("caseworker", unit=org.c1))
    return client


def _error_of(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)
    assert match, f"no error shown on {field_id}"
    return match.group(1)


def test_intake_with_three_bad_values_shows_all_three_errors_with_the_values_kept(
        signed_in, org):
    tomorrow = (vn_today() + timedelta(days=1)).strftime("%d/%m/%Y")
    response = signed_in.submit("/cases/new", {
        "full_name": "Trần Thị Mai", "date_of_birth": tomorrow, "national_id": "12345",
        "phone": "12", "address": "Xóm 3", "group": "", "referral_source": "union",
        "intake_date": vn_today().strftime("%d/%m/%Y"), "org_unit": org.c1.id})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "12 chữ số" in _error_of(page, "national_id")
    assert _error_of(page, "date_of_birth")
    assert "0912 345 678" in _error_of(page, "phone")
    assert _error_of(page, "group")  # a WTForms error and the service's together
    assert 'value="Trần Thị Mai"' in page
    assert 'value="12345"' in page
    summary = re.search(r'data-error-summary>(.*?)</div>', page, re.S)
    assert summary, "no list of the errors at the top"
    for field_id in ("national_id", "date_of_birth", "phone", "group"):
        assert f'href="#{field_id}"' in summary.group(1)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_consent_with_several_bad_values_shows_them_all(signed_in, make_case, org):
    case = make_case(org.c1)
    response = signed_in.submit(f"/cases/{case.id}/consents/new", {
        "purpose": "share", "service_category": "", "method": "verbal_witness",
        "given_on": (vn_today() + timedelta(days=2)).isoformat(), "witness_name": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field_id in ("service_category", "given_on", "witness_name"):
        assert _error_of(page, field_id)
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0


def test_a_note_resubmitted_with_the_same_form_saves_once(signed_in, make_case, org):
    from casework.models.timeline import CaseNote

    case = make_case(org.c1)
    page = signed_in.get(f"/cases/{case.id}/notes/new").get_data(as_text=True)
    token = re.search(r'<input[^>]*name="form_token"[^>]*value="([^"]+)"', page)
    assert token, "the create form carries a one-time token"
    data = {"kind": "note", "on": vn_today().strftime("%d/%m/%Y"), "body": "Gọi điện hỏi thăm",
            "form_token": token.group(1)}
    first = signed_in.submit(f"/cases/{case.id}/notes/new", data)
    again = signed_in.submit(f"/cases/{case.id}/notes/new", data)  # back, submit again
    assert first.status_code == 302
    assert again.status_code == 302
    assert again.headers["Location"].endswith("#timeline")
    assert db.session.scalar(select(func.count()).select_from(CaseNote)) == 1
    follow = signed_in.get(again.headers["Location"]).get_data(as_text=True)
    assert "không lưu lần thứ hai" in follow


@pytest.mark.parametrize(("typed", "day"), [
    ("21/04/1997", (1997, 4, 21)), ("1/4/1997", (1997, 4, 1)), ("21-04-1997", (1997, 4, 21)),
    ("21.04.1997", (1997, 4, 21)), ("1997-04-21", (1997, 4, 21)), ("04/21/1997", None),
    ("21/04/97", None), ("hôm qua", None), ("", None)])
def test_dates_are_read_day_first(typed, day):
    from datetime import date

    from casework.forms import parse_local_date

    assert parse_local_date(typed) == (date(*day) if day else None)
