"""The target-5 definition (DOMAIN.md "The connection indicator"), once, as SQL rules.

Every figure, export and stored row is counted from the **per-woman facts** built here: one row
per (case open in the period, need, referral) with the rule results as 0/1 columns
(:func:`facts`), reduced to one row per eligible woman and per woman × category / partner
(:func:`woman_rows`). Each rule of DOMAIN.md is one named expression below, tested on its own
in ``tests/supervision/test_indicator_rules.py``:

* :func:`case_open_in` and :func:`anchor_day` - a case open at some time in the period, and her
  anchor day: the last day it was open in the period (the period's end if still open);
* :func:`counts_once` - merged cases count once, under the surviving case;
* :func:`need_counts` - a need open at some time in the period, identified on or after her
  intake date;
* :func:`custody_covers` - where she counts: the unit holding her case on the anchor day (the
  latest covering custody row; her case's unit if none covers it);
* :func:`counted_uptake` and :func:`uptake_by` - uptake provenance: a partner's or a paper
  import's uptake counts, a caseworker's report only once a supervisor verified it; connected
  means such an uptake on or before the period's end;
* :func:`referral_made_by` and :func:`referral_stage` - the pipeline (sent, accepted) of a
  woman not connected yet.

Nothing here reads an encrypted column: erased women stay counted. Depends only on
``periods`` and the models; ``store`` and ``figures`` build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from casework.domain import UPTAKE_CASEWORKER_REPORT
from casework.indicators.periods import Period
from casework.models.case import Case, CaseCustody, CaseEpisode
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.referral import Referral

UPTAKE_STATUSES = ("in_service", "completed", "not_completed")
# Current statuses of a referral still on its way (sent and not answered, or accepted).
AWAITING_ANSWER = ("sent",)
AWAITING_UPTAKE = ("accepted", "on_hold")
NOT_SENT = ("draft",)


class days_between(FunctionElement[int]):
    """``later - earlier`` in whole days, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_default(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (f"CAST(julianday({compiler.process(later, **kw)}) - "
            f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)")


@dataclass(frozen=True)
class PeriodColumns:
    """Period bounds as SQL columns (a row of a table of periods), so one statement applies
    the same rules to many periods (the trend): anything a rule reads of a :class:`Period`."""

    start: Any
    end: Any


Bounds = Period | PeriodColumns


def _end(period: Bounds) -> Any:
    return period.end if isinstance(period, PeriodColumns) else literal(period.end, Date)


# --- The rules -----------------------------------------------------------------------------------

def case_open_in(period: Bounds, episode: Any = CaseEpisode) -> ColumnElement[bool]:
    """An episode of her case overlaps the period: opened by its end, not closed before it."""
    return and_(episode.opened_on <= period.end,
                or_(episode.closed_on.is_(None), episode.closed_on >= period.start))


def anchor_day(period: Bounds, episode: Any = CaseEpisode) -> ColumnElement[Any]:
    """The last day the episode was open in the period (its end if still open then); a case's
    anchor is the latest over its open episodes."""
    return case((or_(episode.closed_on.is_(None), episode.closed_on > period.end),
                 _end(period)), else_=episode.closed_on)


def counts_once() -> ColumnElement[bool]:
    """Merged cases count once, under the surviving case: the merged-away case never counts."""
    return Case.merged_into_id.is_(None)


def need_counts(period: Bounds, intake: Any) -> ColumnElement[bool]:
    """A need open at some time in the period, identified on or after her intake date (an
    earlier date is a data error and never makes her eligible)."""
    return and_(Need.identified_on <= period.end,
                or_(Need.ended_on.is_(None), Need.ended_on >= period.start),
                Need.identified_on >= intake)


def custody_covers(row: Any, case_id: Any, anchor: Any) -> ColumnElement[bool]:
    """A custody row of her case covering her anchor day (``to_date`` is exclusive)."""
    return and_(row.case_id == case_id, row.from_date <= anchor,
                or_(row.to_date.is_(None), row.to_date > anchor))


def counted_uptake() -> ColumnElement[bool]:
    """An uptake that counts (DOMAIN.md, "Uptake provenance"): confirmed by the partner or
    recorded from paper; a caseworker's report only once a supervisor has verified it."""
    return and_(Referral.status.in_(UPTAKE_STATUSES), Referral.uptake_on.is_not(None),
                or_(Referral.uptake_provenance.is_(None),
                    Referral.uptake_provenance != UPTAKE_CASEWORKER_REPORT,
                    Referral.uptake_verified_at.is_not(None)))


def uptake_by(period: Bounds) -> ColumnElement[bool]:
    """Connected through this referral: a counted uptake on or before the period's end."""
    return and_(counted_uptake(), Referral.uptake_on <= period.end)


def referral_made_by(period: Bounds) -> ColumnElement[bool]:
    """The referral was sent (not a draft) on or before the period's end."""
    return and_(Referral.referred_on.is_not(None), Referral.referred_on <= period.end,
                Referral.status.not_in(NOT_SENT))


def referral_stage(period: Bounds) -> ColumnElement[int]:
    """How far a referral made by the end got by then: 2 waiting for (or past the period of)
    her uptake, 1 waiting for the partner's answer, else 0."""
    made = referral_made_by(period)
    return case(
        (and_(made, Referral.status.in_(AWAITING_UPTAKE)), 2),
        (and_(made, Referral.status.in_(UPTAKE_STATUSES), Referral.uptake_on > period.end), 2),
        (and_(made, Referral.status.in_(UPTAKE_STATUSES), not_(counted_uptake())), 2),
        (and_(made, Referral.status.in_(AWAITING_ANSWER)), 1),
        else_=0,
    )


# --- Per-woman facts -----------------------------------------------------------------------------

def subtree(scope: OrgUnit) -> Any:
    """Select the ids of ``scope`` and every unit below it (materialised path)."""
    return select(OrgUnit.id).where(OrgUnit.path.startswith(scope.path, autoescape=True))


def _may_be_held_in(scope: OrgUnit | None) -> list[ColumnElement[bool]]:
    """A cheap superset of the cases that can count in ``scope``: held there now, or with a
    custody row there (where she counts is decided exactly afterwards)."""
    if scope is None:
        return []
    units = subtree(scope)
    return [or_(Case.org_unit_id.in_(units),
                Case.id.in_(select(CaseCustody.case_id).where(CaseCustody.org_unit_id.in_(units))))]


def placed_cases(period: Period, scope: OrgUnit | None = None, cases: Any = None, *,
                 periods: Any = None) -> Any:
    """A CTE of the cases open in the period that count once: ``case_id``, ``grp``,
    ``unit_id`` (where she counts on her anchor day), ``intake``.

    ``periods`` (a table of ``no, start, end``; ``period`` is then ignored): one row per period
    and case, with ``no``, ``p_start`` and ``p_end`` in front.

    Set-based: the covering custody row is the one no later covering row beats (an
    anti-join, and a second one for women without a covering row)."""
    if periods is None:
        only = [] if cases is None else [CaseEpisode.case_id.in_(cases)]  # a refresh
        ep = (select(CaseEpisode.case_id.label("case_id"),
                     func.max(anchor_day(period)).label("anchor"))
              .where(case_open_in(period), *only).group_by(CaseEpisode.case_id)
              .subquery("ep"))
        front: list[Any] = []
    else:
        bounds = PeriodColumns(periods.c.start, periods.c.end)
        ep = (select(periods.c.no, periods.c.start.label("p_start"),
                     periods.c.end.label("p_end"), CaseEpisode.case_id.label("case_id"),
                     func.max(anchor_day(bounds)).label("anchor"))
              .select_from(CaseEpisode).join(periods, case_open_in(bounds))
              .group_by(periods.c.no, periods.c.start, periods.c.end, CaseEpisode.case_id)
              .subquery("ep"))
        front = [ep.c.no, ep.c.p_start, ep.c.p_end]
    opened = (
        select(*front, Case.id.label("case_id"), Case.group.label("grp"),
               Case.org_unit_id.label("home_unit"), Case.intake_date.label("intake"),
               ep.c.anchor)
        .join(ep, ep.c.case_id == Case.id)
        .where(counts_once(), *_may_be_held_in(scope),
               *([] if cases is None else [Case.id.in_(cases)]))
        .cte("opened")
    )
    carried = [opened.c[c.name] for c in front]
    cc, later = aliased(CaseCustody, name="cc"), aliased(CaseCustody, name="later")
    held = (
        select(*carried, opened.c.case_id, opened.c.grp, opened.c.intake,
               cc.org_unit_id.label("unit_id"))
        .join(cc, custody_covers(cc, opened.c.case_id, opened.c.anchor))
        .where(~exists().where(custody_covers(later, opened.c.case_id, opened.c.anchor),
                               or_(later.from_date > cc.from_date,
                                   and_(later.from_date == cc.from_date, later.id > cc.id))))
    )
    unheld = (
        select(*carried, opened.c.case_id, opened.c.grp, opened.c.intake, opened.c.home_unit)
        .where(~exists().where(custody_covers(later, opened.c.case_id, opened.c.anchor)))
    )
    return union_all(held, unheld).cte("placed")


FACT_COLUMNS = ("case_id", "grp", "unit_id", "category", "open_need", "provider_id", "made",
                "up", "days", "stage")


def facts(period: Period, scope: OrgUnit | None = None, cases: Any = None) -> Any:
    """Select the per-woman facts: one row per (case open in the period, need, referral) in
    ``scope`` (None: everywhere; ``cases``: only these case ids), columns
    :data:`FACT_COLUMNS`, the rules as 0/1 (referral columns NULL without one)."""
    placed = placed_cases(period, scope, cases)
    uptake = uptake_by(period)
    stmt = (
        select(placed.c.case_id, placed.c.grp, placed.c.unit_id, Need.category,
               case((need_counts(period, placed.c.intake), 1), else_=0).label("open_need"),
               Referral.provider_id,
               case((referral_made_by(period), 1), else_=0).label("made"),
               case((uptake, 1), else_=0).label("up"),
               case((uptake, days_between(Referral.uptake_on, Need.identified_on)))
               .label("days"),
               referral_stage(period).label("stage"))
        .select_from(placed.join(Need, Need.case_id == placed.c.case_id)
                     .outerjoin(Referral, Referral.need_id == Need.id))
    )
    if scope is not None:
        stmt = stmt.where(placed.c.unit_id.in_(subtree(scope)))
    return stmt


@dataclass(frozen=True)
class WomanRows:
    """The per-woman results every figure is counted from (three selects, no personal data):

    * ``women``: one row per eligible woman (a need that counts): ``case_id, grp, unit_id``,
      ``connected`` (0/1), ``days`` (need → first uptake, or NULL), ``stage`` (furthest open
      stage of a referral made by the end: 0 none, 1 sent, 2 accepted);
    * ``categories``: per eligible woman and category of a need that counts:
      ``case_id, grp, unit_id, category, connected`` (through a referral for such a need);
    * ``partners``: per eligible woman and partner she was referred to by the end:
      ``case_id, grp, unit_id, provider_id, connected`` (through that partner).
    """

    women: Any
    categories: Any
    partners: Any


def woman_rows(source: Any) -> WomanRows:
    """:class:`WomanRows` counted from ``source``: a selectable with :data:`FACT_COLUMNS` (the
    :func:`facts` as a CTE, or a temporary table filled from them)."""
    f = source.c
    key = (f.case_id, f.grp, f.unit_id)
    women = (
        select(*key, func.max(f.up).label("connected"), func.min(f.days).label("days"),
               func.max(f.stage).label("stage"))
        .group_by(*key)
        .having(func.max(f.open_need) == 1)  # eligible: a need that counts
    )
    categories = (
        select(*key, f.category, func.max(f.up).label("connected"))
        .where(f.open_need == 1)
        .group_by(*key, f.category)
    )
    eligible = select(f.case_id).group_by(f.case_id).having(func.max(f.open_need) == 1)
    partners = (
        select(*key, f.provider_id, func.max(f.up).label("connected"))
        .where(f.made == 1, f.case_id.in_(eligible))
        .group_by(*key, f.provider_id)
    )
    return WomanRows(women, categories, partners)


def women_by_period(periods: Any, scope: OrgUnit | None = None) -> Any:
    """Select, for every period of ``periods`` (a table of ``no, start, end``) at once, one row
    per eligible woman: ``no, case_id, grp, unit_id, connected, stage`` - the same rules as
    :func:`facts` and :func:`woman_rows`, with the period's bounds read from its row."""
    placed = placed_cases(None, scope, periods=periods)  # type: ignore[arg-type]
    bounds = PeriodColumns(placed.c.p_start, placed.c.p_end)
    facts_ = (
        select(placed.c.no, placed.c.case_id, placed.c.grp, placed.c.unit_id,
               case((need_counts(bounds, placed.c.intake), 1), else_=0).label("open_need"),
               case((uptake_by(bounds), 1), else_=0).label("up"),
               referral_stage(bounds).label("stage"))
        .select_from(placed.join(Need, Need.case_id == placed.c.case_id)
                     .outerjoin(Referral, Referral.need_id == Need.id))
    )
    if scope is not None:
        facts_ = facts_.where(placed.c.unit_id.in_(subtree(scope)))
    f = facts_.cte("period_facts")
    key = (f.c.no, f.c.case_id, f.c.grp, f.c.unit_id)
    return (select(*key, func.max(f.c.up).label("connected"),
                   func.max(f.c.stage).label("stage"))
            .group_by(*key).having(func.max(f.c.open_need) == 1))


def woman_rows_for(period: Period, scope: OrgUnit | None = None,
                   cases: Any = None) -> WomanRows:
    """:class:`WomanRows` straight from the case tables (the reference; small refreshes)."""
    return woman_rows(facts(period, scope, cases).cte("facts"))
