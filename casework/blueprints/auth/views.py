from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from casework import audit
from casework.authz import Permission, public, requires
from casework.blueprints.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    LoginForm,
    MessagesForm,
)
from casework.blueprints.work import Work, unit_of_work
from casework.crypto import totp
from casework.extensions import limiter
from casework.forms import options
from casework.models.user import PendingLogin, User
from casework.outbox import contacts
from casework.services import accounts, login_state, mfa, sessions
from casework.urls import safe_next

bp = Blueprint("auth", __name__)

SECOND_STEP_ENDPOINTS = {"verify": "auth.verify_code", "enrol": "auth.enrol_pending"}
LOGIN_KEY = "login_key"  # the cookie's only trace of a login in progress: a random key


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
        target = safe_next(form.next.data)
        key = None
        # A refusal keeps the failure count and its audit event.
        with unit_of_work(form, keep_refused=True) as work:
            user = accounts.authenticate(form.username.data or "", form.password.data or "")
            step = login_state.second_step_for(user, mfa_required=mfa.required_for(user))
            if step is not None:
                key = login_state.begin(user, step, target)
        if not work.done:
            return render_template("auth/login.html", form=form), 200
        if step is None or key is None:
            return _finish_login(user, target, mfa_verified=False)
        _clear_session_keeping_language()
        session[LOGIN_KEY] = key
        return redirect(url_for(SECOND_STEP_ENDPOINTS[step]))
    return render_template("auth/login.html", form=form)


def _clear_session_keeping_language() -> None:
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


def _pending(step: login_state.SecondStep) -> PendingLogin | None:
    with unit_of_work():  # keeps the end of an expired login in progress
        pending = login_state.find(session.get(LOGIN_KEY), step)
    return pending


def _login_expired() -> Any:
    session.pop(LOGIN_KEY, None)
    flash(_("Your login took too long. Log in again."), "warning")
    return redirect(url_for("auth.login"))


def _finish_login(user: User, target: str | None, *, mfa_verified: bool) -> Any:
    """Start a fresh session: the old cookie session is discarded (session fixation)."""
    language = session.get("language")
    session.clear()
    with unit_of_work():
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
    if user.must_change_password:
        flash(_("Choose a new password before you continue."), "info")
        return redirect(url_for("auth.change_password"))
    return redirect(target or url_for("main.home"))


@bp.route("/login/verify", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def verify_code():  # type: ignore[no-untyped-def]
    pending = _pending("verify")
    if pending is None:
        return _login_expired()
    user = pending.user
    form = CodeForm()
    if accounts.is_locked(user):
        with unit_of_work():
            login_state.finish(pending)
        session.pop(LOGIN_KEY, None)
        flash(str(accounts.NEUTRAL_LOGIN_MESSAGE), "error")
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        if mfa.verify_code(user, form.code.data or ""):
            target = pending.next_url
            login_state.finish(pending)
            return _finish_login(user, target, mfa_verified=True)
        with unit_of_work():  # the wrong code counts, here and towards the account's lock
            exhausted = login_state.wrong_code(pending)
        if exhausted:
            session.pop(LOGIN_KEY, None)
            flash(_("Too many wrong codes. Log in again."), "warning")
            return redirect(url_for("auth.login"))
        form.code.errors = [_("The code is wrong, expired or already used.")]
    return render_template("auth/verify.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def enrol_pending():  # type: ignore[no-untyped-def]
    """First login of a role that must use two factors and has none yet: set one up first.

    Only a login whose password step found no factor reaches this page (``login_state.find``);
    a login waiting for a code, or an account enrolled meanwhile, is sent back to log in.
    """
    pending = _pending("enrol")
    if pending is None:
        return _login_expired()
    user = pending.user
    form = _enrol_form(user)
    seed = login_state.enrol_seed(pending)
    if request.method == "GET" or not seed:
        seed = totp.new_seed()
        with unit_of_work():
            login_state.keep_enrol_seed(pending, seed)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            codes = mfa.enrol(user, seed, form.code.data or "", keep_session_key=None)
            login_state.finish(pending)
        if work.done:
            _finish_login(user, None, mfa_verified=True)  # shows the codes before going on
            return _show_recovery_codes_once(user, codes)
    return _enrolment_page(form, user, seed, pending=True)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires(Permission.USE_ACCOUNT)
def enrol():  # type: ignore[no-untyped-def]
    """Turn on one's own authenticator, or replace it with proof of the current one.

    Replacing ends one's other sessions. The new seed waits in the cookie between the two
    requests, sealed with the app key and bound to the user (the Flask secret cannot open it).
    """
    user = current_user
    form = _enrol_form(user)
    seed = mfa.open_pending(session.get("enrol_seed"), user, "enrol_seed")
    if request.method == "GET" or not seed:
        seed = totp.new_seed()
        session["enrol_seed"] = mfa.seal_pending(seed, user, "enrol_seed")
    if form.validate_on_submit():
        # A refusal keeps the failed attempt's count and audit event.
        with unit_of_work(form, keep_refused=True) as work:
            codes = mfa.enrol(
                user,
                seed,
                form.code.data or "",
                keep_session_key=user.current_session_key,
                current_code=form.current_code.data if "current_code" in form else None,
            )
        if work.done:
            session.pop("enrol_seed", None)
            return _show_recovery_codes_once(user, codes)
    return _enrolment_page(form, user, seed, pending=False)


def _enrol_form(user: User) -> EnrolForm:
    """The enrolment form; it asks for the current factor only when there is one to replace."""
    form = EnrolForm()
    if not user.mfa_enrolled:
        del form.current_code
    return form


def _enrolment_page(form: EnrolForm, user: User, seed: str, *, pending: bool) -> Any:
    uri = totp.provisioning_uri(seed, user.username)
    return render_template(
        "auth/enrol.html", form=form, qr=totp.qr_data_uri(uri), seed=seed, pending=pending
    )


def _show_recovery_codes_once(user: User, codes: list[str]) -> Any:
    session["recovery_codes_once"] = mfa.seal_pending("\n".join(codes), user, "recovery_codes")
    return redirect(url_for("auth.recovery_codes"))


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
    with unit_of_work():
        login = sessions.find(current_user.current_session_key or "")
        if login is not None:
            sessions.end(login, "logout")
        audit.record("logout", target_type="user", target_id=str(current_user.id))
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
        with unit_of_work(form) as work:
            accounts.change_password(
                current_user,
                form.current_password.data or "",
                form.password.data or "",
                keep_session_key=current_user.current_session_key,
            )
        if work.done:
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


@bp.route("/account/messages", methods=["GET", "POST"])
@requires(Permission.USE_ACCOUNT)
def messages():  # type: ignore[no-untyped-def]
    prefs = contacts.preferences(current_user)
    form = MessagesForm()
    form.channels.choices = options(contacts.CHANNEL_LABELS.items())
    if request.method == "GET":
        form.email.data, form.phone.data, form.zalo.data = prefs.email, prefs.phone, prefs.zalo
        form.channels.data = list(prefs.channels)
        form.digest.data = prefs.digest
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            contacts.save_preferences(current_user, email=form.email.data,
                                      phone=form.phone.data, zalo=form.zalo.data,
                                      channels=list(form.channels.data or []),
                                      digest=bool(form.digest.data))
        if work.done:
            flash(_("Your message settings are saved."), "success")
            return redirect(url_for("auth.messages"))
    return render_template("auth/messages.html", form=form,
                           enabled=contacts.enabled_channels(),
                           labels=contacts.CHANNEL_LABELS), work.status
