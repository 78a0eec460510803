"""Server-side login sessions: created on login, checked on every request, ended on demand.

The browser's cookie carries only a random key; the database keeps its SHA-256. A session ends
after the idle timeout, after the absolute lifetime, at logout, and when the password changes,
the account is deactivated or two-factor settings change.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from casework.crypto.passwords import new_token, token_digest
from casework.db import rows_affected, utcnow
from casework.extensions import db
from casework.models.user import LoginSession, User

# Writing last_seen_at on every request would make each page view a write; a minute is enough.
TOUCH_EVERY = timedelta(seconds=60)


def start(user: User, *, mfa_verified: bool) -> str:
    """Open a new session for ``user`` and return its (secret) key for the cookie."""
    key = new_token()
    db.session.add(LoginSession(key_hash=token_digest(key), user=user, mfa_verified=mfa_verified))
    db.session.flush()
    return key


def find(key: str) -> LoginSession | None:
    return db.session.scalar(select(LoginSession).where(LoginSession.key_hash == token_digest(key)))


def load_user(key: str) -> User | None:
    """The user of a live session, or None (ending the session if it has expired).

    Called once per request, before any view code (the deny-by-default hook asks for the user), so
    it commits its own bookkeeping (expiry, last-seen time) while nothing else is pending.
    """
    user = _load_user(key)
    if db.session.dirty:
        db.session.commit()
    return user


def _load_user(key: str) -> User | None:
    login = find(key)
    if login is None or login.ended_at is not None:
        return None
    now = utcnow()
    cfg = current_app.config
    idle = timedelta(minutes=cfg["CASEWORK_SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=cfg["CASEWORK_SESSION_ABSOLUTE_HOURS"])
    user = login.user
    if now - login.last_seen_at > idle:
        end(login, "idle_timeout")
        return None
    if now - login.created_at > absolute:
        end(login, "absolute_timeout")
        return None
    if not user.active:
        end(login, "deactivated")
        return None
    if now - login.last_seen_at > TOUCH_EVERY:
        login.last_seen_at = now
    user.current_session_key = key
    return user


def end(login: LoginSession, reason: str) -> None:
    login.ended_at = utcnow()
    login.end_reason = reason
    db.session.flush()


def end_all(user: User, *, reason: str, except_key: str | None = None) -> int:
    """End every live session of ``user`` except the one whose key is ``except_key``."""
    stmt = (
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    if except_key is not None:
        stmt = stmt.where(LoginSession.key_hash != token_digest(except_key))
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return rows_affected(result)
