"""Create forms are idempotent: each rendered form carries a one-time token, and the service
that saves it claims the token in the same transaction (a unique row). A second submission of
the same page (back and submit again, a double tap, a retried request) is refused as
:class:`AlreadySaved`, which names where the first one led, and nothing is written twice.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from casework.extensions import db
from casework.models.form_token import UsedFormToken
from casework.services.errors import DomainError

TOKEN_BYTES = 18
MAX_TOKEN = 64
ALREADY_SAVED = _l("This form was already saved; it was not saved a second time.")


class AlreadySaved(DomainError):
    """This form's token was used before; ``target`` is where the first submission led."""

    def __init__(self, target: str | None) -> None:
        super().__init__(ALREADY_SAVED)
        self.target = target


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check(token: str | None, *, actor: Any) -> None:
    """Raise :class:`AlreadySaved` when ``token`` was already used by ``actor``.

    Without a token (a client that is not our page) there is nothing to check; a malformed
    one is refused ("open the form again").
    """
    text = (token or "").strip()
    if not text:
        return
    if len(text) > MAX_TOKEN:
        raise DomainError(_l("This form is out of date: open it again and resubmit."))
    row = db.session.get(UsedFormToken, _digest(text))
    if row is not None and row.user_id == getattr(actor, "id", None):
        raise AlreadySaved(row.target)
    if row is not None:
        raise DomainError(_l("This form is out of date: open it again and resubmit."))


def claim(token: str | None, *, actor: Any, target: str | None = None) -> None:
    """Mark ``token`` used (in the caller's transaction); raise :class:`AlreadySaved` if a
    concurrent submission claimed it first. Call after the write it guards."""
    check(token, actor=actor)
    text = (token or "").strip()
    if not text:
        return
    try:
        with db.session.begin_nested():
            db.session.add(UsedFormToken(token_hash=_digest(text),
                                         user_id=getattr(actor, "id", None),
                                         target=(target or "")[:200] or None))
    except IntegrityError:
        row = db.session.get(UsedFormToken, _digest(text))
        raise AlreadySaved(row.target if row is not None else None) from None
