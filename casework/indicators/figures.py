"""The target-5 figures: counts of the per-woman rows (``definition``), stored per period
(``store``), rolled up a subtree, for the dashboard, the reports, the trend, the API and the
de-identified export.

ONE statement (:func:`figures_statement`) counts :class:`~casework.indicators.definition.
WomanRows`-shaped rows into every unit's figures for every group, the category and partner
breakdowns and the days histogram the median is read from: from the rows stored per period
(what the pages read) or straight from the case tables (``stored=False``, the reference).
Rolling the (at most a few hundred) unit rows up a subtree is done in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, and_, case, func, literal, select, union_all

from casework.domain import (
    CASE_GROUPS,
    TARGET_GROUP,
    UPTAKE_PARTNER_ACCOUNT,
    UPTAKE_PROVENANCES,
)
from casework.extensions import db
from casework.indicators import store
from casework.indicators.definition import (
    facts,
    subtree,
    uptake_by,
    woman_rows,
    woman_rows_for,
)
from casework.indicators.periods import Period, half_years
from casework.models.indicator import (
    IndicatorWoman,
    IndicatorWomanCategory,
    IndicatorWomanPartner,
)
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.referral import Referral

TARGET_RATE = 0.8


@dataclass
class Figures:
    eligible: int = 0
    connected: int = 0
    awaiting_answer: int = 0
    awaiting_uptake: int = 0

    @property
    def rate(self) -> float | None:
        return self.connected / self.eligible if self.eligible else None

    @property
    def below_target(self) -> bool:
        return self.rate is not None and self.rate < TARGET_RATE

    @property
    def pipeline(self) -> int:
        return self.awaiting_answer + self.awaiting_uptake

    def add(self, other: Figures) -> None:
        self.eligible += other.eligible
        self.connected += other.connected
        self.awaiting_answer += other.awaiting_answer
        self.awaiting_uptake += other.awaiting_uptake

    def as_dict(self) -> dict[str, int]:
        return {"eligible": self.eligible, "connected": self.connected,
                "awaiting_answer": self.awaiting_answer, "awaiting_uptake": self.awaiting_uptake}


@dataclass
class UnitRow:
    unit: OrgUnit
    figures: Figures
    direct: bool = False  # cases held by the parent unit itself, not by a sub-unit


@dataclass
class Breakdown:
    key: Any  # category code or provider id
    eligible: int
    connected: int

    @property
    def rate(self) -> float | None:
        return self.connected / self.eligible if self.eligible else None


@dataclass
class Indicator:
    scope: OrgUnit
    period: Period
    total: Figures
    children: list[UnitRow]
    other_groups: dict[str, Figures]
    categories: list[Breakdown] = field(default_factory=list)
    partners: list[Breakdown] = field(default_factory=list)
    median_days: float | None = None
    median_n: int = 0

    def snapshot(self) -> dict[str, Any]:
        """Plain figures for a sign-off (JSON): what the signed report said."""
        return {
            "period": {"key": self.period.key, "start": self.period.start.isoformat(),
                       "end": self.period.end.isoformat()},
            "total": self.total.as_dict(),
            "units": {str(r.unit.id) + ("*" if r.direct else ""): r.figures.as_dict()
                      for r in self.children},
            "other_groups": {g: f.as_dict() for g, f in self.other_groups.items()},
            "categories": {b.key: [b.eligible, b.connected] for b in self.categories},
            "partners": {str(b.key): [b.eligible, b.connected] for b in self.partners},
            "median_days": self.median_days,
            "median_n": self.median_n,
        }


@dataclass
class _UnitCounts:
    unit_id: int
    eligible: int
    connected: int
    awaiting_answer: int
    awaiting_uptake: int


def _rollup(rows: Iterable[Any], units: dict[int, OrgUnit], scope: OrgUnit,
            children: list[OrgUnit]) -> tuple[Figures, dict[int, Figures], Figures]:
    """Sum per-unit rows into the scope total, each child's subtree and the scope's own cases."""
    total, direct = Figures(), Figures()
    per_child = {c.id: Figures() for c in children}
    for row in rows:
        unit = units.get(row.unit_id)
        if unit is None or not unit.path.startswith(scope.path):
            continue
        figures = Figures(row.eligible, row.connected, row.awaiting_answer, row.awaiting_uptake)
        total.add(figures)
        for child in children:
            if unit.path.startswith(child.path):
                per_child[child.id].add(figures)
                break
        else:
            direct.add(figures)
    return total, per_child, direct


def figures_statement(women: Any, categories: Any, partners: Any, *,
                      breakdowns: bool = True) -> Any:
    """Every figure of :func:`compute` counted from :class:`WomanRows`-shaped selectables, in
    ONE statement of rows ``(kind, grp, ikey, skey, n1, n2, n3, n4)``:

    * ``unit``: ``ikey`` unit id; eligible, connected, awaiting answer, awaiting uptake;
    * ``days``: target group, ``ikey`` days need → first uptake; ``n1`` women with that value;
    * ``category``: target group, ``skey`` category; eligible with an open need of it, connected;
    * ``partner``: target group, ``ikey`` provider id; eligible referred to it, connected.
    """
    w, c, p = women, categories, partners
    open_stage = w.c.connected == 0
    null_int, null_str = literal(None, Integer), literal(None, String)
    units = (
        select(literal("unit").label("kind"), w.c.grp, w.c.unit_id.label("ikey"),
               null_str.label("skey"), func.count().label("n1"),
               func.sum(w.c.connected).label("n2"),
               func.count(case((and_(open_stage, w.c.stage == 1), 1))).label("n3"),
               func.count(case((and_(open_stage, w.c.stage == 2), 1))).label("n4"))
        .group_by(w.c.grp, w.c.unit_id)
    )
    if not breakdowns:
        return units
    days = (
        select(literal("days"), w.c.grp, w.c.days, null_str, func.count(), null_int,
               null_int, null_int)
        .where(w.c.grp == TARGET_GROUP, w.c.days.is_not(None))
        .group_by(w.c.grp, w.c.days)
    )
    by_category = (
        select(literal("category"), c.c.grp, null_int, c.c.category, func.count(),
               func.sum(c.c.connected), null_int, null_int)
        .where(c.c.grp == TARGET_GROUP)
        .group_by(c.c.grp, c.c.category)
    )
    by_partner = (
        select(literal("partner"), p.c.grp, p.c.provider_id, null_str, func.count(),
               func.sum(p.c.connected), null_int, null_int)
        .where(p.c.grp == TARGET_GROUP)
        .group_by(p.c.grp, p.c.provider_id)
    )
    return union_all(units, days, by_category, by_partner)


def dashboard_statement(period: Period, scope: OrgUnit | None, *,
                        breakdowns: bool = True) -> Any:
    """:func:`figures_statement` straight from the case tables (the reference the stored
    figures must equal)."""
    rows = woman_rows_for(period, scope)
    return figures_statement(rows.women.cte("per_woman"), rows.categories.cte("per_category"),
                             rows.partners.cte("per_partner"), breakdowns=breakdowns)


def _median(histogram: list[tuple[int, int]]) -> tuple[float | None, int]:
    """The median of values given as ``(value, count)`` pairs (mean of the two middle ones)."""
    n = sum(count for _value, count in histogram)
    if not n:
        return None, 0
    wanted, seen, middle = {(n + 1) // 2, (n + 2) // 2}, 0, []
    for value, count in sorted(histogram):
        for position in sorted(wanted):
            if seen < position <= seen + count:
                middle.append(value)
        seen += count
    return sum(middle) / len(middle), n


def figure_rows(scope: OrgUnit, period: Period, *, breakdowns: bool = True,
                stored: bool = True) -> list[Any]:
    """The rows of :func:`figures_statement` for ``scope``'s subtree and ``period``.

    ``stored`` (the default): counted from the period's stored per-woman rows, brought up to
    date first (``store``); otherwise straight from the case tables."""
    if not stored:
        return list(store.execute_hashed(
            db.session(), dashboard_statement(period, scope, breakdowns=breakdowns)).all())
    [period_id] = store.current_ids([period])

    def stored_rows(model: Any) -> Any:
        return (select(model).where(model.period_id == period_id,
                                    model.unit_id.in_(subtree(scope))).subquery())

    return store.read(figures_statement(stored_rows(IndicatorWoman),
                                        stored_rows(IndicatorWomanCategory),
                                        stored_rows(IndicatorWomanPartner),
                                        breakdowns=breakdowns))


def compute(scope: OrgUnit, period: Period, *, breakdowns: bool = True,
            stored: bool = True) -> Indicator:
    """Every figure of the dashboard and the report for ``scope``'s subtree and ``period``:
    one statement (:func:`figure_rows`) plus the (few hundred) org units."""
    session = db.session
    units = {u.id: u for u in session.scalars(
        select(OrgUnit).where(OrgUnit.path.startswith(scope.path, autoescape=True)))}
    children = sorted((u for u in units.values() if u.parent_id == scope.id),
                      key=lambda u: u.name)
    rows = figure_rows(scope, period, breakdowns=breakdowns, stored=stored)
    by_group: dict[str, list[Any]] = {}
    histogram: list[tuple[int, int]] = []
    categories: list[Breakdown] = []
    partners: list[Breakdown] = []
    for kind, grp, ikey, skey, n1, n2, n3, n4 in rows:
        if kind == "unit":
            by_group.setdefault(grp, []).append(_UnitCounts(ikey, n1, int(n2 or 0), n3, n4))
        elif kind == "days":
            histogram.append((int(ikey), int(n1)))
        elif kind == "category":
            categories.append(Breakdown(skey, n1, n2))
        elif kind == "partner":
            partners.append(Breakdown(ikey, n1, n2))
    total, per_child, direct = _rollup(by_group.get(TARGET_GROUP, []), units, scope, children)
    child_rows = [UnitRow(c, per_child[c.id]) for c in children]
    if direct.eligible:
        child_rows.append(UnitRow(scope, direct, direct=True))
    others = {g: _rollup(by_group.get(g, []), units, scope, [])[0]
              for g in CASE_GROUPS if g != TARGET_GROUP}
    result = Indicator(scope, period, total, child_rows, others)
    if breakdowns:
        result.categories = sorted(categories, key=lambda b: b.key)
        result.partners = sorted(partners, key=lambda b: b.key)
        result.median_days, result.median_n = _median(histogram)
    return result


def totals(scope: OrgUnit, period: Period, group: str = TARGET_GROUP, *,
           stored: bool = True) -> Figures:
    """Only the scope's total for one group (trend charts, tests): the unit rows of
    :func:`figure_rows`."""
    total = Figures()
    for _kind, grp, _unit, _skey, n1, n2, n3, n4 in figure_rows(
            scope, period, breakdowns=False, stored=stored):
        if grp == group:
            total.add(Figures(n1, int(n2 or 0), n3, n4))
    return total


def trend(scope: OrgUnit, until: date, group: str = TARGET_GROUP) -> list[tuple[Period, Figures]]:
    """The group's figures in ``scope`` for each half-year since the plan started: every
    half-year in one statement (``store.trend_rows``), rolled up the subtree here."""
    periods = half_years(until)
    units = set(db.session.scalars(subtree(scope)))
    totals_ = [Figures() for _ in periods]
    for no, grp, unit_id, n1, n2, n3, n4 in store.trend_rows(periods):
        if grp == group and unit_id in units:
            totals_[no].add(Figures(n1, int(n2 or 0), n3, n4))
    return list(zip(periods, totals_, strict=True))


def keep_stored(period: Period) -> None:
    """Build or refresh the stored figures of ``period`` (what a first read would do)."""
    with store.own_session() as session:
        store.current_period(session, period)


@dataclass(frozen=True)
class ExportRows:
    """What the de-identified export lists, from the same per-woman facts as every figure:
    ``women`` ``(case_id, grp, unit_id, days)``, ``needs`` ``(case_id, category)`` of a need
    that counts and ``connected`` ``(case_id, category)`` of a need with a counted uptake."""

    women: Any
    needs: Any
    connected: Any


def export_rows(scope: OrgUnit, period: Period) -> ExportRows:
    """Selects for the de-identified export of the eligible women of ``scope`` in ``period``."""
    source = facts(period, scope).cte("facts")
    rows = woman_rows(source)
    women = rows.women.subquery("women")
    eligible = select(women.c.case_id)
    return ExportRows(
        women=select(women.c.case_id, women.c.grp, women.c.unit_id, women.c.days)
        .order_by(women.c.case_id),
        needs=select(source.c.case_id, source.c.category)
        .where(source.c.open_need == 1).distinct(),
        connected=select(source.c.case_id, source.c.category)
        .where(source.c.up == 1, source.c.case_id.in_(eligible)).distinct(),
    )


def eligible_case_ids(scope: OrgUnit, period: Period) -> Any:
    """Select ``(case_id, grp, unit_id, days)`` of the eligible women (days or NULL)."""
    return export_rows(scope, period).women


def connected_by_provenance(scope: OrgUnit, period: Period,
                            group: str = TARGET_GROUP) -> dict[str, int]:
    """The connected women of ``scope`` in ``period`` split by how their uptake became known
    (``domain.UPTAKE_PROVENANCES``: partner account, partner link, paper import, caseworker
    report verified). Each connected woman counts once, under her first counted uptake (the
    earliest; on the same day a partner's confirmation first), so the parts add up to the
    connected count; "counted" is THE definition (:func:`definition.uptake_by` through
    :func:`woman_rows_for`), never a copy. Uptakes recorded before provenance existed count as
    the partner's account (migration 0012 backfilled them so)."""
    women = woman_rows_for(period, scope).women.subquery("women")
    order = list(UPTAKE_PROVENANCES)
    priority = case({code: n for n, code in enumerate(order)},
                    value=Referral.uptake_provenance, else_=0)
    first = (
        select(women.c.case_id, Referral.uptake_provenance.label("provenance"),
               func.row_number().over(partition_by=women.c.case_id,
                                      order_by=(Referral.uptake_on, priority)).label("rn"))
        .join(Need, Need.case_id == women.c.case_id)
        .join(Referral, Referral.need_id == Need.id)
        .where(women.c.connected == 1, women.c.grp == group, uptake_by(period))
        .subquery("first_uptake")
    )
    split = dict.fromkeys(order, 0)
    for row in db.session.execute(
            select(first.c.provenance, func.count().label("n")).where(first.c.rn == 1)
            .group_by(first.c.provenance)):
        key = row.provenance if row.provenance in split else UPTAKE_PARTNER_ACCOUNT
        split[key] += int(row.n)
    return split
