"""Set-password links: how a new or reset account gets a password nobody else chose.

An administrator never types anyone's password. Creating an account, or resetting one, issues a
one-time link: 256 random bits in the URL, kept only as a SHA-256 over purpose and token, bound
to one user and one purpose, expiring after ``CASEWORK_SET_PASSWORD_LINK_HOURS``, good once.
Issuing a link voids the user's earlier ones. A reset also makes the old password unusable at
once and ends every session of the account. Issuing and using a link are audited (never the
token). Services flush; the calling view commits.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from casework import audit
from casework.crypto.passwords import hash_password, new_token, token_digest
from casework.db import rows_affected, utcnow
from casework.extensions import db
from casework.models.account_link import SET_PASSWORD, AccountLink
from casework.models.user import User
from casework.services import sessions
from casework.services.errors import DomainError
from casework.services.passwords import check_password_policy

TOKEN_BYTES = 32  # 256 bits
TOKEN_MAX_LENGTH = 64  # token_urlsafe(32) is 43 characters; anything longer is not ours

INVALID_LINK_MESSAGE = _l(
    "This link cannot be used: it is wrong, has expired, has been used already or was "
    "replaced by a newer one. Ask your administrator for a new link."
)


class LinkInvalid(DomainError):
    """Unknown, expired, used or replaced: one neutral message for all."""


def _digest(token: str, purpose: str) -> str:
    return token_digest(f"{purpose}:{token}")


def unusable_password_hash() -> str:
    """A real argon2 hash of a secret nobody keeps: no password opens the account, and a login
    attempt costs the same time as for any other account."""
    return hash_password(new_token(TOKEN_BYTES))


def _void_open_links(user: User, purpose: str) -> int:
    now = utcnow()
    result = db.session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.purpose == purpose,
               AccountLink.used_at.is_(None), AccountLink.voided_at.is_(None))
        .values(voided_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_affected(result)


def issue_set_password_link(user: User, *, actor: User | None, reset: bool) -> str:
    """Issue a new link for ``user`` and return its token (shown once, never stored).

    ``reset``: the account had a password; it stops working now and every session ends.
    """
    if not user.active:
        raise DomainError(_l("This account is deactivated. Reactivate it first."))
    hours = int(current_app.config.get("CASEWORK_SET_PASSWORD_LINK_HOURS", 72))
    voided = _void_open_links(user, SET_PASSWORD)
    token = new_token(TOKEN_BYTES)
    now = utcnow()
    db.session.add(AccountLink(
        token_hash=_digest(token, SET_PASSWORD), purpose=SET_PASSWORD, user_id=user.id,
        created_by_id=getattr(actor, "id", None), created_at=now,
        expires_at=now + timedelta(hours=hours),
    ))
    if reset:
        user.password_hash = unusable_password_hash()
        user.password_changed_at = now
        user.failed_logins = 0
        user.locked_until = None
        sessions.end_all(user, reason="password_reset")
    db.session.flush()
    audit.record(
        "user.password_link_issued", target_type="user", target_id=str(user.id), actor=actor,
        details={"reset": reset, "hours": hours, "voided": voided},
    )
    return token


def find_usable(token: str, purpose: str = SET_PASSWORD) -> AccountLink | None:
    """The link for ``token`` if it can still be used for ``purpose``, else None."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    link = db.session.scalar(
        select(AccountLink).where(AccountLink.token_hash == _digest(token, purpose))
    )
    if (link is None or link.purpose != purpose or link.used_at is not None
            or link.voided_at is not None or link.expires_at <= utcnow()
            or not link.user.active):
        return None
    return link


def set_password(token: str, password: str, *, purpose: str = SET_PASSWORD) -> User:
    """Use a link: the owner chooses her password. Raises LinkInvalid for an unusable link (and
    audits the refusal) and DomainError when the password breaks the policy (link kept)."""
    link = find_usable(token, purpose)
    if link is None:
        audit.defer("user.password_link_refused", outcome="denied")  # survives the rollback
        raise LinkInvalid(INVALID_LINK_MESSAGE)
    user = link.user
    check_password_policy(password, username=user.username)
    now = utcnow()
    # Claim the link atomically: of two submissions racing, one wins.
    claimed = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None),
               AccountLink.voided_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_affected(claimed) != 1:
        audit.defer("user.password_link_refused", outcome="denied")
        raise LinkInvalid(INVALID_LINK_MESSAGE)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = False
    user.failed_logins = 0
    user.locked_until = None
    sessions.end_all(user, reason="password_set")
    audit.record("user.password_set", target_type="user", target_id=str(user.id), actor=user,
                 details={"link": link.id})
    db.session.flush()
    return user
