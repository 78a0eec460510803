"""Notices for the people a referral concerns: in-app always, e-mail when SMTP is configured.

Nothing personal leaves by e-mail: the message names the kind of notice, the referral's
partner reference and a link to log in; never a name, phone, note, category or case number
(a case number's unit code names her commune). Partners' in-app notices carry the partner
reference only; staff notices may also carry the case number. E-mails are queued on the database
session and sent only after the transaction commits (a rolled-back action sends nothing);
a failing mail server is logged and never breaks the action.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from casework.db import rows_affected, utcnow
from casework.extensions import db
from casework.models.notification import Notification
from casework.models.user import User

log = logging.getLogger("casework.notifications")
_MAIL_KEY = "casework_mail_outbox"

KINDS: dict[str, Any] = {
    "referral_received": _l("New referral received"),
    "referral_accepted": _l("Referral accepted"),
    "referral_declined": _l("Referral declined"),
    "referral_on_hold": _l("Referral put on hold"),
    "uptake_confirmed": _l("She started the service"),
    "referral_completed": _l("Service completed"),
    "referral_not_completed": _l("Service not completed"),
    "referral_cancelled": _l("Referral cancelled"),
    "decline_to_review": _l("A decline to review"),
    "review_agreed": _l("Supervisor agreed with the decline"),
    "review_refer_elsewhere": _l("Supervisor asks you to refer elsewhere"),
    # Partners without an account (issue 12): the link is never in the notice.
    "partner_link_created": _l("A one-time link was made for the partner: print her slip"),
    "uptake_reported": _l("A caseworker reported an uptake: verify it"),
    "uptake_verified": _l("Supervisor verified the reported uptake"),
    "uptake_rejected": _l("Supervisor did not verify the reported uptake"),
}


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    host: str
    port: int
    sender: str


def notify(users: Iterable[User], kind: str, *, link: str, case_number: str | None,
           reference: str | None = None, referral_id: Any = None) -> list[Notification]:
    """Add one notice per distinct active user; queue an e-mail for those with an address.

    ``case_number`` is kept for staff notices only (never for a partner user, never e-mailed);
    ``reference`` (the referral's partner reference) is what partners and e-mails show.
    """
    seen: set[int] = set()
    created = []
    for user in users:
        if user is None or not user.active or user.id in seen:
            continue
        seen.add(user.id)
        notice = Notification(user_id=user.id, kind=kind, link=link,
                              case_number=None if user.role == "partner" else case_number,
                              reference=reference, referral_id=referral_id)
        db.session.add(notice)
        created.append(notice)
        if user.email and has_app_context() and current_app.config.get("CASEWORK_SMTP_HOST"):
            notice.emailed_at = utcnow()
            _queue(user, kind, link, reference)
    db.session.flush()
    return created


def _queue(user: User, kind: str, link: str, reference: str | None) -> None:
    cfg = current_app.config
    url = f"{cfg['CASEWORK_PUBLIC_URL']}{link}"
    with force_locale(user.language or cfg.get("BABEL_DEFAULT_LOCALE", "vi")):
        title = str(KINDS.get(kind, kind))
        subject = _("Casework: %(title)s", title=title)
        body = "\n".join([
            title,
            _("Referral reference: %(reference)s", reference=reference or "-"),
            "",
            _("Log in to Casework to see it: %(url)s", url=url),
            "",
            _("This message contains no personal details on purpose. Do not reply with any."),
        ])
    mail = Mail(to=user.email or "", subject=subject, body=body,
                host=str(cfg["CASEWORK_SMTP_HOST"]), port=int(cfg["CASEWORK_SMTP_PORT"]),
                sender=str(cfg["CASEWORK_MAIL_SENDER"]))
    db.session().info.setdefault(_MAIL_KEY, []).append(mail)


def _send(mail: Mail) -> None:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(mail.host, mail.port, timeout=10) as smtp:
        smtp.send_message(message)


def _after_commit(session: Session) -> None:
    outbox: list[Mail] = session.info.pop(_MAIL_KEY, [])
    for mail in outbox:
        try:
            _send(mail)
        except (OSError, smtplib.SMTPException) as error:
            # The recipient's address is not logged (the log filter would mask it anyway).
            log.warning("notice e-mail not sent: %s", type(error).__name__)


def _after_rollback(session: Session, _previous: Any = None) -> None:
    session.info.pop(_MAIL_KEY, None)


def init_app(_app: Flask) -> None:
    """Install the send-after-commit hooks (idempotent)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


# --- Reading -----------------------------------------------------------------------------------

def for_user(user: User, *, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc())
        .limit(limit)))


def unread_count(user: User) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0)


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return rows_affected(result)


def label(kind: str) -> Any:
    return KINDS.get(kind, kind)
