"""When outside-channel messages may go: quiet hours and the daily digest, in Vietnam time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from casework.config import parse_quiet_hours
from casework.services.effective_dates import LOCAL_ZONE


def _quiet() -> tuple[int, int] | None:
    text = str(current_app.config.get("CASEWORK_QUIET_HOURS") or "")
    return parse_quiet_hours(text) if text else None


def quiet_until(now: datetime) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (UTC), or None when messages may go now."""
    window = _quiet()
    if window is None:
        return None
    start, end = window
    local = now.astimezone(LOCAL_ZONE)
    minute = local.hour * 60 + local.minute
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if start < end:  # e.g. 12:00-13:30 the same day
        inside = start <= minute < end
        ends = midnight + timedelta(minutes=end)
    else:  # e.g. 21:00-07:00 across midnight
        inside = minute >= start or minute < end
        ends = midnight + timedelta(minutes=end) + timedelta(days=1 if minute >= start else 0)
    return ends.astimezone(UTC) if inside else None


def allowed_from(moment: datetime) -> datetime:
    """``moment``, or the end of the quiet hours it falls in."""
    return quiet_until(moment) or moment


def next_digest_at(now: datetime) -> datetime:
    """The next daily digest time (CASEWORK_OUTBOX_DIGEST_HOUR, Vietnam time) after ``now``."""
    hour = int(current_app.config.get("CASEWORK_OUTBOX_DIGEST_HOUR", 17))
    local = now.astimezone(LOCAL_ZONE)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return allowed_from(at.astimezone(UTC))


def local_day_start(now: datetime) -> datetime:
    """Midnight of ``now``'s day in Vietnam, as UTC (the digest counts messages per day)."""
    local = now.astimezone(LOCAL_ZONE)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
