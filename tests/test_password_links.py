"""One-time set-password links: administrators never choose a password (issue 11, finding 5b)."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from casework.crypto.passwords import token_digest
from casework.extensions import db
from casework.logging_filters import ScrubFilter
from casework.models.account_link import AccountLink
from casework.models.audit import AuditEvent
from casework.models.user import LoginSession, User
from casework.services import account_links
from tests.conftest import TEST_PASSWORD

LINK_RE = re.compile(r'value="https?://[^"/]+/account/set-password/([A-Za-z0-9_-]{43})"')
NEUTRAL = "Không dùng được đường dẫn này"
NEW_PASSWORD = "her very own passphrase"


@pytest.fixture
def admin_client(app: Any, make_user: Any, login: Any) -> Any:
    client = app.test_client()
    client.admin = make_user("admin")
    login(client, client.admin)
    return client


def _issue(admin_client: Any, user: User) -> str:
    """Press 'issue a set-password link' and read the link off the page (shown once)."""
    response = admin_client.submit(f"/admin/users/{user.id}/password-link",
                                   page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    match = LINK_RE.search(page)
    assert match, "no link on the page"
    return match.group(1)


def _set(client: Any, token: str, password: str = NEW_PASSWORD) -> Any:
    return client.submit(f"/account/set-password/{token}",
                         {"password": password, "confirm": password})


def _login_status(app: Any, user: User, password: str) -> int:
    response = app.test_client().submit("/login", {"username": user.username,
                                                   "password": password})
    return int(response.status_code)


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_new_supervisor_sets_her_password_then_enrols_at_login(admin_client: Any, org: Any,
                                                                  app: Any) -> None:
    created = admin_client.submit("/admin/users/new", {
        "username": "giamsat.moi", "display_name": "Giám sát mới", "email": "",
        "role": "supervisor", "org_unit": str(org.d1.id), "provider": "0"})
    page = admin_client.get(created.headers["Location"]).get_data(as_text=True)
    token = LINK_RE.search(page).group(1)
    user = db.session.scalar(select(User).where(User.username == "giamsat.moi"))
    her = app.test_client()
    form = her.get(f"/account/set-password/{token}").get_data(as_text=True)
    assert "giamsat.moi" in form  # she learns her username
    done = _set(her, token)
    assert done.headers["Location"].endswith("/login")
    db.session.refresh(user)
    assert not user.must_change_password
    login = her.submit("/login", {"username": "giamsat.moi", "password": NEW_PASSWORD})
    assert login.headers["Location"].endswith("/login/enrol")  # her role needs a second factor


def test_the_password_policy_applies_and_the_link_survives_a_refusal(app: Any, make_user: Any,
                                                                     admin_client: Any) -> None:
    user = make_user("caseworker")
    token = _issue(admin_client, user)
    client = app.test_client()
    short = _set(client, token, "short")
    assert short.status_code == 200
    assert "Mật khẩu phải có ít nhất 10 ký tự." in short.get_data(as_text=True)
    common = _set(client, token, "password123")
    assert "quá phổ biến" in common.get_data(as_text=True)
    assert _set(client, token).status_code == 302
    assert _login_status(app, user, NEW_PASSWORD) == 302


def test_a_link_works_once(app: Any, make_user: Any, admin_client: Any) -> None:
    user = make_user("caseworker")
    token = _issue(admin_client, user)
    assert _set(app.test_client(), token).status_code == 302
    again = app.test_client().get(f"/account/set-password/{token}")
    assert again.status_code == 404
    assert NEUTRAL in again.get_data(as_text=True)
    reuse = _set(app.test_client(), token, "someone else's phrase")
    assert reuse.status_code == 404
    assert _login_status(app, user, NEW_PASSWORD) == 302
    assert _login_status(app, user, "someone else's phrase") == 200


def test_a_link_expires(app: Any, make_user: Any, admin_client: Any) -> None:
    assert app.config["CASEWORK_SET_PASSWORD_LINK_HOURS"] == 72  # the default
    user = make_user("caseworker")
    token = _issue(admin_client, user)
    link = db.session.scalar(select(AccountLink).where(AccountLink.user_id == user.id))
    assert link.expires_at - link.created_at == timedelta(hours=72)
    with time_machine.travel(link.created_at + timedelta(hours=71, minutes=59), tick=False):
        assert app.test_client().get(f"/account/set-password/{token}").status_code == 200
    with time_machine.travel(link.created_at + timedelta(hours=72, seconds=1), tick=False):
        late = _set(app.test_client(), token)
        assert late.status_code == 404
        assert NEUTRAL in late.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AccountLink, link.id).used_at is None
    assert _login_status(app, user, NEW_PASSWORD) == 200


def test_the_link_lifetime_is_configurable(make_app: Any) -> None:
    from casework.services import accounts
    from casework.services.org_units import create_unit

    app = make_app(set_password_link_hours="24")
    with app.app_context():
        unit = create_unit(code="X", name="Tỉnh X", kind="province", parent=None, actor=None)
        user = accounts.create_user(accounts.NewUser(
            username="moi", display_name="Mới", role="caseworker", org_unit=unit), actor=None)
        account_links.issue_set_password_link(user, actor=None, reset=False)
        db.session.commit()
        link = db.session.scalar(select(AccountLink).where(AccountLink.user_id == user.id))
        assert link.expires_at - link.created_at == timedelta(hours=24)
        db.session.remove()


def test_a_new_link_voids_the_earlier_ones(app: Any, make_user: Any, admin_client: Any) -> None:
    user = make_user("caseworker")
    first = _issue(admin_client, user)
    second = _issue(admin_client, user)
    assert first != second
    assert _set(app.test_client(), first).status_code == 404
    assert _set(app.test_client(), second).status_code == 302
    issued = _events("user.password_link_issued")
    assert json.loads(issued[-1].details)["voided"] == 1


def test_unknown_and_malformed_tokens_get_the_same_neutral_answer(client: Any) -> None:
    for token in ("x" * 43, "short", "a" * 500):
        response = client.get(f"/account/set-password/{token}")
        assert response.status_code == 404
        assert NEUTRAL in response.get_data(as_text=True)
    assert len(_events("user.password_link_refused")) == 3
    # Bytes no value may hold are refused before any view (the request guard), as everywhere.
    assert client.get("/account/set-password/%00%ff").status_code == 400


def test_a_link_is_bound_to_its_purpose_and_its_user(app: Any, make_user: Any,
                                                     admin_client: Any, login: Any) -> None:
    her = make_user("caseworker")
    token = _issue(admin_client, her)
    assert account_links.find_usable(token, purpose="set_password") is not None
    assert account_links.find_usable(token, purpose="unlock_account") is None
    # A login-session key is a live token of another purpose: it opens no set-password page.
    cookie = admin_client.get_cookie("casework_session").value
    session_key = app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
    assert db.session.scalar(select(LoginSession.user_id).where(
        LoginSession.key_hash == token_digest(session_key))) == admin_client.admin.id
    assert app.test_client().get(f"/account/set-password/{session_key}").status_code == 404
    # Someone else signed in on the same computer: the link still sets *her* password only,
    # and the other person's session in this browser ends.
    colleague = make_user("caseworker")
    shared = app.test_client()
    login(shared, colleague)
    assert _set(shared, token).status_code == 302
    assert _login_status(app, her, NEW_PASSWORD) == 302
    assert _login_status(app, colleague, TEST_PASSWORD) == 302
    assert _login_status(app, colleague, NEW_PASSWORD) == 200
    assert shared.get("/account").status_code == 302  # logged out here


def test_a_reset_locks_the_old_password_and_ends_her_sessions(app: Any, make_user: Any,
                                                              admin_client: Any,
                                                              login: Any) -> None:
    user = make_user("caseworker")
    hers = app.test_client()
    login(hers, user)
    assert hers.get("/account").status_code == 200
    _issue(admin_client, user)
    assert hers.get("/account").status_code == 302
    assert _login_status(app, user, TEST_PASSWORD) == 200


def test_issuing_and_using_a_link_are_audited_without_the_token(app: Any, make_user: Any,
                                                                admin_client: Any) -> None:
    user = make_user("caseworker")
    token = _issue(admin_client, user)
    _set(app.test_client(), token)
    _set(app.test_client(), token)
    issued = _events("user.password_link_issued")[-1]
    assert (issued.actor_user_id, issued.target_id) == (admin_client.admin.id, str(user.id))
    assert json.loads(issued.details)["reset"] is True
    used = _events("user.password_set")[-1]
    assert (used.actor_user_id, used.target_id) == (user.id, str(user.id))
    assert _events("user.password_link_refused")[-1].outcome == "denied"
    for event in db.session.scalars(select(AuditEvent)):
        assert token not in " ".join(str(v) for v in (event.details, event.target_id,
                                                       event.request_id))


def test_admins_cannot_choose_a_password_anywhere(app: Any, make_user: Any,
                                                  admin_client: Any) -> None:
    user = make_user("caseworker")
    old_form = admin_client.submit(f"/admin/users/{user.id}/password",
                                   {"password": "admin chosen phrase"},
                                   page=f"/admin/users/{user.id}")
    assert old_form.status_code in (404, 405)
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'type="password"' not in page
    _issue(admin_client, user)
    assert _login_status(app, user, "admin chosen phrase") == 200


def test_the_set_password_page_is_rate_limited(make_app: Any) -> None:
    app = make_app(set_password_rate_limit="3 per minute")
    client = app.test_client()
    codes = [client.get(f"/account/set-password/{'y' * 43}").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_link_tokens_never_reach_a_log_line(app: Any) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("casework.tests.links")
    logger.handlers, logger.propagate = [handler], False
    token = "Abc-_0123456789abcdefghijklmnopqrstuvwxyzAB"
    # What werkzeug's and gunicorn's access logs print.
    logger.warning('127.0.0.1 - - "%s %s HTTP/1.1" 200 -', "GET", f"/account/set-password/{token}")
    logger.warning('"POST /account/set-password/%s?x=1 HTTP/1.1" 302', token)
    assert token not in stream.getvalue()
    assert "/account/set-password/[token]" in stream.getvalue()
    for name in ("werkzeug", "gunicorn.access"):
        assert any(isinstance(f, ScrubFilter) for f in logging.getLogger(name).filters)


def test_tokens_hold_256_random_bits_and_only_their_hash_is_stored(app: Any, make_user: Any,
                                                                   admin_client: Any) -> None:
    user = make_user("caseworker")
    token = _issue(admin_client, user)
    assert len(token) == 43  # 32 bytes, URL-safe base64
    row = db.session.scalar(select(AccountLink).where(AccountLink.user_id == user.id))
    assert re.fullmatch(r"[0-9a-f]{64}", row.token_hash)
    assert token not in row.token_hash
    assert row.expires_at > datetime.now(UTC)
