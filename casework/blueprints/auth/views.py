from __future__ import annotations

import time
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from casework import audit
from casework.authz import Permission, public, requires
from casework.blueprints.auth import bp
from casework.blueprints.auth.forms import ChangePasswordForm, CodeForm, EnrolForm, LoginForm
from casework.crypto import totp
from casework.extensions import db, limiter
from casework.models.user import User
from casework.services import accounts, mfa, sessions
from casework.services.errors import DomainError
from casework.urls import safe_next

PENDING_SECONDS = 300  # between the password and the second factor
PENDING_MAX_TRIES = 5


def _login_limit() -> str:
    return str(current_app.config["CASEWORK_LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data or "", form.password.data or "")
        except accounts.LoginRefused as refused:
            db.session.commit()  # keep the failure count and the audit event
            form.password.errors = [str(refused.message)]
            return render_template("auth/login.html", form=form), 200
        target = safe_next(form.next.data)
        if user.mfa_enrolled:
            return _begin_second_step(user, target, "auth.verify_code")
        if mfa.required_for(user):
            return _begin_second_step(user, target, "auth.enrol_pending")
        return _finish_login(user, target, mfa_verified=False)
    return render_template("auth/login.html", form=form)


def _begin_second_step(user: User, target: str | None, endpoint: str) -> Any:
    db.session.commit()
    session.clear()
    session["pending_login"] = {"uid": user.id, "at": time.time(), "next": target, "tries": 0}
    return redirect(url_for(endpoint))


def _pending_user() -> User | None:
    pending = session.get("pending_login")
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop("pending_login", None)
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.active:
        session.pop("pending_login", None)
        return None
    return user


def _finish_login(user: User, target: str | None, *, mfa_verified: bool) -> Any:
    """Start a fresh session: the old cookie session is discarded (session fixation)."""
    language = session.get("language")
    session.clear()
    accounts.login_completed(user)
    key = sessions.start(user, mfa_verified=mfa_verified)
    user.current_session_key = key
    login_user(user)
    if user.language is None and language:
        user.language = language
    audit.record(
        "login.succeeded",
        target_type="user",
        target_id=str(user.id),
        actor=user,
        details={"mfa": mfa_verified},
    )
    db.session.commit()
    if user.must_change_password:
        flash(_("Choose a new password before you continue."), "info")
        return redirect(url_for("auth.change_password"))
    return redirect(target or url_for("main.home"))


@bp.route("/login/verify", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def verify_code():  # type: ignore[no-untyped-def]
    user = _pending_user()
    if user is None:
        flash(_("Your login took too long. Log in again."), "warning")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if accounts.is_locked(user):
        session.pop("pending_login", None)
        flash(str(accounts.NEUTRAL_LOGIN_MESSAGE), "error")
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        if mfa.verify_code(user, form.code.data or ""):
            target = session["pending_login"].get("next")
            return _finish_login(user, target, mfa_verified=True)
        db.session.commit()
        pending = session["pending_login"]
        pending["tries"] = int(pending.get("tries", 0)) + 1
        session["pending_login"] = pending
        if pending["tries"] >= PENDING_MAX_TRIES:
            session.pop("pending_login", None)
            flash(_("Too many wrong codes. Log in again."), "warning")
            return redirect(url_for("auth.login"))
        form.code.errors = [_("The code is wrong, expired or already used.")]
    return render_template("auth/verify.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def enrol_pending():  # type: ignore[no-untyped-def]
    """First login of a role that must use two factors: set up the authenticator first."""
    user = _pending_user()
    if user is None:
        flash(_("Your login took too long. Log in again."), "warning")
        return redirect(url_for("auth.login"))
    return _enrolment(user, pending=True)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires(Permission.USE_ACCOUNT)
def enrol():  # type: ignore[no-untyped-def]
    """Turn on, or replace, one's own authenticator (ends one's other sessions)."""
    return _enrolment(current_user, pending=False)


def _enrolment(user: User, *, pending: bool) -> Any:
    form = EnrolForm()
    seed = mfa.open_pending(session.get("enrol_seed"), user, "enrol_seed")
    if request.method == "GET" or not seed:
        seed = totp.new_seed()
        session["enrol_seed"] = mfa.seal_pending(seed, user, "enrol_seed")
    if form.validate_on_submit():
        try:
            codes = mfa.enrol(
                user,
                seed,
                form.code.data or "",
                keep_session_key=None if pending else user.current_session_key,
            )
        except DomainError as error:
            form.code.errors = [str(error.message)]
        else:
            session.pop("enrol_seed", None)
            if pending:
                _finish_login(user, None, mfa_verified=True)  # shows the codes before going on
            else:
                db.session.commit()
            session["recovery_codes_once"] = mfa.seal_pending(
                "\n".join(codes), user, "recovery_codes"
            )
            return redirect(url_for("auth.recovery_codes"))
    uri = totp.provisioning_uri(seed, user.username)
    return render_template(
        "auth/enrol.html", form=form, qr=totp.qr_data_uri(uri), seed=seed, pending=pending
    )


@bp.get("/account/recovery-codes")
@requires(Permission.USE_ACCOUNT, allow_pending_password=True)
def recovery_codes():  # type: ignore[no-untyped-def]
    """Shown once, right after enrolment; never again."""
    sealed = mfa.open_pending(session.pop("recovery_codes_once", None), current_user,
                              "recovery_codes")
    codes = sealed.split("\n") if sealed else None
    if not codes:
        return redirect(url_for("auth.account"))
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/logout")
@requires(Permission.USE_ACCOUNT, allow_pending_password=True)
def logout():  # type: ignore[no-untyped-def]
    login = sessions.find(current_user.current_session_key or "")
    if login is not None:
        sessions.end(login, "logout")
    audit.record("logout", target_type="user", target_id=str(current_user.id))
    db.session.commit()
    language = current_user.language
    logout_user()
    session.clear()
    if language:
        session["language"] = language
    flash(_("You have logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.USE_ACCOUNT, allow_pending_password=True)
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user,
                form.current_password.data or "",
                form.password.data or "",
                keep_session_key=current_user.current_session_key,
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "password").errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Your password has been changed. Your other sessions have ended."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


@bp.get("/account")
@requires(Permission.USE_ACCOUNT)
def account():  # type: ignore[no-untyped-def]
    return render_template(
        "auth/account.html",
        mfa_required=mfa.required_for(current_user),
        recovery_left=mfa.remaining_recovery_codes(current_user),
    )
