"""Effective dates (what a person states happened) checked for sense, and backdating reasons.

DOMAIN.md "Dates": an effective date is never in the future, never before the case opened,
and in order with the dates before it. An entry backdated by more than
``CASEWORK_BACKDATE_REASON_DAYS`` (default 30) needs a short reason, which is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from casework.services.errors import DomainError
from casework.text import normalize

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
REASON_MAX = 200
DEFAULT_BACKDATE_DAYS = 30
EARLIEST_RECORD = date(2000, 1, 1)  # no union record in the system predates this

# The "not before" messages the forms and the import share (one wording, one translation).
BEFORE_INTAKE = _l("The date cannot be before the intake date.")
BEFORE_OPENED = _l("The date cannot be before the case was opened.")
BEFORE_IDENTIFIED = _l("The date cannot be before the need was identified.")
REFERRAL_BEFORE_IDENTIFIED = _l("The referral cannot be dated before the need was identified.")
WITHDRAWN_BEFORE_GIVEN = _l("Withdrawal cannot be before the consent was given.")


def today() -> date:
    """Today in Vietnam (effective dates are local calendar days)."""
    return datetime.now(LOCAL_ZONE).date()


def local_date(moment: datetime) -> date:
    """The Vietnamese calendar day of a recorded (UTC) time; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE).date()


def backdate_limit_days() -> int:
    if has_app_context():
        return int(current_app.config.get("CASEWORK_BACKDATE_REASON_DAYS", DEFAULT_BACKDATE_DAYS))
    return DEFAULT_BACKDATE_DAYS


def clean_text(value: str | None, *, limit: int, field: str | None = None,
               multiline: bool = False) -> str | None:
    """The stored form (``casework/text.normalize``: NFC, no invisible, bidi or control
    characters, trimmed); ``None`` when empty; DomainError when too long."""
    if value is None:
        return None
    value = normalize(value, multiline=multiline)
    if not value:
        return None
    if len(value) > limit:
        raise DomainError(_l("At most %(n)s characters.", n=limit), field)
    return value


def stated(on: date | None, field: str) -> date:
    """The date, or DomainError "Enter a date." on ``field`` when it is missing."""
    if on is None:
        raise DomainError(_l("Enter a date."), field)
    return on


def check_date(on: date | None, *, field: str, not_before: date | None = None,
               not_before_message: Any = None, backdate_reason: str | None = None,
               reason_field: str = "backdate_reason", require_reason: bool = True,
               from_2000: bool = False) -> str | None:
    """Check an effective date; return the cleaned backdating reason (or None).

    THE date rule for the forms, the API and the import. ``require_reason=False`` for an entry
    that is late by nature (a paper file imported years later, a need moved by a referral);
    ``from_2000`` refuses dates before :data:`EARLIEST_RECORD` (the import: a typo in a paper
    date, since no union record predates it).

    Raises DomainError: missing date, date in the future ("today" is Vietnam's), before 2000
    when asked, before ``not_before``, or more than the configured number of days ago without
    a reason.
    """
    if on is None:
        raise DomainError(_l("Enter a date."), field)
    now = today()
    if on > now:
        raise DomainError(_l("The date cannot be in the future."), field)
    if from_2000 and on < EARLIEST_RECORD:
        raise DomainError(_l("The date is impossible (before 2000)."), field)
    if not_before is not None and on < not_before:
        raise DomainError(not_before_message or _l("The date is too early."), field)
    reason = clean_text(backdate_reason, limit=REASON_MAX, field=reason_field)
    if require_reason and (now - on).days > backdate_limit_days() and not reason:
        raise DomainError(
            _l("This date is more than %(n)s days ago: give a short reason for the late entry.",
               n=backdate_limit_days()), reason_field)
    return reason
