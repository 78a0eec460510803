"""Small adapters, one per outside channel: e-mail (SMTP), SMS (an HTTP JSON gateway) and Zalo
(Zalo Official Account notification messages, ZNS). Each answers an :class:`Outcome`: sent,
worth retrying (a rate limit, a 5xx, a network error) or refused for good. No adapter logs an
address, a body or a link; errors are reduced to a short code.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from http.client import HTTPException
from typing import Any

TIMEOUT_SECONDS = 10
# Zalo error codes worth waiting for (the rest are refusals: bad phone, template, consent).
# -32: the app exceeded its request rate; -124: the access token expired or is invalid (an
# admin renews it); -144: the Official Account used up its daily quota.
ZALO_TEMPORARY = frozenset({-32, -124, -144})


@dataclass(frozen=True)
class Outgoing:
    channel: str
    address: str
    subject: str
    body: str
    short: str
    title: str
    url: str
    reference: str | None
    tracking_id: str


@dataclass(frozen=True)
class Outcome:
    sent: bool
    retry: bool = False
    error: str = ""
    retry_after: int | None = None


SENT = Outcome(sent=True)


def send(message: Outgoing, cfg: Mapping[str, Any]) -> Outcome:
    adapter = {"email": send_email, "sms": send_sms, "zalo": send_zalo}.get(message.channel)
    if adapter is None:
        return Outcome(sent=False, error="unknown_channel")
    return adapter(message, cfg)


# --- E-mail ------------------------------------------------------------------------------------

def send_email(message: Outgoing, cfg: Mapping[str, Any]) -> Outcome:
    mail = EmailMessage()
    mail["From"] = str(cfg["CASEWORK_MAIL_SENDER"])
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    try:
        with smtplib.SMTP(str(cfg["CASEWORK_SMTP_HOST"]), int(cfg["CASEWORK_SMTP_PORT"]),
                          timeout=TIMEOUT_SECONDS) as smtp:
            if cfg.get("CASEWORK_SMTP_STARTTLS"):
                smtp.starttls()
            if cfg.get("CASEWORK_SMTP_USERNAME"):
                smtp.login(str(cfg["CASEWORK_SMTP_USERNAME"]), str(cfg["CASEWORK_SMTP_PASSWORD"]))
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused:
        return Outcome(sent=False, error="smtp_recipient_refused")
    except smtplib.SMTPResponseException as error:
        code = int(error.smtp_code)
        return Outcome(sent=False, retry=code < 500, error=f"smtp_{code}")
    except (OSError, smtplib.SMTPException) as error:
        return Outcome(sent=False, retry=True, error=f"smtp_{type(error).__name__}"[:60])
    return SENT


# --- HTTP JSON gateways ------------------------------------------------------------------------

def _post_json(url: str, payload: Mapping[str, Any],
               headers: Mapping[str, str]) -> tuple[int, Any, int | None]:
    """POST JSON; (HTTP status, parsed JSON body or None, Retry-After seconds or None)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("gateway URL must be http(s)")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above; URL from settings
        url, data=json.dumps(payload).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw, retry_after = response.status, response.read(), None
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
        retry_after = _seconds(error.headers.get("Retry-After"))
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        body = None
    return status, body, retry_after


def _seconds(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _http_outcome(prefix: str, status: int, retry_after: int | None) -> Outcome:
    if status in (408, 429) or status >= 500:
        return Outcome(sent=False, retry=True, error=f"{prefix}_http_{status}",
                       retry_after=retry_after)
    return Outcome(sent=False, error=f"{prefix}_http_{status}")


def send_sms(message: Outgoing, cfg: Mapping[str, Any]) -> Outcome:
    """A generic SMS gateway: ``POST CASEWORK_SMS_URL`` with a bearer token and
    ``{"to", "from", "text", "reference"}``; any 2xx is accepted, 429/408/5xx retried."""
    try:
        status, _body, retry_after = _post_json(
            str(cfg["CASEWORK_SMS_URL"]),
            {"to": message.address, "from": str(cfg.get("CASEWORK_SMS_SENDER") or "Casework"),
             "text": message.short, "reference": message.tracking_id},
            {"Authorization": f"Bearer {cfg.get('CASEWORK_SMS_TOKEN') or ''}"})
    except (OSError, HTTPException, ValueError) as error:
        return Outcome(sent=False, retry=True, error=f"sms_{type(error).__name__}"[:60])
    if 200 <= status < 300:
        return SENT
    return _http_outcome("sms", status, retry_after)


def send_zalo(message: Outgoing, cfg: Mapping[str, Any]) -> Outcome:
    """Zalo Notification Service: ``POST`` the template endpoint (e.g.
    ``https://business.openapi.zalo.me/message/template``) with the Official Account's
    ``access_token`` header and ``{"phone", "template_id", "template_data", "tracking_id"}``.
    Zalo answers HTTP 200 with ``{"error": 0, "message": "Success", "data": {"msg_id"...}}``
    or a negative ``error`` code; see :data:`ZALO_TEMPORARY`."""
    try:
        status, body, retry_after = _post_json(
            str(cfg["CASEWORK_ZALO_URL"]),
            {"phone": message.address, "template_id": str(cfg["CASEWORK_ZALO_TEMPLATE_ID"]),
             "template_data": {"title": message.title[:30],
                               "reference": message.reference or "",
                               "link": message.url},
             "tracking_id": message.tracking_id},
            {"access_token": str(cfg.get("CASEWORK_ZALO_ACCESS_TOKEN") or "")})
    except (OSError, HTTPException, ValueError) as error:
        return Outcome(sent=False, retry=True, error=f"zalo_{type(error).__name__}"[:60])
    if status != 200:
        return _http_outcome("zalo", status, retry_after)
    code = body.get("error") if isinstance(body, dict) else None
    if code == 0:
        return SENT
    if not isinstance(code, int):
        return Outcome(sent=False, retry=True, error="zalo_bad_answer")
    return Outcome(sent=False, retry=code in ZALO_TEMPORARY, error=f"zalo_{code}")
