"""Handling deadlines (DOMAIN.md "Target 6": "In time").

* A crime tip-off must be forwarded within ``crime_working_days`` working days of receipt
  (default 1); working days skip Saturdays, Sundays and the province's public holidays.
* A complaint must be classified within ``classify_days`` calendar days (default 10) and
  settled or forwarded within ``settle_days`` calendar days (default 30).
* Items filed (no content, outside the subject, duplicate) are due within the classification
  deadline.
* An item not yet classified, or classified after the classification deadline, has the
  classification deadline: whatever its class, it was not classified in time.

A deadline is the last day on which handling is in time. These functions are pure (no
database), so the indicator, the worklist and the reminders share one definition.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from casework.tipoffs.codes import FILED_CLASSES

DEFAULT_CRIME_WORKING_DAYS = 1
DEFAULT_CLASSIFY_DAYS = 10
DEFAULT_SETTLE_DAYS = 30


@dataclass(frozen=True)
class Rules:
    """The province's deadlines and public holidays, read once per computation."""

    crime_working_days: int = DEFAULT_CRIME_WORKING_DAYS
    classify_days: int = DEFAULT_CLASSIFY_DAYS
    settle_days: int = DEFAULT_SETTLE_DAYS
    holidays: frozenset[date] = frozenset()


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The ``days``-th working day after ``start`` (the day of receipt itself never counts)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return day


def classification_deadline(received_on: date, rules: Rules) -> date:
    return received_on + timedelta(days=rules.classify_days)


def deadline(received_on: date, classification: str | None, classified_on: date | None,
             rules: Rules) -> date:
    """The last day on which the item's handling is in time, given what is known of it."""
    classify_by = classification_deadline(received_on, rules)
    if classification is None or classified_on is None or classified_on > classify_by:
        return classify_by
    if classification == "crime":
        return add_working_days(received_on, rules.crime_working_days, rules.holidays)
    if classification in FILED_CLASSES:
        return classify_by
    return received_on + timedelta(days=rules.settle_days)
