"""Each account holder's own contact data and channel choices for messages.

Her phone and Zalo number are sealed with the app key (bound to her user id): a staff member's
work phone is personal data too. The e-mail address stays on the user row, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from casework import audit
from casework.crypto import app_open, app_seal
from casework.extensions import db
from casework.models.outbox import CHANNELS, ContactPreference
from casework.models.user import User
from casework.services.errors import DomainError

CHANNEL_LABELS: dict[str, Any] = {
    "email": _l("E-mail"),
    "sms": _l("SMS"),
    "zalo": _l("Zalo"),
}
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


@dataclass
class Preferences:
    email: str | None
    phone: str | None
    zalo: str | None
    channels: tuple[str, ...]
    digest: bool


def _context(user_id: int, what: str) -> str:
    return f"contact:{user_id}:{what}"


def _open(blob: bytes | None, user_id: int, what: str) -> str | None:
    return app_open(blob, _context(user_id, what)).decode("utf-8") if blob else None


def preferences(user: User) -> Preferences:
    """Her choices; without a saved row, e-mail when she has an address (the old behaviour)."""
    row = db.session.get(ContactPreference, user.id)
    if row is None:
        return Preferences(user.email, None, None, ("email",) if user.email else (), False)
    chosen = tuple(c for c in row.channels.split(",") if c in CHANNELS)
    return Preferences(user.email, _open(row.phone_sealed, user.id, "phone"),
                       _open(row.zalo_sealed, user.id, "zalo"), chosen, row.digest)


def enabled_channels() -> tuple[str, ...]:
    """The channels this installation has settings for (README, "Messages and reminders")."""
    cfg = current_app.config
    on = []
    if cfg.get("CASEWORK_SMTP_HOST"):
        on.append("email")
    if cfg.get("CASEWORK_SMS_URL"):
        on.append("sms")
    if cfg.get("CASEWORK_ZALO_URL"):
        on.append("zalo")
    return tuple(on)


def address_for(user: User, channel: str, prefs: Preferences | None = None) -> str | None:
    prefs = prefs or preferences(user)
    return {"email": prefs.email, "sms": prefs.phone, "zalo": prefs.zalo}.get(channel)


def normalise_phone(raw: str | None, field: str) -> str | None:
    """A Vietnamese mobile number as the gateways want it: ``84`` and 9 digits.

    Raises DomainError for anything else (the form shows it in Vietnamese)."""
    if raw is None or not raw.strip():
        return None
    digits = re.sub(r"[\s.\-()]", "", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    if not re.fullmatch(r"84\d{9}", digits):
        raise DomainError(_l("Enter a mobile number such as 0912 345 678."), field)
    return digits


def save_preferences(user: User, *, email: str | None, phone: str | None, zalo: str | None,
                     channels: list[str], digest: bool) -> None:
    """Store her contact data and choices. Raises DomainError (nothing written) for a bad
    address or a channel chosen without an address for it."""
    email = (email or "").strip() or None
    if email is not None and not _EMAIL_RE.match(email):
        raise DomainError(_l("Enter an e-mail address such as ten@example.org."), "email")
    phone = normalise_phone(phone, "phone")
    zalo = normalise_phone(zalo, "zalo")
    chosen = [c for c in CHANNELS if c in set(channels)]
    if set(channels) - set(CHANNELS):
        raise DomainError(_l("Choose channels from the list."), "channels")
    for channel, address, field in (("email", email, "email"), ("sms", phone, "phone"),
                                    ("zalo", zalo, "zalo")):
        if channel in chosen and not address:
            raise DomainError(_l("Enter the address for each channel you choose."), field)
    row = db.session.get(ContactPreference, user.id)
    if row is None:
        row = ContactPreference(user_id=user.id)
        db.session.add(row)
    user.email = email
    row.phone_sealed = app_seal(phone.encode(), _context(user.id, "phone")) if phone else None
    row.zalo_sealed = app_seal(zalo.encode(), _context(user.id, "zalo")) if zalo else None
    row.channels = ",".join(chosen)
    row.digest = digest
    audit.record("account.message_channels_changed", target_type="user", target_id=user.id,
                 actor=user, details={"channels": row.channels, "digest": digest})
    db.session.flush()
