"""Two-step login cannot be skipped: the login in progress lives on the server (issue 11).

The outside test's bypass: with only a supervisor's password, POST /login (sent to /login/verify),
open /login/enrol instead, post a code for the key it shows: logged in with ``mfa: true`` and her
real authenticator replaced. And whoever held the Flask secret could sign a pending login for
any user. Each path below must lead back to the login page with nothing changed.
"""

from __future__ import annotations

import time
from datetime import timedelta

import time_machine
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select

from casework.crypto import totp
from casework.db import utcnow
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.user import LoginSession, PendingLogin
from casework.services import mfa
from tests.conftest import TEST_PASSWORD, TEST_TOTP_SEED, next_totp_code, seed_on_page


def _password_step(client, user):
    return client.submit("/login", {"username": user.username, "password": TEST_PASSWORD})


def _events(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def _live_sessions(user) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    )


def _seed(user) -> str | None:
    db.session.refresh(user)
    return mfa.seed_of(user)


def test_a_password_alone_cannot_enrol_a_new_authenticator_over_the_real_one(client, make_user):
    supervisor = make_user("supervisor")  # enrolled with TEST_TOTP_SEED
    response = _password_step(client, supervisor)
    assert response.headers["Location"].endswith("/login/verify")

    detour = client.get("/login/enrol")
    assert detour.status_code == 302
    assert detour.headers["Location"].endswith("/login")
    # Posting a code for a key of the attacker's choosing leads nowhere either.
    attacker_seed = totp.new_seed()
    token = client.csrf_token("/login")
    posted = client.post(
        "/login/enrol",
        data={"csrf_token": token, "code": totp.code_at(attacker_seed, time.time())},
    )
    assert posted.status_code == 302
    assert posted.headers["Location"].endswith("/login")

    assert client.get("/account").status_code == 302  # not logged in
    assert _seed(supervisor) == TEST_TOTP_SEED  # her real authenticator is untouched
    assert _events("mfa.enrolled") == 0
    assert _events("login.succeeded") == 0
    assert _live_sessions(supervisor) == 0


def test_the_detour_does_not_spoil_the_real_second_step(client, make_user):
    """The bypass attempt above ends that login in progress; she simply logs in again."""
    supervisor = make_user("supervisor")
    _password_step(client, supervisor)
    client.get("/login/enrol")
    _password_step(client, supervisor)
    response = client.submit("/login/verify", {"code": next_totp_code(supervisor)})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_a_login_waiting_for_enrolment_cannot_skip_to_the_code_page(client, make_user):
    admin = make_user("admin", enrol_mfa=False)
    response = _password_step(client, admin)
    assert response.headers["Location"].endswith("/login/enrol")
    detour = client.get("/login/verify")
    assert detour.headers["Location"].endswith("/login")
    assert client.get("/account").status_code == 302


def test_an_account_enrolled_meanwhile_cannot_enrol_again_at_login(client, make_user):
    admin = make_user("admin", enrol_mfa=False)
    _password_step(client, admin)
    seed = seed_on_page(client.get("/login/enrol").get_data(as_text=True))
    # Elsewhere (another device, an earlier tab) she enrols her real authenticator.
    mfa.store_seed(admin, TEST_TOTP_SEED)
    db.session.commit()
    response = client.submit(
        "/login/enrol", {"code": totp.code_at(seed, time.time())}, page="/login"
    )
    assert response.headers["Location"].endswith("/login")
    assert _seed(admin) == TEST_TOTP_SEED
    assert client.get("/account").status_code == 302


def test_nothing_in_the_cookie_names_the_user_during_the_second_step(app, client, make_user):
    supervisor = make_user("supervisor")
    _password_step(client, supervisor)
    with client.session_transaction() as cookie:
        state = dict(cookie)
    assert set(state) <= {"login_key", "csrf_token", "language", "_flashes"}
    assert str(supervisor.id) not in {str(v) for v in state.values()}
    pending = db.session.scalars(select(PendingLogin)).one()
    assert pending.user_id == supervisor.id
    assert pending.second_step == "verify"
    assert state["login_key"] not in pending.key_hash  # only a digest is stored


def test_a_cookie_forged_with_the_flask_secret_leads_nowhere(app, client, make_user):
    """Sign, with the real secret, every shape of pending login the old code accepted."""
    supervisor = make_user("supervisor")
    admin = make_user("admin", enrol_mfa=False)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    forgeries = [
        {"pending_login": {"uid": supervisor.id, "at": time.time(), "next": None, "tries": 0}},
        {"pending_login": {"uid": admin.id, "at": time.time(), "next": None, "tries": 0}},
        {"login_key": "made-up-by-the-attacker"},
        {"login_key": ""},
        {"login_key": {"uid": supervisor.id}},
    ]
    for forged in forgeries:
        client.set_cookie("casework_session", serializer.dumps(forged))
        for page in ("/login/verify", "/login/enrol"):
            response = client.get(page)
            assert response.status_code == 302, (forged, page)
            assert response.headers["Location"].endswith("/login"), (forged, page)
        attacker_seed = totp.new_seed()
        client.set_cookie("casework_session", serializer.dumps({**forged, "csrf_token": "x"}))
        client.post("/login/enrol", data={"code": totp.code_at(attacker_seed, time.time())})
    assert client.get("/account").status_code == 302
    assert _seed(supervisor) == TEST_TOTP_SEED
    assert _seed(admin) is None
    assert _events("login.succeeded") == 0
    assert _events("mfa.enrolled") == 0


def test_a_login_in_progress_expires_on_the_server(client, make_user):
    supervisor = make_user("supervisor")
    _password_step(client, supervisor)
    with time_machine.travel(utcnow() + timedelta(minutes=6)):
        response = client.submit("/login/verify", {"code": next_totp_code(supervisor)})
    assert response.headers["Location"].endswith("/login")
    assert db.session.scalar(select(func.count()).select_from(PendingLogin)) == 0


def test_wrong_codes_end_the_login_in_progress_on_the_server(client, make_user):
    supervisor = make_user("supervisor")
    _password_step(client, supervisor)
    for _ in range(5):
        client.submit("/login/verify", {"code": "000000"})
    assert db.session.scalar(select(func.count()).select_from(PendingLogin)) == 0
    # The old key is worthless now, even with a right code.
    response = client.submit("/login/verify", {"code": next_totp_code(supervisor)}, page="/login")
    assert response.headers["Location"].endswith("/login")


def test_replacing_a_factor_needs_the_current_one(app, make_user, login):
    user = make_user("caseworker", enrol_mfa=True)
    client = app.test_client()
    login(client, user)
    for current in ("", "000000"):
        page = client.get("/account/two-factor").get_data(as_text=True)
        seed = seed_on_page(page)
        response = client.submit(
            "/account/two-factor",
            {"current_code": current, "code": totp.code_at(seed, time.time())},
            page="/account",
        )
        assert response.status_code == 200
        assert _seed(user) == TEST_TOTP_SEED, "replaced without proof of the current factor"
    assert _events("mfa.enrolled") == 0


def test_a_recovery_code_proves_the_current_factor_when_the_phone_is_lost(app, make_user, login):
    user = make_user("caseworker", enrol_mfa=True)
    codes = mfa.enrol(user, TEST_TOTP_SEED, next_totp_code(user), keep_session_key=None,
                      current_code=next_totp_code(user))
    db.session.commit()
    client = app.test_client()
    login(client, user)
    seed = seed_on_page(client.get("/account/two-factor").get_data(as_text=True))
    response = client.submit(
        "/account/two-factor",
        {"current_code": codes[0], "code": totp.code_at(seed, time.time())},
        page="/account",
    )
    assert response.headers["Location"].endswith("/account/recovery-codes")
    assert _seed(user) == seed


def test_an_admin_reset_of_a_factor_is_audited_and_ends_her_sessions(app, make_user, login):
    supervisor = make_user("supervisor")
    hers = app.test_client()
    login(hers, supervisor)
    waiting = app.test_client()
    _password_step(waiting, supervisor)  # a login in progress on another device
    admin = make_user("admin")
    admins = app.test_client()
    login(admins, admin)
    response = admins.submit(
        f"/admin/users/{supervisor.id}/two-factor/reset", page=f"/admin/users/{supervisor.id}"
    )
    assert response.status_code == 302
    assert _seed(supervisor) is None
    assert _events("mfa.reset") == 1
    assert hers.get("/account").status_code == 302
    assert _live_sessions(supervisor) == 0
    # Her login in progress ended too: she logs in again and enrols a new authenticator.
    assert waiting.get("/login/verify").headers["Location"].endswith("/login")
    response = _password_step(waiting, supervisor)
    assert response.headers["Location"].endswith("/login/enrol")
