"""One-time partner links: a partner without an account answers a referral on her phone.

SECURITY.md, "Messages, links and outside channels": a link holds 256 random bits, is stored
only as a keyed digest (:func:`casework.crypto.hash_token`), expires, is bound to one referral
and one purpose, works once per action and is audited on every use; her data is shown only
after the second proof, the **slip code** printed on the referral slip she carries (short and
typeable, stored as a keyed digest; wrong codes are counted and lock the link). Tokens and codes
are returned once to the caller and never stored, logged or put in a notice.

* :func:`on_sent` (called by ``referrals.send``): a provider with no active partner user gets a
  link by its preferred channel (:func:`deliver_partner_link`);
* :func:`reissue` (caseworker): a new link to copy into a chat (the old one revoked);
* :func:`print_slip` (caseworker): a new slip code and a slip link for the QR code;
* :func:`open_link`, :func:`check_code`, :func:`act` (the public link page).

Services flush and never commit; the view commits once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from casework import audit, crypto, outbox
from casework.authz import referral_for_link
from casework.db import rows_affected, utcnow
from casework.extensions import db
from casework.models.partner_link import (
    MESSAGE_CHANNELS,
    RESPOND,
    LinkActor,
    PartnerLink,
)
from casework.models.referral import Referral, ReferralEvent
from casework.models.user import User
from casework.outbox import contacts as outbox_contacts
from casework.services import notifications
from casework.services import referral_flow as flow
from casework.services.errors import DomainError

log = logging.getLogger("casework.partner_links")

TOKEN_BYTES = 32  # 256 bits
TOKEN_MAX_LENGTH = 64
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed on a phone
CODE_LENGTH = 8  # about 39 bits; five wrong tries lock the link
DEFAULT_LINK_DAYS = 60
DEFAULT_MAX_CODE_TRIES = 5
VIEW_MINUTES = 30
TOKEN_CONTEXT = "partner_link:token"  # noqa: S105 - a key-derivation context, not a secret
#: What a link may do (the partner's moves of the referral table, not completion).
LINK_ACTIONS = ("accept", "decline", "hold", "confirm_uptake")
#: Moves after which the link has done its work and every link of the referral is revoked.
FINAL_ACTIONS = frozenset({"decline", "confirm_uptake"})

CHANNELS: dict[str, Any] = {
    "sms": _l("SMS"),
    "zalo": _l("Zalo"),
    "email": _l("E-mail"),
    "copy": _l("Copied by the caseworker"),
    "slip": _l("QR code on the slip"),
}
WRONG_CODE = _l("This code does not match. Check the code printed on her slip and try again.")
LOCKED = _l("Too many wrong codes: this link is locked. Ask the caseworker for a new one.")


class LinkRefused(DomainError):
    """Unknown, altered, expired, revoked, locked, used for this action or for a referral no
    longer open: the page answers one plain message for all."""


@dataclass(frozen=True)
class Issued:
    """What issuing returns once: the link's URL (with its token) and, for a slip, the code."""

    link: PartnerLink
    url: str
    code: str | None = None


def _config(name: str, default: int) -> int:
    if not has_app_context():
        return default
    return int(current_app.config.get(name, default))


def _digest(token: str) -> str:
    return crypto.hash_token(token, TOKEN_CONTEXT)


def _code_context(referral: Referral) -> str:
    return f"partner_link:code:{referral.id}"


def normalise_code(code: str | None) -> str:
    """What she typed, as stored: upper case, spaces and dashes dropped (``ab3d-7k9x``)."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:2 * CODE_LENGTH]


def format_code(code: str) -> str:
    """The code as printed: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def link_url(token: str) -> str:
    base = current_app.config.get("CASEWORK_PUBLIC_URL", "") if has_app_context() else ""
    return f"{str(base).rstrip('/')}/links/{token}"


def has_partner_account(referral: Referral) -> bool:
    """Whether the receiving provider has an active partner user (then no link is needed)."""
    return db.session.scalar(select(User.id).where(
        User.provider_id == referral.provider_id, User.role == "partner",
        User.active.is_(True)).limit(1)) is not None


def providers_with_accounts(provider_ids: list[int]) -> set[int]:
    """Which of these providers have an active partner user (they answer in Casework; the
    others get a one-time link): one query for a list of candidates."""
    if not provider_ids:
        return set()
    return set(db.session.scalars(select(User.provider_id).where(
        User.provider_id.in_(provider_ids), User.role == "partner",
        User.active.is_(True)).distinct()))


def active_links(referral: Referral) -> list[PartnerLink]:
    now = utcnow()
    return list(db.session.scalars(select(PartnerLink).where(
        PartnerLink.referral_id == referral.id, PartnerLink.revoked_at.is_(None),
        PartnerLink.expires_at > now).order_by(PartnerLink.id)))


def _revoke(referral: Referral, *, channels: tuple[str, ...] | None = None) -> int:
    stmt = (update(PartnerLink)
            .where(PartnerLink.referral_id == referral.id, PartnerLink.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False))
    if channels is not None:
        stmt = stmt.where(PartnerLink.channel.in_(channels))
    return rows_affected(db.session.execute(stmt))


def _current_code_hash(referral: Referral) -> str | None:
    return db.session.scalar(select(PartnerLink.code_hash).where(
        PartnerLink.referral_id == referral.id, PartnerLink.code_hash.is_not(None))
        .order_by(PartnerLink.id.desc()).limit(1))


def _new_link(referral: Referral, channel: str, actor: User | None) -> tuple[PartnerLink, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    link = PartnerLink(referral_id=referral.id, purpose=RESPOND, channel=channel,
                       token_hash=_digest(token), code_hash=_current_code_hash(referral),
                       failed_codes=0, used_actions="", created_at=now,
                       created_by_id=getattr(actor, "id", None),
                       expires_at=now + timedelta(days=_config("CASEWORK_PARTNER_LINK_DAYS",
                                                               DEFAULT_LINK_DAYS)))
    db.session.add(link)
    db.session.flush()
    return link, token


def _require_linkable(referral: Referral) -> None:
    if referral.status not in ("sent", "accepted", "on_hold"):
        raise DomainError(_l("A link can be made only for a referral waiting for the "
                             "partner's answer or for her to start."))
    if referral.provider.link_channel not in MESSAGE_CHANNELS:
        raise DomainError(_l("Choose how this partner receives links first."))


# --- Issuing (caseworker side) ------------------------------------------------------------------

def on_sent(referral: Referral, *, actor: User) -> Issued | None:
    """A referral was just sent: when its provider has no active partner user, make a link for
    the provider's contact and deliver it. Returns what was issued (None with an account)."""
    if has_partner_account(referral):
        return None
    return _issue_message_link(referral, actor=actor, channel=referral.provider.link_channel)


def _issue_message_link(referral: Referral, *, actor: User, channel: str) -> Issued:
    revoked = _revoke(referral, channels=(*MESSAGE_CHANNELS, "copy"))
    link, token = _new_link(referral, channel, actor)
    audit.record("partner_link.issued", target_type="referral", target_id=referral.id,
                 actor=actor, details={"link": link.id, "channel": channel, "revoked": revoked})
    url = link_url(token)
    deliver_partner_link(referral, url)
    return Issued(link, url)


def remind_contact(referral: Referral, kind: str) -> bool:
    """Nudge a provider without an account (the schedule's reminders, ``kind`` such as
    ``response_overdue``): a fresh message link (the earlier message link revoked, the slip
    code kept: her slip still works) sent to its contact person through the outbox. False,
    and nothing written, when the provider has an account, the referral no longer waits for
    the partner, or no channel or contact can carry it."""
    provider = referral.provider
    channel = provider.link_channel
    address = provider.contact_email if channel == "email" else provider.contact_phone
    if (has_partner_account(referral) or referral.status not in ("sent", "accepted", "on_hold")
            or not address or channel not in MESSAGE_CHANNELS
            or channel not in outbox_contacts.enabled_channels()):
        return False
    try:
        with db.session.begin_nested():  # an unusable contact leaves no link behind
            revoked = _revoke(referral, channels=MESSAGE_CHANNELS)
            link, token = _new_link(referral, channel, None)
            outbox.to_contact(channel, address, kind, reference=referral.partner_reference,
                              link=link_url(token))
    except ValueError:
        return False
    audit.record("partner_link.issued", target_type="referral", target_id=referral.id,
                 details={"link": link.id, "channel": channel, "revoked": revoked,
                          "reminder": kind})
    return True


def reissue(referral: Referral, *, actor: User) -> Issued:
    """A new link for the caseworker to copy into a chat herself (old message links revoked).
    Raises DomainError when the referral no longer waits for the partner."""
    _require_linkable(referral)
    return _issue_message_link(referral, actor=actor, channel="copy")


def print_slip(referral: Referral, *, actor: User) -> Issued:
    """A new slip: a fresh code (every live link of the referral now asks for it; an earlier
    slip's code stops working) and a slip link for its QR code. The code is returned once."""
    _require_linkable(referral)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    code_hash = crypto.hash_token(code, _code_context(referral))
    revoked = _revoke(referral, channels=("slip",))
    db.session.execute(update(PartnerLink).where(
        PartnerLink.referral_id == referral.id, PartnerLink.revoked_at.is_(None))
        .values(code_hash=code_hash, failed_codes=0, view_key_hash=None, view_until=None)
        .execution_options(synchronize_session=False))
    link, token = _new_link(referral, "slip", actor)
    link.code_hash = code_hash
    audit.record("partner_link.slip_printed", target_type="referral", target_id=referral.id,
                 actor=actor, details={"link": link.id, "revoked": revoked})
    db.session.flush()
    return Issued(link, link_url(token), code)


def deliver_partner_link(referral: Referral, link_url: str) -> bool:
    """THE one delivery point of a partner link; True when it went into the outbox.

    The link goes to the provider's contact person through the outbox, on the provider's
    ``link_channel`` (SMS or Zalo to its contact phone, e-mail to its contact e-mail) when this
    installation has that channel set up; in the same transaction as the send. The message
    carries the partner reference and the link, nothing about her. Either way the referral's
    caseworkers get an in-app notice (never the link itself, stored nowhere in clear): from
    the referral page they print the slip, or make a new link to copy into Zalo themselves
    when nothing could be sent.
    """
    provider = referral.provider
    channel = provider.link_channel
    address = provider.contact_email if channel == "email" else provider.contact_phone
    queued = False
    if address and channel in outbox_contacts.enabled_channels():
        try:
            outbox.to_contact(channel, address, "partner_link",
                              reference=referral.partner_reference, link=link_url)
            queued = True
        except ValueError:  # an unusable number or address in the directory
            log.warning("partner link not sent: the provider's %s contact is unusable", channel)
    ids = {referral.sent_by_id, referral.created_by_id} - {None}
    users = [u for u in (db.session.get(User, i) for i in ids) if u is not None]
    notifications.notify(users, "partner_link_created", link=f"/referrals/{referral.id}",
                         case_number=referral.case.case_number,
                         reference=referral.partner_reference, referral_id=referral.id)
    return queued


# --- Using a link (the public page) -------------------------------------------------------------

def _refused(link: PartnerLink | None, reason: str) -> LinkRefused:
    details: dict[str, Any] = {"reason": reason}
    if link is not None:
        details["link"] = link.id
    audit.defer("partner_link.refused", outcome="denied", target_type="referral",
                target_id=link.referral_id if link is not None else None, details=details)
    return LinkRefused(_l("This link cannot be used."))


def refuse(link: PartnerLink, reason: str) -> None:
    """Audit a refused use of a link that was itself valid (no code given, wrong action)."""
    _refused(link, reason)


def open_link(token: str) -> PartnerLink:
    """The usable link for ``token``: raises LinkRefused (audited) when unknown, altered,
    expired, revoked, locked, or its referral is no longer open to the partner."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise _refused(None, "malformed")
    link = db.session.scalar(select(PartnerLink).where(PartnerLink.token_hash == _digest(token)))
    if link is None:
        raise _refused(None, "unknown")
    now = utcnow()
    if link.revoked_at is not None:
        raise _refused(link, "revoked")
    if link.expires_at <= now:
        raise _refused(link, "expired")
    if link.locked_at is not None:
        raise _refused(link, "locked")
    if referral_for_link(link.referral_id) is None:
        raise _refused(link, "referral_closed")
    return link


def note_opened(link: PartnerLink) -> None:
    link.last_used_at = utcnow()
    audit.record("partner_link.opened", target_type="referral", target_id=link.referral_id,
                 actor=actor_for(link), details={"link": link.id})


def check_code(link: PartnerLink, code: str | None) -> str | None:
    """The second proof. Returns a view key (for the page's forms; its digest is kept for
    :data:`VIEW_MINUTES`), or None for a wrong code: counted and audited, and the last allowed
    try locks the link (the caller commits either way and shows :func:`code_message`)."""
    typed = normalise_code(code)
    ok = (link.code_hash is not None and len(typed) == CODE_LENGTH
          and crypto.verify_token(typed, link.code_hash, _code_context(link.referral)))
    now = utcnow()
    link.last_used_at = now
    if not ok:
        link.failed_codes += 1
        locked = link.failed_codes >= _config("CASEWORK_PARTNER_LINK_CODE_TRIES",
                                              DEFAULT_MAX_CODE_TRIES)
        if locked:
            link.locked_at = now
        audit.record("partner_link.code_wrong", outcome="denied", target_type="referral",
                     target_id=link.referral_id, actor=actor_for(link),
                     details={"link": link.id, "tries": link.failed_codes, "locked": locked})
        db.session.flush()
        return None
    key = secrets.token_urlsafe(24)
    link.view_key_hash = crypto.hash_token(key, f"partner_link:view:{link.id}")
    link.view_until = now + timedelta(minutes=VIEW_MINUTES)
    audit.record("partner_link.code_ok", target_type="referral", target_id=link.referral_id,
                 actor=actor_for(link), details={"link": link.id})
    db.session.flush()
    return key


def code_message(link: PartnerLink) -> Any:
    """What a wrong code answers: try again, or locked."""
    return LOCKED if link.locked_at is not None else WRONG_CODE


def view_key_valid(link: PartnerLink, key: str | None) -> bool:
    return bool(key and link.view_key_hash and link.view_until is not None
                and link.view_until > utcnow()
                and crypto.verify_token(key, link.view_key_hash, f"partner_link:view:{link.id}"))


def actor_for(link: PartnerLink) -> LinkActor:
    return LinkActor(link_id=link.id, referral_id=link.referral_id,
                     provider_id=link.referral.provider_id)


def shown(link: PartnerLink) -> dict[str, str]:
    """What she consented to share, after the second proof; the read is audited."""
    from casework.services import referrals

    data = referrals.partner_copy(link.referral)
    audit.record("referral.partner_viewed", target_type="referral", target_id=link.referral_id,
                 actor=actor_for(link), fields=tuple(data),
                 details={"status": link.referral.status, "link": link.id})
    return data


def available(link: PartnerLink) -> list[flow.Transition]:
    """The moves this link may take now: the partner's, minus completion and those used."""
    used = link.actions_used
    return [t for t in flow.allowed_actions(link.referral.status, flow.PARTNER)
            if t.action in LINK_ACTIONS and t.action not in used]


def act(link: PartnerLink, action: str, data: Any, *, view_key: str | None,
        version: int | None) -> ReferralEvent:
    """Take ``action`` through the link, with the portal's rules (``referrals.act``) and the
    link's identity on the event; provenance ``partner_link`` on an uptake. Raises LinkRefused
    for a missing or stale view key or an action this link used already; DomainError as
    ``referrals.act`` does."""
    from casework.services import referrals

    if not view_key_valid(link, view_key):
        raise _refused(link, "no_code")
    if action not in LINK_ACTIONS or action in link.actions_used:
        raise _refused(link, "action_used" if action in link.actions_used else "action")
    # Claim the action atomically: of two submissions racing, one wins.
    claimed = db.session.execute(
        update(PartnerLink)
        .where(PartnerLink.id == link.id, PartnerLink.used_actions == link.used_actions,
               PartnerLink.revoked_at.is_(None))
        .values(used_actions=",".join(sorted({*link.actions_used, action})),
                last_used_at=utcnow())
        .execution_options(synchronize_session=False))
    if rows_affected(claimed) != 1:
        raise _refused(link, "action_used")
    event: ReferralEvent = referrals.act(link.referral, action, data, actor=actor_for(link),
                                         version=version)
    db.session.refresh(link)
    if action in FINAL_ACTIONS:
        _revoke(link.referral)
    return event


# --- What the caseworker sees -------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    needed: bool  # the provider has no active partner user
    linkable: bool  # the referral waits for the partner or her uptake
    links: list[PartnerLink]
    slip_printed: bool


def summary(referral: Referral) -> Summary:
    links = active_links(referral)
    return Summary(needed=not has_partner_account(referral),
                   linkable=referral.status in ("sent", "accepted", "on_hold"),
                   links=links, slip_printed=any(lk.code_hash for lk in links))


def confirmed_by_link(event: ReferralEvent) -> bool:
    """Whether a referral event was taken through a one-time link (timeline wording)."""
    return event.actor_role == LinkActor.role


# --- Supervision: answers per channel -----------------------------------------------------------

#: How a referral reached its partner: the partner's account, or a one-time link.
ANSWER_CHANNELS = ("account", "link")


def performance_by_channel(*conditions: Any) -> dict[int, dict[str, Any]]:
    """Per provider and channel (``account``: no link was ever made for the referral; ``link``:
    one was), the partner performance of :func:`referrals.performance_query` rows, summarised
    by :func:`referrals.summarise_performance` (the one definition of answer time and rate)."""
    from casework.services import referrals

    linked = Referral.id.in_(select(PartnerLink.referral_id))
    result: dict[int, dict[str, Any]] = {}
    for channel, condition in (("account", ~linked), ("link", linked)):
        by_provider: dict[int, list[Any]] = {}
        for row in db.session.execute(referrals.performance_query(*conditions, condition)):
            by_provider.setdefault(row.provider_id, []).append(row)
        for pid, rows in by_provider.items():
            result.setdefault(pid, {})[channel] = referrals.summarise_performance(rows)
    return result
