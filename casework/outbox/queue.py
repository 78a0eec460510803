"""Putting messages on the outbox, in the caller's transaction (a rolled-back action sends
nothing). The link (possibly a one-time capability link) and a contact's address are sealed
with the app key, bound to the message id, and cleared once the message is sent or given up.
"""

from __future__ import annotations

import uuid

from flask import current_app

from casework.crypto import app_open, app_seal
from casework.db import utcnow
from casework.extensions import db
from casework.models.outbox import CHANNELS, OutboxMessage
from casework.models.user import User
from casework.outbox import contacts, timing
from casework.services.errors import DomainError


def _context(message_id: uuid.UUID, what: str) -> str:
    return f"outbox:{message_id}:{what}"


def seal(message_id: uuid.UUID, what: str, value: str | None) -> bytes | None:
    return app_seal(value.encode("utf-8"), _context(message_id, what)) if value else None


def unseal(message_id: uuid.UUID, what: str, blob: bytes | None) -> str | None:
    return app_open(blob, _context(message_id, what)).decode("utf-8") if blob else None


def _message(channel: str, kind: str, *, reference: str | None, link: str | None,
             locale: str, user: User | None = None, address: str | None = None,
             digest: bool = False) -> OutboxMessage:
    now = utcnow()
    message_id = uuid.uuid4()
    due = timing.next_digest_at(now) if digest else timing.allowed_from(now)
    message = OutboxMessage(
        id=message_id, channel=channel, kind=kind[:40],
        reference=reference[:40] if reference else None,
        user_id=user.id if user is not None else None,
        address_sealed=seal(message_id, "address", address),
        link_sealed=seal(message_id, "link", link),
        locale=locale, status="queued", attempts=0, next_attempt_at=due, created_at=now)
    db.session.add(message)
    return message


def to_user(user: User, kind: str, *, reference: str | None = None,
            link: str | None = None) -> list[OutboxMessage]:
    """One message per channel ``user`` chose, has an address for, and this installation has
    settings for (the in-app notice is :func:`casework.services.notifications.notify`'s).

    ``reference`` is a code (a referral's partner reference), ``link`` a path or URL; never
    a name, phone or service detail. Added to the current session, not committed.
    """
    enabled = contacts.enabled_channels()
    if user is None or not user.active or not enabled:
        return []  # no outside channel set up: in-app notices only, no query
    prefs = contacts.preferences(user)
    locale = user.language or str(current_app.config.get("BABEL_DEFAULT_LOCALE", "vi"))
    made = [
        _message(channel, kind, reference=reference, link=link, locale=locale, user=user,
                 digest=prefs.digest)
        for channel in CHANNELS
        if channel in prefs.channels and channel in enabled
        and contacts.address_for(user, channel, prefs)
    ]
    if made:
        db.session.flush()
    return made


def to_contact(channel: str, address: str, kind: str, *, reference: str | None = None,
               link: str | None = None) -> OutboxMessage:
    """One message to someone without an account (a provider's contact person): ``address`` is
    an e-mail address, or a mobile number for SMS and Zalo (normalised to ``84...``).

    Raises ValueError for an unknown channel or an unusable number. Added to the current
    session, not committed; the address and link are sealed at rest.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if channel in ("sms", "zalo"):
        try:
            number = contacts.normalise_phone(address, "address") if address else None
        except DomainError:
            number = None
        if number is None:
            raise ValueError("a mobile number is needed for SMS and Zalo")
        address = number
    elif not address or "@" not in address:
        raise ValueError("an e-mail address is needed for e-mail")
    locale = str(current_app.config.get("BABEL_DEFAULT_LOCALE", "vi"))
    message = _message(channel, kind, reference=reference, link=link, locale=locale,
                       address=address.strip())
    db.session.flush()
    return message
