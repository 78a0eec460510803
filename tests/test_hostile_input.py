"""Hostile request values get a 400 page in the user's language: never a 500, never a row.

The reproductions an outside test found on PostgreSQL (NUL bytes and out-of-range integers
reaching the driver), each as its own regression test; the route walk in
``test_hostile_walk.py`` covers every route.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.user import User
from casework.text import hostile_reason

VI_400 = "Yêu cầu có ký tự không hợp lệ"
EN_400 = "The request contains characters that cannot be accepted"


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- The shared check --------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "reason"), [
    ("Nguyễn Thị Lan", None),
    ("dòng một\r\ndòng hai\tcột", None),
    ("\u200bzero width and \u202ebidi marks are not ours to refuse", None),
    ("a\x00b", "control"),
    ("\x1b[31m", "control"),
    ("\x7f", "control"),
    ("\x85", "control"),
    ("\x9f", "control"),
    ("\ud800", "surrogate"),
    ("x\udfff", "surrogate"),
])
def test_hostile_reason(value, reason):
    assert hostile_reason(value) == reason


def test_hostile_reason_checks_length_only_when_asked():
    assert hostile_reason("x" * 50, max_length=50) is None
    assert hostile_reason("x" * 51, max_length=50) == "too_long"
    assert hostile_reason("x" * 10_000) is None


# --- The reproductions ---------------------------------------------------------------------------

def test_login_with_a_nul_is_a_400_page_and_a_failed_login_event(client):
    response = client.submit("/login", {"username": "adm\x00in", "password": "whatever-1234"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert VI_400 in body
    assert "\x00" not in body
    events = _events("login.failed")
    assert len(events) == 1
    assert events[0].outcome == "denied"
    assert '"invalid_input"' in events[0].details
    assert "adm" not in events[0].details
    assert "whatever" not in events[0].details


def test_login_with_a_nul_in_the_password_is_refused_the_same_way(client, make_user):
    user = make_user("caseworker")
    response = client.submit("/login", {"username": user.username, "password": "x\x00y"})
    assert response.status_code == 400
    assert len(_events("login.failed")) == 1
    db.session.refresh(user)
    assert not user.failed_logins  # the password step never ran: nothing to count


def test_the_400_page_speaks_english_when_chosen(client):
    client.submit("/language", {"language": "en", "next": "/login"}, page="/login")
    response = client.submit("/login", {"username": "a\x00", "password": "b"})
    assert response.status_code == 400
    assert EN_400 in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "q=%00", "q=a%00b", "area=2147483648", "area=-2147483649", "area=99999999999999999999",
    "q=%ED%A0%80", "category=%1B%5B31m",
])
def test_provider_search_refuses_hostile_values(client, make_user, login, query):
    login(client, make_user("caseworker"))
    response = client.get(f"/referrals/providers?{query}")
    assert response.status_code == 400
    assert "<!doctype html>" in response.get_data(as_text=True).lower()


def test_provider_search_still_filters_by_area(client, make_user, login, org, make_provider):
    from casework.services import providers

    near, far = make_provider(name="Gần"), make_provider(name="Xa")
    providers.set_areas(near, [org.d1.id])
    providers.set_areas(far, [org.d2.id])
    db.session.commit()
    login(client, make_user("caseworker"))
    body = client.get(f"/referrals/providers?area={org.c1.id}").get_data(as_text=True)
    assert "Gần" in body
    assert "Xa<" not in body


@pytest.mark.parametrize("query", ["user=%00", "user=a%00b", "case=%00", "before=2147483648"])
def test_access_log_refuses_hostile_values(client, make_user, login, query):
    login(client, make_user("supervisor"))
    response = client.get(f"/supervision/access-log?{query}")
    assert response.status_code == 400


def test_merge_with_a_nul_writes_nothing(client, make_user, login, make_case):
    keep, dup = make_case(), make_case()
    login(client, make_user("supervisor"))
    response = client.submit(f"/cases/{keep.id}/merge",
                             {"other": dup.case_number + "\x00", "confirm": "y"})
    assert response.status_code == 400
    db.session.refresh(dup)
    assert dup.merged_into_id is None


def test_a_new_username_with_a_nul_is_refused_and_not_created(client, make_user, login, org):
    login(client, make_user("admin"))
    before = db.session.scalar(select(func.count()).select_from(User))
    response = client.submit("/admin/users/new", {
        "username": "new\x00user", "display_name": "Người mới", "role": "caseworker",
        "org_unit": str(org.c1.id), "provider": "0", "password": "a long temporary pass"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize("value", ["2147483648", "-2147483649", "9" * 40])
def test_out_of_range_select_ids_are_form_errors(client, make_user, login, org, value):
    login(client, make_user("admin"))
    response = client.submit("/admin/users/new", {
        "username": "newuser", "display_name": "Người mới", "role": "caseworker",
        "org_unit": value, "provider": "0", "password": "a long temporary pass"})
    assert response.status_code in (200, 400)
    assert db.session.scalar(select(User).where(User.username == "newuser")) is None


def test_an_absurdly_long_value_is_refused_before_any_form(client):
    response = client.submit("/login", {"username": "x" * 300_000, "password": "y"})
    assert response.status_code == 400
    assert VI_400 not in response.get_data(as_text=True)
    assert "quá dài" in response.get_data(as_text=True)


def test_control_characters_in_a_json_body_are_refused(client, make_user, login):
    login(client, make_user("caseworker"))
    token = client.csrf_token("/account")
    response = client.post("/language", json={"language": "en\ud800"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert VI_400 in response.get_data(as_text=True)


def test_undecodable_bytes_in_a_form_body_are_refused(client):
    token = client.csrf_token("/login")
    response = client.post("/login", data=f"csrf_token={token}&username=%ff%fe&password=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert len(_events("login.failed")) == 1


def test_a_control_character_in_an_upload_filename_is_refused(client, make_user, login):
    import io

    login(client, make_user("caseworker"))
    token = client.csrf_token("/imports/")
    response = client.post("/imports/check", data={
        "csrf_token": token, "files": (io.BytesIO(b"PK"), "nhap\x1b.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 400


# --- The language form's next field (5c) ---------------------------------------------------------

NEXT_RE = r'name="next" value="([^"]*)"'


def _next_field(body: str) -> str:
    import re

    match = re.search(NEXT_RE, body)
    assert match, "no language form"
    return match.group(1)


@pytest.mark.parametrize("path", [
    "/%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "/nothing/%3Cscript%3E?x=%22%3E%3Cscript%3E",
    "/%2F%2Fevil.example/login",
    "/%5C%5Cevil.example",
    "/" + "a" * 3000,
])
def test_the_404_page_never_echoes_the_requested_path(client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert _next_field(body) == ""
    assert "alert" not in body
    assert "&lt;script" not in body
    assert "evil" not in body


def test_a_real_page_keeps_its_path_and_query_for_the_language_switch(client, make_user, login):
    login(client, make_user("supervisor"))
    body = client.get("/supervision/access-log?action=login.failed").get_data(as_text=True)
    assert _next_field(body) == "/supervision/access-log?action=login.failed"
    switched = client.submit("/language", {"language": "en", "next": _next_field(body)},
                             page="/account")
    assert switched.headers["Location"] == "/supervision/access-log?action=login.failed"


def test_a_routed_404_keeps_a_safe_local_path(client, make_user, login):
    login(client, make_user("caseworker"))
    path = "/cases/00000000-0000-0000-0000-000000000000"
    response = client.get(path)
    assert response.status_code == 404
    assert _next_field(response.get_data(as_text=True)) == path


@pytest.mark.parametrize("target", ["/x\x85y", "/x\ud800", "/x\x7f", "/\\evil", "//evil"])
def test_safe_next_refuses_controls_surrogates_and_other_hosts(target):
    from casework.urls import safe_next

    assert safe_next(target) is None


def test_the_length_cap_is_a_setting(app, client):
    app.config["CASEWORK_MAX_VALUE_CHARS"] = 100
    response = client.submit("/login", {"username": "x" * 101, "password": "y"})
    assert response.status_code == 400
    assert "quá dài" in response.get_data(as_text=True)
    response = client.submit("/login", {"username": "x" * 100, "password": "y"})
    assert response.status_code == 200


# --- Digits that str.isdigit() accepts and int() refuses ("²") -----------------------------------

def test_ascii_digits():
    from casework.text import ascii_digits

    assert ascii_digits("2024")
    assert not ascii_digits("²")
    assert not ascii_digits("٢٠٢٤")  # Arabic-Indic digits
    assert not ascii_digits("")


def test_a_superscript_digit_in_a_unit_or_page_is_a_400(client, make_user, login):
    login(client, make_user("supervisor"))
    for path in ("/supervision/?unit=%C2%B2", "/supervision/access-log?before=%C2%B2"):
        assert client.get(path).status_code == 400, path


def test_a_superscript_digit_as_a_birth_year_is_a_form_error(client, make_user, login):
    login(client, make_user("caseworker"))
    response = client.submit("/cases", {"name": "Nguyễn Thị Lan", "birth_year": "²"})
    assert response.status_code == 400


def test_a_superscript_digit_as_a_version_is_stale_not_a_crash(client, make_user, login,
                                                                make_case):
    from tests.test_hostile_walk import forms_on

    case = make_case()
    login(client, make_user("caseworker"))
    page = f"/cases/{case.id}/edit"
    form = next(f for f in forms_on(page, client.get(page).get_data(as_text=True))
                if f.action == page and f.method == "post")
    response = client.post(page, data={**form.fields, "version": "²"})
    assert response.status_code == 409
