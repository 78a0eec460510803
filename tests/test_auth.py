"""Login, lock-out, sessions and the second factor, through real HTTP requests."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from casework.db import utcnow
from casework.extensions import db
from casework.models.user import LoginSession
from casework.services import mfa
from tests.conftest import (
    PRODUCTION_SECRET,
    TEST_PASSWORD,
    TEST_TOTP_SEED,
    next_totp_code,
    seed_on_page,
)

NEUTRAL_VI = "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang bị khóa."


def _login_form(client, username, password):
    return client.submit("/login", {"username": username, "password": password})


def test_caseworker_logs_in_and_out(client, make_user, login):
    user = make_user("caseworker")
    response = login(client, user)
    assert response.headers["Location"] == "/"
    page = client.get("/account")
    assert page.status_code == 200
    assert user.username in page.get_data(as_text=True)
    response = client.submit("/logout", page="/account")
    assert response.status_code == 302
    assert client.get("/account").status_code == 302  # back to the login page


def test_wrong_password_and_unknown_user_get_the_same_neutral_message(client, make_user):
    user = make_user("caseworker")
    wrong = _login_form(client, user.username, "not the password at all")
    unknown = _login_form(client, "nobody-here", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert NEUTRAL_VI in response.get_data(as_text=True)
    assert wrong.get_data(as_text=True).count(NEUTRAL_VI) == 1


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user):
    user = make_user("caseworker")
    for _ in range(5):
        _login_form(client, user.username, "wrong password here")
    # The right password is now refused with the same neutral message.
    locked = _login_form(client, user.username, TEST_PASSWORD)
    assert locked.status_code == 200
    assert NEUTRAL_VI in locked.get_data(as_text=True)
    db.session.refresh(user)
    assert user.locked_until is not None
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert _login_form(client, user.username, TEST_PASSWORD).status_code == 302


def test_success_resets_the_failure_count(client, make_user):
    user = make_user("caseworker")
    for _ in range(4):
        _login_form(client, user.username, "wrong password here")
    assert _login_form(client, user.username, TEST_PASSWORD).status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_login_is_throttled(make_app, org):
    app = make_app(login_rate_limit="3 per minute")
    client = app.test_client()
    with app.app_context():
        statuses = [
            _login_form(client, "someone", "wrong password here").status_code for _ in range(5)
        ]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]


def test_session_cookie_is_replaced_at_login(client, make_user, login):
    user = make_user("caseworker")
    client.get("/login")
    before = client.get_cookie("casework_session").value
    login(client, user)
    after = client.get_cookie("casework_session").value
    assert before != after
    sessions = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id))
    assert len(list(sessions)) == 1


def test_session_cookie_flags(client, make_user, login):
    login(client, make_user("caseworker"))
    cookie = client.get_cookie("casework_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_secure_cookie_outside_development(make_app):
    app = make_app(env="production", secret_key=PRODUCTION_SECRET)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_idle_timeout_ends_the_session(client, make_user, login):
    login(client, make_user("caseworker"))
    assert client.get("/account").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert client.get("/account").status_code == 302


def test_absolute_lifetime_ends_the_session(client, make_user, login):
    login(client, make_user("caseworker"))
    start = utcnow()
    # Stay active every 20 minutes: the idle timeout never fires, the 12 h limit does.
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/account").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5)):
        assert client.get("/account").status_code == 302


def test_password_change_ends_other_sessions(app, make_user, login):
    user = make_user("caseworker")
    first, second = app.test_client(), app.test_client()
    login(first, user)
    login(second, user)
    response = first.submit(
        "/account/password",
        {
            "current_password": TEST_PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302


def test_deactivation_ends_sessions_and_blocks_login(app, make_user, login):
    admin = make_user("admin")
    user = make_user("caseworker")
    admin_client, user_client = app.test_client(), app.test_client()
    login(admin_client, admin)
    login(user_client, user)
    response = admin_client.submit(
        f"/admin/users/{user.id}/deactivate", page=f"/admin/users/{user.id}"
    )
    assert response.status_code == 302
    assert user_client.get("/account").status_code == 302
    again = _login_form(app.test_client(), user.username, TEST_PASSWORD)
    assert NEUTRAL_VI in again.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%0d%0aSet-Cookie:x=1",
    ],
)
def test_next_never_redirects_off_site(client, make_user, target):
    user = make_user("caseworker")
    client.get(f"/login?next={target}")
    response = client.submit(
        "/login", {"username": user.username, "password": TEST_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "evil" not in location


def test_next_local_path_is_followed(client, make_user):
    user = make_user("caseworker")
    response = client.submit(
        "/login", {"username": user.username, "password": TEST_PASSWORD, "next": "/account"}
    )
    assert response.headers["Location"] == "/account"


def test_must_change_password_before_anything_else(client, make_user, login):
    user = make_user("caseworker", must_change_password=True)
    response = login(client, user)
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/").headers["Location"].endswith("/account/password")


# --- Second factor ---------------------------------------------------------------------------


def test_admin_must_enrol_before_first_login_completes(client, make_user):
    from casework.crypto import totp

    admin = make_user("admin", enrol_mfa=False)
    response = _login_form(client, admin.username, TEST_PASSWORD)
    assert response.headers["Location"].endswith("/login/enrol")
    assert client.get("/account").status_code == 302  # not logged in yet
    page = client.get("/login/enrol").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page  # QR drawn on the server
    seed = seed_on_page(page)
    response = client.submit(
        "/login/enrol", {"code": totp.code_at(seed, time.time())}, page="/login"
    )
    assert response.headers["Location"].endswith("/account/recovery-codes")
    codes_page = client.get("/account/recovery-codes").get_data(as_text=True)
    assert codes_page.count("<li>") >= 10
    assert client.get("/account").status_code == 200
    db.session.refresh(admin)
    assert admin.totp_seed_sealed is not None
    assert seed.encode() not in admin.totp_seed_sealed  # sealed, not stored in clear


def test_totp_code_cannot_be_replayed(app, make_user):
    admin = make_user("admin")
    code = next_totp_code(admin)
    first = app.test_client()
    _login_form(first, admin.username, TEST_PASSWORD)
    assert first.submit("/login/verify", {"code": code}).status_code == 302
    second = app.test_client()
    _login_form(second, admin.username, TEST_PASSWORD)
    replay = second.submit("/login/verify", {"code": code})
    assert replay.status_code == 200
    assert "đã được dùng" in replay.get_data(as_text=True)


def test_wrong_codes_restart_the_login(client, make_user):
    admin = make_user("admin")
    _login_form(client, admin.username, TEST_PASSWORD)
    for _ in range(4):
        assert client.submit("/login/verify", {"code": "000000"}).status_code == 200
    response = client.submit("/login/verify", {"code": "000000"})
    assert response.headers["Location"].endswith("/login")


def test_recovery_code_works_once(app, make_user):
    admin = make_user("admin")
    code = next_totp_code(admin)
    codes = mfa.enrol(admin, TEST_TOTP_SEED, code, keep_session_key=None, current_code=code)
    db.session.commit()
    for expected in (302, 200):
        client = app.test_client()
        _login_form(client, admin.username, TEST_PASSWORD)
        assert client.submit("/login/verify", {"code": codes[0]}).status_code == expected


def test_replacing_the_authenticator_ends_other_sessions(app, make_user, login):
    from casework.crypto import totp
    from casework.crypto.passwords import hash_password
    from casework.models.user import RecoveryCode

    user = make_user("caseworker", enrol_mfa=True)
    # Two logins use this step's code and the next; her proof is a recovery code (waiting for
    # a third TOTP step would only slow the test down).
    user.recovery_codes.append(RecoveryCode(code_hash=hash_password("abcd-2345")))
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    login(first, user)
    login(second, user)
    seed = seed_on_page(first.get("/account/two-factor").get_data(as_text=True))
    response = first.submit(
        "/account/two-factor",
        {"current_code": "abcd-2345", "code": totp.code_at(seed, time.time())},
        page="/account",
    )
    assert response.status_code == 302
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302


def test_wrong_second_factor_codes_lock_the_account(app, make_user):
    admin = make_user("admin")
    for _ in range(5):
        client = app.test_client()
        _login_form(client, admin.username, TEST_PASSWORD)
        client.submit("/login/verify", {"code": "000000"})
    db.session.refresh(admin)
    assert admin.locked_until is not None
    # Even the right password and a fresh code are refused while locked.
    client = app.test_client()
    response = _login_form(client, admin.username, TEST_PASSWORD)
    assert NEUTRAL_VI in response.get_data(as_text=True)


def test_the_enrolment_seed_is_not_readable_in_the_cookie(app, make_user, login):
    """Enrolling from the account page: the new seed waits in the cookie, sealed to the user."""
    client = app.test_client()
    user = make_user("caseworker", enrol_mfa=False)
    login(client, user)
    client.get("/account/two-factor")
    with client.session_transaction() as s:
        token = s["enrol_seed"]
        seed = mfa.open_pending(token, user, "enrol_seed")
    assert seed
    assert seed not in token
    assert mfa.open_pending(token, make_user("caseworker", enrol_mfa=False), "enrol_seed") is None
