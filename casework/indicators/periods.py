"""Reporting periods of the target-5 indicator: half-years, years and cumulative since the plan.

Depends on nothing else in the package (``definition`` and ``figures`` build on it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PLAN_START = date(2021, 1, 1)


@dataclass(frozen=True)
class Period:
    """A reporting period ``[start, end]`` (both days included) with a stable key."""

    key: str  # "2024H1", "2024", "cum"; "@yyyy-mm-dd" suffix when cut at an as-of date
    kind: str  # "half" | "year" | "cumulative"
    start: date
    end: date

    @property
    def code(self) -> str:
        return self.key.split("@", 1)[0]


_PERIOD_RE = re.compile(r"^(?:(?P<year>20\d\d)(?P<half>H[12])?|(?P<cum>cum))$")


def parse_period(key: str | None, as_of: date | None = None, *,
                 today: date | None = None) -> Period:
    """``2024H1``, ``2024`` or ``cum`` (since 1 January 2021); cut at ``as_of`` when given.

    Raises ValueError for an unknown key, a period that starts after ``as_of``/today or before
    the plan, so views can answer 400 with a message.
    """
    today = today or date.today()
    as_of = as_of or today
    key = (key or "").strip() or default_period_key(as_of)
    match = _PERIOD_RE.match(key)
    if not match:
        raise ValueError("unknown period")
    if match.group("cum"):
        start, end, kind = PLAN_START, as_of, "cumulative"
    else:
        year = int(match.group("year"))
        half = match.group("half")
        if half == "H1":
            start, end, kind = date(year, 1, 1), date(year, 6, 30), "half"
        elif half == "H2":
            start, end, kind = date(year, 7, 1), date(year, 12, 31), "half"
        else:
            start, end, kind = date(year, 1, 1), date(year, 12, 31), "year"
    if start < PLAN_START or start > as_of:
        raise ValueError("period outside the plan")
    if end > as_of:
        return Period(f"{key}@{as_of.isoformat()}", kind, start, as_of)
    return Period(key, kind, start, end)


def default_period_key(as_of: date) -> str:
    return f"{as_of.year}H{1 if as_of.month <= 6 else 2}"


def half_years(until: date) -> list[Period]:
    """Every half-year from the plan's start to ``until`` (the last one cut at ``until``)."""
    periods: list[Period] = []
    year, half = PLAN_START.year, 1
    while True:
        key = f"{year}H{half}"
        start = date(year, 1 if half == 1 else 7, 1)
        if start > until:
            return periods
        periods.append(parse_period(key, until))
        year, half = (year, 2) if half == 1 else (year + 1, 1)


def period_choices(until: date) -> list[str]:
    """Keys for the period picker: half-years and years (newest first) and cumulative."""
    keys = ["cum"]
    for year in range(until.year, PLAN_START.year - 1, -1):
        if date(year, 7, 1) <= until:
            keys.append(f"{year}H2")
        keys.extend([f"{year}H1", str(year)])
    return keys


def usual_periods(as_of: date) -> list[Period]:
    """The periods dashboards and reports ask for as of a day: every half-year (the trend),
    every year and the cumulative period."""
    periods = {(p.start, p.end): p for p in half_years(as_of)}
    for year in range(PLAN_START.year, as_of.year + 1):
        period = parse_period(str(year), as_of)
        periods.setdefault((period.start, period.end), period)
    cumulative = parse_period("cum", as_of)
    periods.setdefault((cumulative.start, cumulative.end), cumulative)
    return list(periods.values())


def next_day(day: date) -> date:
    return day + timedelta(days=1)
