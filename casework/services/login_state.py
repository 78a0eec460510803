"""Logins in progress: between the password and the second step, all state lives on the server.

``begin`` records who passed the password step and which second step she must take, and returns
a random key for the cookie; ``find`` returns the pending login only for that key, that step,
within the time allowed and for an active account. Nothing in the cookie names a user, so the
Flask secret alone never lets anyone log in as anybody (SECURITY.md, "Login state").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from sqlalchemy import delete, select

from casework.crypto import CryptoError, app_open, app_seal
from casework.crypto.passwords import new_token, token_digest
from casework.db import utcnow
from casework.extensions import db
from casework.models.user import PendingLogin, User

SecondStep = Literal["verify", "enrol"]

PENDING_LIFETIME = timedelta(minutes=5)  # between the password and the second factor
MAX_WRONG_CODES = 5


def second_step_for(user: User, *, mfa_required: bool) -> SecondStep | None:
    """``verify`` for an enrolled account, ``enrol`` when her role needs a factor she lacks."""
    if user.mfa_enrolled:
        return "verify"
    return "enrol" if mfa_required else None


def begin(user: User, step: SecondStep, next_url: str | None) -> str:
    """Record a login that passed the password step; return the random key for the cookie."""
    _forget_expired()
    key = new_token()
    db.session.add(
        PendingLogin(key_hash=token_digest(key), user=user, second_step=step, next_url=next_url)
    )
    db.session.flush()
    return key


def find(key: object, step: SecondStep) -> PendingLogin | None:
    """The live pending login for ``key`` awaiting ``step``, or None (and an expired one ends).

    A login waiting for a code cannot be taken to the enrolment page (or back), and an account
    that has a factor by now can never enrol another one at login.
    """
    if not isinstance(key, str) or not key:
        return None
    pending = db.session.scalar(
        select(PendingLogin).where(PendingLogin.key_hash == token_digest(key))
    )
    if pending is None:
        return None
    user = pending.user
    if utcnow() - pending.created_at > PENDING_LIFETIME or not user.active:
        finish(pending)
        return None
    if pending.second_step != step:
        return None
    if step == "enrol" and user.mfa_enrolled:
        return None
    return pending


def wrong_code(pending: PendingLogin) -> bool:
    """Count a wrong code; True (and the login ends) once there have been too many."""
    pending.tries += 1
    if pending.tries >= MAX_WRONG_CODES:
        finish(pending)
        return True
    return False


def finish(pending: PendingLogin) -> None:
    db.session.delete(pending)
    db.session.flush()


def forget_user(user: User) -> None:
    """End every login in progress of ``user`` (her factor was reset, her account changed)."""
    db.session.execute(delete(PendingLogin).where(PendingLogin.user_id == user.id))


def _forget_expired() -> None:
    cutoff = utcnow() - PENDING_LIFETIME
    db.session.execute(delete(PendingLogin).where(PendingLogin.created_at < cutoff))


def _seed_context(pending: PendingLogin) -> str:
    return f"pending_logins.enrol_seed:{pending.id}:{pending.user_id}"


def keep_enrol_seed(pending: PendingLogin, seed: str) -> None:
    """Keep the seed shown on the enrolment page, sealed and bound to this login."""
    pending.enrol_seed_sealed = app_seal(seed.encode("ascii"), _seed_context(pending))
    db.session.flush()


def enrol_seed(pending: PendingLogin) -> str | None:
    if pending.enrol_seed_sealed is None:
        return None
    try:
        return app_open(pending.enrol_seed_sealed, _seed_context(pending)).decode("ascii")
    except CryptoError:
        return None
