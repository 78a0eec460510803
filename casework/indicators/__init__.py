"""The target-5 connection indicator (DOMAIN.md "The connection indicator"), in SQL aggregates.

Definition as implemented, for a group G, a period [start, end] and a scope (an org unit and its
subtree by materialised path):

* **open in the period**: a ``case_episodes`` row with ``opened_on <= end`` and
  ``(closed_on IS NULL OR closed_on >= start)``;
* **eligible**: a case of G, not merged into another, open in the period, with at least one need
  open in the period (``identified_on <= end`` and ``(ended_on IS NULL OR ended_on >= start)``)
  that was identified while the case existed (``identified_on >= cases.intake_date``);
* **connected**: eligible, and some referral for one of her needs has a counted uptake (status
  ``in_service``, ``completed`` or ``not_completed`` with ``uptake_on`` set) on or before
  ``end``: confirmed by the partner or recorded from paper, or reported by the caseworker and
  verified by a supervisor (``uptake_provenance``; an unverified report stays in the pipeline);
* **where she counts**: the unit whose custody row covers the *anchor* day,
  ``min(end, last day she was open in the period)`` (``from_date <= anchor`` and
  ``(to_date IS NULL OR to_date > anchor)``; the latest such row if rows overlap; her case's
  unit if none does). She is one row per period, so counts per unit add up over a subtree.

Erased women keep their rows (only keys are destroyed), so they stay counted: nothing here
reads an encrypted column. The facts reduce to per-woman rows (:class:`WomanRows`), and ONE
statement (:func:`figures_statement`) counts them into every unit's figures for every group,
the category and partner breakdowns and the days histogram the median is read from: from the
rows stored per period (``casework/indicators/store.py``, what the pages read) or straight from
the case tables (:func:`dashboard_statement`, the reference). Rolling the (at most a few
hundred) unit rows up a subtree is done in Python, never a loop over cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
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

from casework.domain import CASE_GROUPS, TARGET_GROUP, UPTAKE_CASEWORKER_REPORT
from casework.extensions import db
from casework.indicators import store as indicator_store
from casework.models.case import Case, CaseCustody, CaseEpisode
from casework.models.indicator import (
    IndicatorWoman,
    IndicatorWomanCategory,
    IndicatorWomanPartner,
)
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.referral import Referral

PLAN_START = date(2021, 1, 1)
TARGET_RATE = 0.8
UPTAKE_STATUSES = ("in_service", "completed", "not_completed")
# Current statuses of a referral still on its way (sent and not answered, or accepted).
AWAITING_ANSWER = ("sent",)
AWAITING_UPTAKE = ("accepted", "on_hold")
NOT_SENT = ("draft",)


# --- Portable date arithmetic ---------------------------------------------------------------

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


# --- Periods -----------------------------------------------------------------------------------

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


# --- The core query -----------------------------------------------------------------------------

def _open_episodes(period: Period) -> Any:
    """Per case open in the period: the anchor day (last day open in it, at most its end)."""
    ep = CaseEpisode
    end = literal(period.end, Date)
    last_open = case((or_(ep.closed_on.is_(None), ep.closed_on > period.end), end),
                     else_=ep.closed_on)
    return (
        select(ep.case_id.label("case_id"), func.max(last_open).label("anchor"))
        .where(ep.opened_on <= period.end,
               or_(ep.closed_on.is_(None), ep.closed_on >= period.start))
        .group_by(ep.case_id)
        .subquery("ep")
    )


def _need_open(period: Period) -> ColumnElement[bool]:
    """A need open at some time in the period and identified while the case existed."""
    return and_(
        Need.identified_on <= period.end,
        or_(Need.ended_on.is_(None), Need.ended_on >= period.start),
        Need.identified_on >= Case.intake_date,
    )


def placed_cases(period: Period, groups: Sequence[str] | None = None) -> Any:
    """A CTE of eligible cases: ``case_id``, ``grp``, ``unit_id`` (where she counts)."""
    ep = _open_episodes(period)
    conditions = [Case.merged_into_id.is_(None),
                  exists().where(Need.case_id == Case.id, _need_open(period))]
    if groups is not None:
        conditions.append(Case.group.in_(list(groups)))
    elig = (
        select(Case.id.label("case_id"), Case.group.label("grp"),
               Case.org_unit_id.label("home_unit"), Case.intake_date.label("intake"),
               ep.c.anchor)
        .join(ep, ep.c.case_id == Case.id)
        .where(*conditions)
        .cte("elig")
    )
    cc = CaseCustody
    ranked = (
        select(
            elig.c.case_id, elig.c.grp, elig.c.intake,
            func.coalesce(cc.org_unit_id, elig.c.home_unit).label("unit_id"),
            func.row_number().over(partition_by=elig.c.case_id,
                                   order_by=(cc.from_date.desc(), cc.id.desc())).label("rn"),
        )
        .select_from(elig.outerjoin(cc, and_(
            cc.case_id == elig.c.case_id, cc.from_date <= elig.c.anchor,
            or_(cc.to_date.is_(None), cc.to_date > elig.c.anchor))))
        .subquery("ranked")
    )
    return (select(ranked.c.case_id, ranked.c.grp, ranked.c.unit_id, ranked.c.intake)
            .where(ranked.c.rn == 1).cte("placed"))


def counted_uptake() -> ColumnElement[bool]:
    """An uptake that counts (DOMAIN.md, "Uptake provenance"): confirmed by the partner or
    recorded from paper; a caseworker's report only once a supervisor has verified it."""
    return and_(Referral.status.in_(UPTAKE_STATUSES), Referral.uptake_on.is_not(None),
                or_(Referral.uptake_provenance.is_(None),
                    Referral.uptake_provenance != UPTAKE_CASEWORKER_REPORT,
                    Referral.uptake_verified_at.is_not(None)))


def _uptake_by(period: Period) -> ColumnElement[bool]:
    return and_(counted_uptake(), Referral.uptake_on <= period.end)


def _referral_stage(period: Period) -> tuple[Any, Any]:
    """Whether a referral was made by the period's end, and how far it got by then: 2 waiting
    for (or past the period of) her uptake, 1 waiting for the partner's answer, else 0."""
    made = and_(Referral.referred_on.is_not(None), Referral.referred_on <= period.end,
                Referral.status.not_in(NOT_SENT))
    stage = case(
        (and_(made, Referral.status.in_(AWAITING_UPTAKE)), 2),
        (and_(made, Referral.status.in_(UPTAKE_STATUSES), Referral.uptake_on > period.end), 2),
        (and_(made, Referral.status.in_(UPTAKE_STATUSES), not_(counted_uptake())), 2),
        (and_(made, Referral.status.in_(AWAITING_ANSWER)), 1),
        else_=0,
    )
    return made, stage


def per_case(period: Period, groups: Sequence[str] | None = None) -> Any:
    """One row per eligible case: where she counts, whether connected, days need → first
    uptake, and the furthest open stage of a referral made by the end (1 sent, 2 accepted).

    Driven from the eligible cases through the ``needs.case_id`` and ``referrals.need_id``
    indexes (a join of two derived tables is a full scan per row on SQLite)."""
    placed = placed_cases(period, groups)
    uptake = _uptake_by(period)
    _made, stage = _referral_stage(period)
    return (
        select(placed.c.case_id, placed.c.grp, placed.c.unit_id,
               func.max(case((uptake, 1), else_=0)).label("connected"),
               func.min(case((uptake, days_between(Referral.uptake_on, Need.identified_on))))
               .label("days"),
               func.max(stage).label("stage"))
        .select_from(placed.outerjoin(Need, Need.case_id == placed.c.case_id)
                     .outerjoin(Referral, Referral.need_id == Need.id))
        .group_by(placed.c.case_id, placed.c.grp, placed.c.unit_id)
        .subquery("per_case")
    )


def _in_scope(unit_col: Any, scope: OrgUnit | None) -> Any:
    if scope is None:
        return None
    return unit_col.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(scope.path,
                                                                          autoescape=True)))


# --- Results ------------------------------------------------------------------------------------

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


def _may_be_held_in(scope: OrgUnit | None) -> list[ColumnElement[bool]]:
    """A cheap superset of the cases that can count in ``scope``: held there now, or with a
    custody row there (where she counts is decided exactly afterwards)."""
    if scope is None:
        return []
    units = select(OrgUnit.id).where(OrgUnit.path.startswith(scope.path, autoescape=True))
    return [or_(Case.org_unit_id.in_(units),
                Case.id.in_(select(CaseCustody.case_id).where(CaseCustody.org_unit_id.in_(units))))]


def _open_cases(period: Period, scope: OrgUnit | None = None, cases: Any = None) -> Any:
    """A CTE of the cases open in the period (not merged): ``case_id``, ``grp``, ``unit_id``
    (where she counts on her anchor day), ``intake``; whether she is eligible depends on her
    needs, decided with them in :func:`_facts`.

    Set-based: the custody row covering the anchor is the one no later covering row beats
    (an anti-join, and a second one for women without a covering row), not a window over
    every case nor a join of two derived tables (a scan per row on SQLite)."""
    ep = _open_episodes(period)
    opened = (
        select(Case.id.label("case_id"), Case.group.label("grp"),
               Case.org_unit_id.label("home_unit"), Case.intake_date.label("intake"),
               ep.c.anchor)
        .join(ep, ep.c.case_id == Case.id)
        .where(Case.merged_into_id.is_(None), *_may_be_held_in(scope),
               *([] if cases is None else [Case.id.in_(cases)]))
        .cte("opened")
    )
    cc, later = aliased(CaseCustody, name="cc"), aliased(CaseCustody, name="later")

    def covers(row: Any) -> ColumnElement[bool]:
        return and_(row.case_id == opened.c.case_id, row.from_date <= opened.c.anchor,
                    or_(row.to_date.is_(None), row.to_date > opened.c.anchor))

    held = (  # the custody row covering her anchor day that no later covering row beats
        select(opened.c.case_id, opened.c.grp, opened.c.intake,
               cc.org_unit_id.label("unit_id"))
        .join(cc, covers(cc))
        .where(~exists().where(covers(later), or_(
            later.from_date > cc.from_date,
            and_(later.from_date == cc.from_date, later.id > cc.id))))
    )
    unheld = (  # no custody row covers it: her case's unit
        select(opened.c.case_id, opened.c.grp, opened.c.intake, opened.c.home_unit)
        .where(~exists().where(covers(later)))
    )
    return union_all(held, unheld).cte("placed")


def _facts(period: Period, scope: OrgUnit | None, cases: Any = None) -> Any:
    """A CTE with one row per (case open in the period, need, referral) in ``scope`` (and
    among ``cases``, a select of case ids, when given): the per-woman facts every figure is
    computed from (referral columns NULL without one).
    Hash joins over ``needs`` and ``referrals`` (a nested loop per case is what made the old
    four statements take seconds); nothing here reads an encrypted column."""
    placed = _open_cases(period, scope, cases)
    uptake = _uptake_by(period)
    made, stage = _referral_stage(period)
    need_open = and_(Need.identified_on <= period.end,
                     or_(Need.ended_on.is_(None), Need.ended_on >= period.start),
                     Need.identified_on >= placed.c.intake)
    stmt = (
        select(placed.c.case_id, placed.c.grp, placed.c.unit_id, Need.category,
               case((need_open, 1), else_=0).label("open_need"),
               Referral.provider_id,
               case((made, 1), else_=0).label("made"),
               case((uptake, 1), else_=0).label("up"),
               case((uptake, days_between(Referral.uptake_on, Need.identified_on)))
               .label("days"),
               stage.label("stage"))
        .select_from(placed.join(Need, Need.case_id == placed.c.case_id)
                     .outerjoin(Referral, Referral.need_id == Need.id))
    )
    where = _in_scope(placed.c.unit_id, scope)
    return (stmt if where is None else stmt.where(where)).cte("facts")


@dataclass(frozen=True)
class WomanRows:
    """The per-woman results every figure is counted from (three selects, no personal data):

    * ``women``: one row per eligible woman: ``case_id, grp, unit_id`` (where she counts),
      ``connected`` (0/1), ``days`` (need → first uptake, or NULL), ``stage`` (furthest open
      stage of a referral made by the end: 0 none, 1 sent, 2 accepted);
    * ``categories``: per eligible woman and category of a need open in the period:
      ``case_id, grp, unit_id, category, connected`` (through a referral for such a need);
    * ``partners``: per eligible woman and partner she was referred to by the end:
      ``case_id, grp, unit_id, provider_id, connected`` (through that partner).

    The same rows are counted straight from the case tables (:func:`dashboard_statement`) or
    stored per period (``casework/indicators/store.py``) and counted from there."""

    women: Any
    categories: Any
    partners: Any


def woman_rows(period: Period, scope: OrgUnit | None = None, cases: Any = None) -> WomanRows:
    """:class:`WomanRows` for ``period`` in ``scope`` (None: everywhere), optionally only for
    ``cases`` (a select of case ids: the women whose stored rows are recomputed)."""
    facts = _facts(period, scope, cases)
    key = (facts.c.case_id, facts.c.grp, facts.c.unit_id)
    women = (
        select(*key, func.max(facts.c.up).label("connected"),
               func.min(facts.c.days).label("days"), func.max(facts.c.stage).label("stage"))
        .group_by(*key)
        .having(func.max(facts.c.open_need) == 1)  # eligible: a need open in the period
    )
    categories = (  # a need open in the period implies she is eligible
        select(*key, facts.c.category, func.max(facts.c.up).label("connected"))
        .where(facts.c.open_need == 1)
        .group_by(*key, facts.c.category)
    )
    eligible = women.cte("eligible")
    partners = (
        select(*key, facts.c.provider_id, func.max(facts.c.up).label("connected"))
        .where(facts.c.made == 1, facts.c.case_id.in_(select(eligible.c.case_id)))
        .group_by(*key, facts.c.provider_id)
    )
    return WomanRows(women, categories, partners)


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
    """:func:`figures_statement` straight from the case tables: one statement over every
    case, need and referral in ``scope`` (the reference the stored figures must equal)."""
    rows = woman_rows(period, scope)
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
    date first (``casework/indicators/store.py``); otherwise straight from the case tables
    (:func:`dashboard_statement`, the reference the stored figures are tested against)."""
    if not stored:
        return list(indicator_store.execute_hashed(
            db.session(), dashboard_statement(period, scope, breakdowns=breakdowns)).all())
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(scope.path, autoescape=True))

    def rows_for(cases: Any) -> WomanRows:  # every woman: the stored rows serve every scope
        return woman_rows(period, None, cases)

    def figures(period_id: int) -> Any:
        def stored_rows(model: Any) -> Any:
            return (select(model).where(model.period_id == period_id,
                                        model.unit_id.in_(subtree)).subquery())
        return figures_statement(stored_rows(IndicatorWoman),
                                 stored_rows(IndicatorWomanCategory),
                                 stored_rows(IndicatorWomanPartner), breakdowns=breakdowns)

    return indicator_store.stored_figures(period.start, period.end, rows_for, figures)


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


@dataclass
class _UnitCounts:
    unit_id: int
    eligible: int
    connected: int
    awaiting_answer: int
    awaiting_uptake: int


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


def keep_stored(period: Period) -> None:
    """Build or refresh the stored figures of ``period`` (what a first read would do)."""
    def rows_for(cases: Any) -> WomanRows:
        return woman_rows(period, None, cases)

    with indicator_store.own_session() as session:
        indicator_store.current_period(session, period.start, period.end, rows_for)


def trend(scope: OrgUnit, until: date) -> list[tuple[Period, Figures]]:
    """The target group's figures for each half-year since the plan started."""
    return [(p, totals(scope, p)) for p in half_years(until)]


def eligible_case_ids(scope: OrgUnit, period: Period) -> Any:
    """Select ``(case_id, grp, unit_id, days)`` for the de-identified export (days or NULL)."""
    pc = per_case(period)
    return (select(pc.c.case_id, pc.c.grp, pc.c.unit_id, pc.c.days)
            .where(_in_scope(pc.c.unit_id, scope)).order_by(pc.c.case_id))


def next_day(day: date) -> date:
    return day + timedelta(days=1)


def connected_by_provenance(scope: OrgUnit, period: Period,
                            group: str = TARGET_GROUP) -> dict[str, int]:
    """The connected women of ``scope`` in ``period`` split by how their uptake became known
    (``domain.UPTAKE_PROVENANCES``: partner account, partner link, paper import, caseworker
    report verified). Each connected woman counts once, under her first counted uptake (the
    earliest; on the same day a partner's confirmation first), so the parts add up to the
    connected count; "counted" is THE definition (:func:`counted_uptake`, via :func:`woman_rows`
    and ``_uptake_by``), never a copy. Uptakes recorded before provenance existed count as
    the partner's account (migration 0012 backfilled them so)."""
    from casework.domain import UPTAKE_PARTNER_ACCOUNT, UPTAKE_PROVENANCES

    women = woman_rows(period, scope).women.subquery("women")
    order = list(UPTAKE_PROVENANCES)
    priority = case({code: n for n, code in enumerate(order)},
                    value=Referral.uptake_provenance, else_=0)
    first = (
        select(women.c.case_id, Referral.uptake_provenance.label("provenance"),
               func.row_number().over(partition_by=women.c.case_id,
                                      order_by=(Referral.uptake_on, priority)).label("rn"))
        .join(Need, Need.case_id == women.c.case_id)
        .join(Referral, Referral.need_id == Need.id)
        .where(women.c.connected == 1, women.c.grp == group, _uptake_by(period))
        .subquery("first_uptake")
    )
    split = dict.fromkeys(order, 0)
    for row in db.session.execute(
            select(first.c.provenance, func.count().label("n")).where(first.c.rn == 1)
            .group_by(first.c.provenance)):
        key = row.provenance if row.provenance in split else UPTAKE_PARTNER_ACCOUNT
        split[key] += int(row.n)
    return split
