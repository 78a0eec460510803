"""Read-only API tokens: 256 random bits shown once, only their SHA-256 stored, scoped to a unit.

A token reads the figures of its unit's subtree and nothing else (no personal data is served by
the API at all). Admins and supervisors create them for a unit of their own subtree; revoking
is immediate.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import audit
from casework.crypto.passwords import new_token, token_digest
from casework.db import utcnow
from casework.extensions import db
from casework.models.activity import ApiToken
from casework.models.org import OrgUnit
from casework.models.user import User
from casework.services.errors import DomainError

PREFIX = "cwk_"
TOKEN_BYTES = 32


def create(unit: OrgUnit, name: str, *, actor: User) -> tuple[ApiToken, str]:
    """A new token for ``unit``'s subtree; the plaintext is returned once and never stored."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise DomainError(_l("Say in under 100 characters what the token is for."), "name")
    plaintext = PREFIX + new_token(TOKEN_BYTES)
    token = ApiToken(name=name, token_hash=token_digest(plaintext), org_unit_id=unit.id,
                     created_by_id=actor.id)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", target_type="api_token", target_id=token.id,
                 actor=actor, details={"unit": unit.id})
    return token, plaintext


def revoke(token: ApiToken, *, actor: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record("api_token.revoked", target_type="api_token", target_id=token.id,
                     actor=actor)


def lookup(plaintext: str) -> ApiToken | None:
    """The live token ``plaintext`` names, or None (unknown, malformed or revoked)."""
    if not plaintext.startswith(PREFIX) or len(plaintext) > 100 or not plaintext.isascii():
        return None
    token: ApiToken | None = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_digest(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    return token
