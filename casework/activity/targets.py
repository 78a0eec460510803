"""The figures of the plan's eight targets for a unit's subtree and a period, as worded.

A registry (:data:`TARGETS`) maps each target's number to one function ``(scope, period) ->
TargetFigures``. Targets 1-4, 7 and 8 are computed here from the units' activity records
(``casework.models.activity``); target 5 is ``casework.indicators`` (its public functions, not
a copy); target 6 is :func:`target6_figures`, the tip-off register's (wired at merge).

Which records count (DOMAIN.md: "approved figures feed the report of every level above"): the
scope's own records always; a unit below it only for the half-years the level above approved.
Plans, programmes and yearly counts, which span half-years, count when any half-year of the
period is approved for the unit.

* **1**: units (all levels) with a plan adopted by the period's end and at least one activity
  (communication, training, or a programme running) in the period / active units;
* **2**: union officers reached / union officers, and members and women reached / members; per
  unit the reached count is capped at the unit's count (the records count attendances, so one
  person reached twice must not make 200 %); counts are those of the period's last year;
* **3**: district-level unions with >= 1 communication activity / district-level unions, and the
  same for grassroots unions;
* **4**: the same with >= 1 programme integrating the task running in the period;
* **7**: concerned officers trained (capped per unit) / concerned officers;
* **8**: units (all levels) with >= 1 post in every quarter of the period / active units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, extract, func, or_, select

from casework import indicators
from casework.extensions import db
from casework.indicators import Period
from casework.models.activity import ActivityRecord, ActivitySubmission, UnitYearCounts
from casework.models.org import UNIT_LEVEL, OrgUnit
from casework.services.org_units import subtree_filter
from casework.tipoffs import indicator as tipoffs_indicator

# The plan's wording (section II), in English msgids; report.po holds the plan's Vietnamese.
TITLES: dict[int, Any] = {
    1: _l("All union levels build and carry out anti-prostitution activities for 2021-2025."),
    2: _l("100% of union officers and at least 70% of members and women are informed about "
          "anti-prostitution policy, law and knowledge."),
    3: _l("100% of district-level unions and at least 80% of grassroots unions organise, in "
          "coordination, at least one form of prostitution-prevention communication."),
    4: _l("100% of district-level unions and at least 50% of grassroots unions integrate the "
          "task with the union's related programmes and projects."),
    5: _l("At least 80% of women who left sex work and need social support and community "
          "reintegration services are helped by the union to connect to them."),
    6: _l("100% of tip-offs about crimes and complaints from officers, members and women about "
          "prostitution-related violations are received, verified, classified and handled in "
          "time."),
    7: _l("By 2025, 100% of union officers of all levels concerned with anti-prostitution work "
          "are trained."),
    8: _l("Anti-prostitution information is posted on the website and fan page of every union "
          "level at least once a quarter."),
}
MEASURES: dict[str, Any] = {
    "units": _l("Union units"),
    "officers": _l("Union officers reached"),
    "members": _l("Members and women reached"),
    "districts": _l("District-level unions"),
    "grassroots": _l("Grassroots unions"),
    "women": _l("Women connected to services"),
    "tipoffs": _l("Tip-offs and complaints handled in time"),
    "trained": _l("Concerned officers trained"),
}


@dataclass
class Measure:
    """One share the plan sets a goal for: ``numerator / denominator`` against ``goal``."""

    key: str
    numerator: int
    denominator: int
    goal: float

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool | None:
        rate = self.rate
        return None if rate is None else rate >= self.goal - 1e-9

    @property
    def label(self) -> Any:
        return MEASURES[self.key]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "numerator": self.numerator, "denominator": self.denominator,
                "goal": self.goal, "rate": self.rate, "met": self.met}


@dataclass
class Row:
    """A breakdown row: a child unit's subtree, or the scope's own records (``own``)."""

    unit: OrgUnit
    measures: list[Measure]
    own: bool = False


@dataclass
class TargetFigures:
    number: int
    measures: list[Measure]
    rows: list[Row] = field(default_factory=list)
    recorded: bool = True  # False: this Casework does not record the target yet

    @property
    def title(self) -> Any:
        return TITLES[self.number]

    @property
    def met(self) -> bool | None:
        if not self.recorded or any(m.met is None for m in self.measures):
            return None
        return all(m.met for m in self.measures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.number, "recorded": self.recorded, "met": self.met,
            "measures": [m.as_dict() for m in self.measures],
            "units": [{"unit": {"id": r.unit.id, "code": r.unit.code, "name": r.unit.name},
                       "own": r.own, "measures": [m.as_dict() for m in r.measures]}
                      for r in self.rows],
        }


# --- The facts per unit --------------------------------------------------------------------------

def half_key(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def quarters(period: Period) -> list[tuple[int, int]]:
    """(year, quarter) of every quarter the period touches."""
    out: list[tuple[int, int]] = []
    year, quarter = period.start.year, (period.start.month - 1) // 3 + 1
    while date(year, 3 * quarter - 2, 1) <= period.end:
        out.append((year, quarter))
        year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return out


def _halves(period: Period) -> set[str]:
    return {f"{y}H{1 if q <= 2 else 2}" for y, q in quarters(period)}


@dataclass
class UnitFacts:
    unit: OrgUnit
    plan: bool = False
    communications: int = 0
    officers_reached: int = 0
    members_reached: int = 0
    programmes: int = 0
    trained: int = 0
    trainings: int = 0
    post_quarters: set[tuple[int, int]] = field(default_factory=set)
    officers: int | None = None
    concerned: int | None = None
    members: int | None = None

    @property
    def level(self) -> int:
        return UNIT_LEVEL.get(self.unit.kind, 2)


def approved_halves(scope: OrgUnit, halves: set[str]) -> set[tuple[int, str]]:
    rows = db.session.execute(
        select(ActivitySubmission.org_unit_id, ActivitySubmission.period_key)
        .join(OrgUnit, OrgUnit.id == ActivitySubmission.org_unit_id)
        .where(subtree_filter(scope), ActivitySubmission.status == "approved",
               ActivitySubmission.period_key.in_(sorted(halves))))
    return {(r[0], r[1]) for r in rows}


def unit_facts(scope: OrgUnit, period: Period, *, approved_only: bool = True
               ) -> dict[int, UnitFacts]:
    """Every active unit of the subtree with its facts for the period (four statements)."""
    units = db.session.scalars(select(OrgUnit).where(subtree_filter(scope),
                                                     OrgUnit.active.is_(True))).all()
    facts = {u.id: UnitFacts(u) for u in units}
    halves = _halves(period)
    approved = approved_halves(scope, halves)

    def counts(unit_id: int, half: str | None = None) -> bool:
        if not approved_only or unit_id == scope.id:
            return True
        if half is not None:
            return (unit_id, half) in approved
        return any((unit_id, h) in approved for h in halves)

    in_scope = ActivityRecord.org_unit_id.in_(list(facts))
    year = extract("year", ActivityRecord.held_on)
    month = extract("month", ActivityRecord.held_on)
    rows = db.session.execute(
        select(ActivityRecord.org_unit_id, ActivityRecord.kind, year, month,
               func.count(), func.sum(ActivityRecord.officers), func.sum(ActivityRecord.members))
        .where(in_scope, ActivityRecord.kind.in_(("communication", "training", "post")),
               ActivityRecord.held_on >= period.start, ActivityRecord.held_on <= period.end)
        .group_by(ActivityRecord.org_unit_id, ActivityRecord.kind, year, month))
    for unit_id, kind, y, m, n, officers, members in rows:
        y, m = int(y), int(m)
        if unit_id not in facts or not counts(unit_id, f"{y}H{1 if m <= 6 else 2}"):
            continue
        f = facts[unit_id]
        if kind == "communication":
            f.communications += n
            f.officers_reached += int(officers or 0)
            f.members_reached += int(members or 0)
        elif kind == "training":
            f.trainings += n
            f.trained += int(officers or 0)
        else:
            f.post_quarters.add((y, (m - 1) // 3 + 1))
    for unit_id, kind, n in db.session.execute(
            select(ActivityRecord.org_unit_id, ActivityRecord.kind, func.count())
            .where(in_scope, or_(
                and_(ActivityRecord.kind == "plan", ActivityRecord.held_on <= period.end),
                and_(ActivityRecord.kind == "programme", ActivityRecord.held_on <= period.end,
                     or_(ActivityRecord.ended_on.is_(None),
                         ActivityRecord.ended_on >= period.start))))
            .group_by(ActivityRecord.org_unit_id, ActivityRecord.kind)):
        if unit_id in facts and counts(unit_id):
            if kind == "plan":
                facts[unit_id].plan = True
            else:
                facts[unit_id].programmes += n
    latest = (select(UnitYearCounts.org_unit_id, func.max(UnitYearCounts.year).label("year"))
              .where(UnitYearCounts.org_unit_id.in_(list(facts)),
                     UnitYearCounts.year <= period.end.year)
              .group_by(UnitYearCounts.org_unit_id).subquery())
    for c in db.session.scalars(select(UnitYearCounts).join(latest, and_(
            latest.c.org_unit_id == UnitYearCounts.org_unit_id,
            latest.c.year == UnitYearCounts.year))):
        if counts(c.org_unit_id):
            f = facts[c.org_unit_id]
            f.officers, f.concerned, f.members = c.officers, c.concerned_officers, c.members
    return facts


# --- Targets from the facts ----------------------------------------------------------------------

Facts = list[UnitFacts]


def _share(key: str, goal: float, facts: Facts, test: Callable[[UnitFacts], bool],
           level: int | None = None) -> Measure:
    chosen = [f for f in facts if level is None or f.level == level]
    return Measure(key, sum(1 for f in chosen if test(f)), len(chosen), goal)


def _capped(key: str, goal: float, facts: Facts, part: Callable[[UnitFacts], int],
            whole: Callable[[UnitFacts], int | None]) -> Measure:
    num = den = 0
    for f in facts:
        total = whole(f)
        if total is None:
            continue
        den += total
        num += min(part(f), total)
    return Measure(key, num, den, goal)


def _carried_out(f: UnitFacts) -> bool:
    return f.plan and (f.communications + f.trainings + f.programmes) > 0


def measures_for(number: int, facts: Facts, period: Period) -> list[Measure]:
    if number == 1:
        return [_share("units", 1.0, facts, _carried_out)]
    if number == 2:
        return [_capped("officers", 1.0, facts, lambda f: f.officers_reached,
                        lambda f: f.officers),
                _capped("members", 0.7, facts, lambda f: f.members_reached, lambda f: f.members)]
    if number == 3:
        return [_share("districts", 1.0, facts, lambda f: f.communications > 0, 1),
                _share("grassroots", 0.8, facts, lambda f: f.communications > 0, 2)]
    if number == 4:
        return [_share("districts", 1.0, facts, lambda f: f.programmes > 0, 1),
                _share("grassroots", 0.5, facts, lambda f: f.programmes > 0, 2)]
    if number == 7:
        return [_capped("trained", 1.0, facts, lambda f: f.trained, lambda f: f.concerned)]
    if number == 8:
        every = set(quarters(period))
        return [_share("units", 1.0, facts, lambda f: every <= f.post_quarters)]
    raise ValueError(number)


ACTIVITY_TARGETS = (1, 2, 3, 4, 7, 8)


def _groups(scope: OrgUnit, facts: dict[int, UnitFacts]) -> list[tuple[OrgUnit, Facts, bool]]:
    """The breakdown: the scope's own records, then each child's subtree (by name)."""
    children = sorted((f.unit for f in facts.values() if f.unit.parent_id == scope.id),
                      key=lambda u: u.name)
    groups: list[tuple[OrgUnit, Facts, bool]] = []
    if scope.id in facts:
        groups.append((scope, [facts[scope.id]], True))
    for child in children:
        groups.append((child, [f for f in facts.values() if f.unit.is_within(child)], False))
    return groups


def activity_targets(scope: OrgUnit, period: Period, *, approved_only: bool = True
                     ) -> dict[int, TargetFigures]:
    facts = unit_facts(scope, period, approved_only=approved_only)
    every = list(facts.values())
    groups = _groups(scope, facts)
    return {n: TargetFigures(n, measures_for(n, every, period),
                             [Row(unit, measures_for(n, part, period), own)
                              for unit, part, own in groups])
            for n in ACTIVITY_TARGETS}


def target5_figures(scope: OrgUnit, period: Period) -> TargetFigures:
    """Target 5 from ``casework.indicators`` (the one definition): women connected / eligible."""
    result = indicators.compute(scope, period, breakdowns=False)
    total = result.total
    rows = [Row(r.unit, [Measure("women", r.figures.connected, r.figures.eligible,
                                 indicators.TARGET_RATE)], own=r.direct)
            for r in result.children]
    return TargetFigures(5, [Measure("women", total.connected, total.eligible,
                                     indicators.TARGET_RATE)], rows)


def target6_figures(scope: OrgUnit, period: Period) -> TargetFigures:
    """Target 6 from the tip-off register (``casework.tipoffs.indicator``, its one definition):
    items handled in time / items due, goal 100 %, with the same drill-down by unit."""
    result = tipoffs_indicator.compute(scope, period)
    figures = from_target6(result.total)
    figures.rows = [Row(r.unit, [Measure("tipoffs", r.figures.in_time, r.figures.due, 1.0)],
                        own=r.direct) for r in result.units]
    return figures


def from_target6(figures: Any) -> TargetFigures:
    """The tip-off register's ``Target6Figures(due, in_time, in_progress, overdue, rate)`` as
    this report's target 6: handled in time / due, goal 100 %."""
    return TargetFigures(6, [Measure("tipoffs", int(figures.in_time), int(figures.due), 1.0)])


TARGETS: dict[int, Callable[[OrgUnit, Period], TargetFigures]] = {
    5: target5_figures,
    6: target6_figures,
}


def all_targets(scope: OrgUnit, period: Period, *, approved_only: bool = True
                ) -> list[TargetFigures]:
    """The eight targets, in the plan's order."""
    results = activity_targets(scope, period, approved_only=approved_only)
    for number, compute in TARGETS.items():
        results[number] = compute(scope, period)
    return [results[n] for n in sorted(results)]


def figures_dict(scope: OrgUnit, period: Period) -> dict[str, Any]:
    """Plain JSON-able figures of every target (the API and the tests read this)."""
    return {
        "unit": {"id": scope.id, "code": scope.code, "name": scope.name},
        "period": {"key": period.key, "kind": period.kind, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "targets": [t.as_dict() for t in all_targets(scope, period)],
    }
