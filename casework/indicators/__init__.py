"""The target-5 connection indicator (DOMAIN.md "The connection indicator").

The package, dependencies one way only (``tests/test_architecture.py`` checks it):

* ``periods``: reporting periods (half-year, year, cumulative) and their keys;
* ``definition``: the rules as SQL over per-woman facts, once (eligible, connected, where
  she counts, uptake provenance, the pipeline);
* ``store``: the per-woman rows stored per period, always current (change triggers,
  watermarks, the definition's fingerprint);
* ``figures``: the counts every page, report, export, trend and the API read.

Import from the package (``from casework.indicators import compute``): the names below are
its public interface.
"""

from __future__ import annotations

from typing import Any

from casework.indicators import store
from casework.indicators.definition import (
    AWAITING_ANSWER,
    AWAITING_UPTAKE,
    NOT_SENT,
    UPTAKE_STATUSES,
    WomanRows,
    counted_uptake,
    days_between,
    facts,
    need_counts,
    placed_cases,
    uptake_by,
    woman_rows,
    woman_rows_for,
)
from casework.indicators.figures import (
    TARGET_RATE,
    Breakdown,
    ExportRows,
    Figures,
    Indicator,
    UnitRow,
    compute,
    connected_by_provenance,
    dashboard_statement,
    eligible_case_ids,
    export_rows,
    figure_rows,
    figures_statement,
    keep_stored,
    totals,
    trend,
)
from casework.indicators.periods import (
    PLAN_START,
    Period,
    default_period_key,
    half_years,
    next_day,
    parse_period,
    period_choices,
    usual_periods,
)
from casework.models.case import Case

__all__ = [
    "AWAITING_ANSWER", "AWAITING_UPTAKE", "NOT_SENT", "PLAN_START", "TARGET_RATE",
    "UPTAKE_STATUSES", "Breakdown", "ExportRows", "Figures", "Indicator", "Period", "UnitRow",
    "WomanRows", "compute", "connected_by_provenance", "counted_uptake", "dashboard_statement",
    "days_between",
    "default_period_key", "eligible_case_ids", "export_rows", "facts", "figure_rows",
    "figures_statement", "half_years", "keep_stored", "need_counts", "next_day",
    "parse_period", "period_choices", "placed_cases", "store", "totals", "trend", "uptake_by",
    "usual_periods", "woman_rows", "woman_rows_for",
]


def _need_open(period: Period) -> Any:
    """Kept for callers of the former module: :func:`need_counts` against the case's intake."""
    return need_counts(period, Case.intake_date)


_uptake_by = uptake_by
