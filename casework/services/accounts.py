"""Accounts: create, authenticate (with lock-out), change passwords, (de)activate.

Administrators never choose a password: resets go through set-password links
(``services/account_links.py``).

Services validate, flush and audit; the calling view commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from casework import audit
from casework.crypto.passwords import hash_password, needs_rehash, verify_password
from casework.db import utcnow
from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.user import User
from casework.services import account_links, sessions
from casework.services.errors import DomainError
from casework.services.passwords import check_password_policy

USERNAME_MAX = 64


def normalise_username(username: str) -> str:
    return username.strip().lower()


def get_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


@dataclass
class NewUser:
    """``password`` None (the admin screens): the account has no usable password until its
    owner sets one through a set-password link (services/account_links.py)."""

    username: str
    display_name: str
    role: str
    password: str | None = None
    org_unit: OrgUnit | None = None
    provider: ServiceProvider | None = None
    email: str | None = None
    must_change_password: bool = True


def create_user(data: NewUser, *, actor: User | None) -> User:
    """Create an account; raises DomainError for a taken name, a bad password or a bad scope."""
    username = normalise_username(data.username)
    if not username or len(username) > USERNAME_MAX:
        raise DomainError(_l("Enter a username of 1 to 64 characters."), "username")
    if get_by_username(username) is not None:
        raise DomainError(_l("This username is already taken."), "username")
    if data.role == "partner":
        if data.provider is None:
            raise DomainError(
                _l("A partner account must belong to a service provider."), "provider"
            )
        if data.org_unit is not None:
            raise DomainError(
                _l("A partner account belongs to a provider, not a unit."), "org_unit"
            )
    else:
        if data.org_unit is None:
            raise DomainError(
                _l("A staff account must belong to an organisation unit."), "org_unit"
            )
        if data.provider is not None:
            raise DomainError(_l("A staff account cannot belong to a provider."), "provider")
        if not data.org_unit.active:
            raise DomainError(_l("This organisation unit is deactivated."), "org_unit")
    if data.password is not None:
        check_password_policy(data.password, username=username)
    user = User(
        username=username,
        display_name=data.display_name.strip() or username,
        email=(data.email or "").strip() or None,
        role=data.role,
        org_unit=data.org_unit,
        provider=data.provider,
        password_hash=(hash_password(data.password) if data.password is not None
                       else account_links.unusable_password_hash()),
        must_change_password=data.must_change_password and data.password is not None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        target_type="user",
        target_id=str(user.id),
        actor=actor,
        details={"role": user.role},
    )
    return user


class LoginRefused(DomainError):
    """Unknown user, wrong password, locked or deactivated: one neutral message for all."""


NEUTRAL_LOGIN_MESSAGE = _l("Wrong username or password, or the account is locked.")


def authenticate(username: str, password: str) -> User:
    """Return the user for a correct username and password, or raise LoginRefused.

    Five consecutive failures lock the account for the configured minutes; the message never
    tells whether the user exists, is locked or is deactivated.
    """
    user = get_by_username(username) if len(username) <= USERNAME_MAX else None
    ok = verify_password(user.password_hash if user else None, password)
    now = utcnow()
    if user is None:
        audit.record("login.failed", outcome="denied", details={"reason": "unknown_user"})
        raise LoginRefused(NEUTRAL_LOGIN_MESSAGE, "password")
    if user.locked_until is not None and user.locked_until > now:
        audit.record(
            "login.failed",
            target_type="user",
            target_id=str(user.id),
            outcome="denied",
            details={"reason": "locked"},
            actor=user,
        )
        raise LoginRefused(NEUTRAL_LOGIN_MESSAGE, "password")
    if not ok:
        register_failure(user, "wrong_password")
        raise LoginRefused(NEUTRAL_LOGIN_MESSAGE, "password")
    if not user.active:
        audit.record(
            "login.failed",
            target_type="user",
            target_id=str(user.id),
            outcome="denied",
            details={"reason": "inactive"},
            actor=user,
        )
        raise LoginRefused(NEUTRAL_LOGIN_MESSAGE, "password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def login_completed(user: User) -> None:
    """Both factors passed: the count of failed attempts starts again from zero."""
    user.failed_logins = 0
    user.locked_until = None


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def register_failure(user: User, reason: str) -> None:
    """Count one failed password or second-factor attempt; lock after too many in a row.

    Both factors share the counter, so guessing codes after a stolen password locks too.
    """
    cfg = current_app.config
    now = utcnow()
    # Count atomically in SQL so that parallel guesses cannot each read the same old count.
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=func.coalesce(User.failed_logins, 0) + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    details: dict[str, str | int | bool] = {"reason": reason, "consecutive": user.failed_logins}
    if user.failed_logins >= cfg["CASEWORK_LOGIN_ATTEMPTS_BEFORE_LOCK"]:
        user.locked_until = now + timedelta(minutes=cfg["CASEWORK_LOCK_MINUTES"])
        user.failed_logins = 0
        details["locked"] = True
    audit.record(
        "login.failed",
        target_type="user",
        target_id=str(user.id),
        outcome="denied",
        details=details,
        actor=user,
    )
    db.session.flush()


def change_password(user: User, current: str, new: str, *, keep_session_key: str | None) -> None:
    """Change one's own password; every other session of the user ends."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_l("The current password is wrong."), "current_password")
    if current == new:
        raise DomainError(_l("The new password must differ from the current one."), "password")
    check_password_policy(new, username=user.username)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    sessions.end_all(user, reason="password_changed", except_key=keep_session_key)
    audit.record("user.password_changed", target_type="user", target_id=str(user.id), actor=user)


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Deactivate (ending every session) or reactivate an account. Nobody deactivates themself."""
    if user.id == actor.id and not active:
        raise DomainError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        sessions.end_all(user, reason="deactivated")
    else:
        user.failed_logins = 0
        user.locked_until = None
    audit.record(
        "user.activated" if active else "user.deactivated",
        target_type="user",
        target_id=str(user.id),
        actor=actor,
    )


def set_language(user: User, language: str) -> None:
    user.language = language
