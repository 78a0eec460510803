"""Two-factor login: enrol a TOTP seed, verify codes once only, use and renew recovery codes."""

from __future__ import annotations

import base64

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import audit
from casework.crypto import CryptoError, app_open, app_seal, totp
from casework.crypto.passwords import hash_password, verify_password
from casework.db import utcnow
from casework.extensions import db
from casework.models.user import RecoveryCode, User
from casework.services import accounts, login_state, sessions
from casework.services.errors import DomainError


def _context(user: User) -> str:
    return f"users.totp_seed:{user.id}"


def required_for(user: User) -> bool:
    return user.role in current_app.config["CASEWORK_MFA_REQUIRED_ROLES"]


def seed_of(user: User) -> str | None:
    if user.totp_seed_sealed is None:
        return None
    return app_open(user.totp_seed_sealed, _context(user)).decode("ascii")


def enrol(
    user: User,
    seed: str,
    code: str,
    *,
    keep_session_key: str | None,
    current_code: str | None = None,
) -> list[str]:
    """Store ``seed`` once ``code`` proves the authenticator has it; return new recovery codes.

    An account that already has a factor must prove it first with ``current_code`` (a code from
    the current authenticator or a recovery code): a password alone never replaces a factor.
    The earlier seed and recovery codes are replaced and every other session of the user ends.
    """
    replacing = user.mfa_enrolled
    if replacing and not (current_code and verify_code(user, current_code)):
        raise DomainError(
            _l("Enter a code from your current authenticator app, or a recovery code."),
            "current_code",
        )
    step = totp.verify(seed, code, last_step=None)
    if step is None:
        raise DomainError(_l("The code is wrong or has expired. Try the newest code."), "code")
    store_seed(user, seed)
    user.totp_last_step = step
    codes = _replace_recovery_codes(user)
    sessions.end_all(user, reason="mfa_changed", except_key=keep_session_key)
    audit.record(
        "mfa.enrolled",
        target_type="user",
        target_id=str(user.id),
        actor=user,
        details={"replaced": replacing},
    )
    return codes


def store_seed(user: User, seed: str) -> None:
    """Seal ``seed`` with the app key, bound to this user (a seed moved to another user fails)."""
    user.totp_seed_sealed = app_seal(seed.encode("ascii"), _context(user))
    user.totp_last_step = None


def _replace_recovery_codes(user: User) -> list[str]:
    user.recovery_codes.clear()
    codes = totp.new_recovery_codes()
    for code in codes:
        user.recovery_codes.append(RecoveryCode(code_hash=hash_password(code)))
    db.session.flush()
    return codes


def verify_code(user: User, code: str) -> bool:
    """Check a TOTP code (each step usable once) or else a recovery code (each usable once)."""
    seed = seed_of(user)
    if seed is None:
        return False
    step = totp.verify(seed, code, last_step=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        audit.record("mfa.verified", target_type="user", target_id=str(user.id), actor=user)
        return True
    cleaned = code.strip().lower()
    if len(cleaned) == 9 and cleaned[4] == "-":
        unused = db.session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        for candidate in unused:
            if verify_password(candidate.code_hash, cleaned):
                candidate.used_at = utcnow()
                audit.record(
                    "mfa.recovery_code_used", target_type="user", target_id=str(user.id), actor=user
                )
                return True
    accounts.register_failure(user, "wrong_code")
    return False


def seal_pending(value: str, user: User, purpose: str) -> str:
    """Seal a pending secret (a new seed, fresh recovery codes) for the signed session cookie.

    Flask's cookie is signed, not encrypted: anything secret kept there between two requests is
    sealed with the app key, bound to the user and the purpose.
    """
    blob = app_seal(value.encode("utf-8"), f"session.{purpose}:{user.id}")
    return base64.urlsafe_b64encode(blob).decode("ascii")


def open_pending(token: object, user: User, purpose: str) -> str | None:
    """The value sealed by :func:`seal_pending`, or None when missing or not this user's."""
    if not isinstance(token, str) or not token:
        return None
    try:
        blob = base64.urlsafe_b64decode(token.encode("ascii"))
        return app_open(blob, f"session.{purpose}:{user.id}").decode("utf-8")
    except (ValueError, CryptoError):
        return None


def reset(user: User, *, actor: User) -> None:
    """Remove a user's second factor (lost phone); they enrol again at next login."""
    user.totp_seed_sealed = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    sessions.end_all(user, reason="mfa_reset")
    login_state.forget_user(user)
    audit.record("mfa.reset", target_type="user", target_id=str(user.id), actor=actor)


def remaining_recovery_codes(user: User) -> int:
    return sum(1 for c in user.recovery_codes if c.used_at is None)
