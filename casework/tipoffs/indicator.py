"""The target-6 indicator, exactly as DOMAIN.md "Target 6" defines it. One implementation for
the supervision pages, the exports, the all-targets report and the reminders.

For a period ``[start, end]`` and a knowledge date ``K`` (the "as of" date; at least ``end``):

* what is known of an item is what its effective dates put on or before ``K`` (a class or a
  handling dated later is not known yet);
* its **deadline** comes from :func:`casework.tipoffs.deadlines.deadline`;
* its **decision day** is the day it was handled when that is on or before the deadline, else
  the deadline (once handled late, or once the deadline has passed by ``K``); an item neither
  handled nor past its deadline at ``K`` has no decision day yet;
* it is **due** in the period when its decision day falls in it, **handled in time** when due
  and handled on or before its deadline, **overdue** when due and not handled by ``K``;
* it is **in progress** when received by the period's end, not handled by then, and its
  decision day (if any) is after the period (so each item is due in exactly one half-year);
* it **counts** in the unit that held it on its decision day (in-progress items: on the
  period's last day); counts per unit add up over a subtree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from casework.extensions import db
from casework.indicators import Period
from casework.models.org import OrgUnit
from casework.models.tipoff import TipOff, TipOffCustody
from casework.services.effective_dates import today
from casework.tipoffs import service
from casework.tipoffs.deadlines import Rules, deadline

TARGET_RATE = 1.0


@dataclass
class Target6Figures:
    """Counts for one scope and period; ``rate`` = handled in time / due (target 100 %)."""

    due: int = 0
    in_time: int = 0
    in_progress: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float | None:
        return self.in_time / self.due if self.due else None

    @property
    def late(self) -> int:
        return self.due - self.in_time

    def add(self, other: Target6Figures) -> None:
        self.due += other.due
        self.in_time += other.in_time
        self.in_progress += other.in_progress
        self.overdue += other.overdue

    def as_dict(self) -> dict[str, int]:
        return {"due": self.due, "in_time": self.in_time, "in_progress": self.in_progress,
                "overdue": self.overdue}


@dataclass(frozen=True)
class ItemState:
    """One item as the indicator sees it for a period (codes and dates only)."""

    id: object
    reference: str
    channel: str
    classification: str | None
    received_on: date
    deadline: date
    handled_on: date | None
    decision_day: date | None
    state: str  # "in_time" | "late" | "overdue" | "in_progress"
    unit_id: int

    @property
    def due(self) -> bool:
        return self.state != "in_progress"


@dataclass
class UnitRow:
    unit: OrgUnit
    figures: Target6Figures
    direct: bool  # the scope unit's own items (not its children's)


@dataclass
class Target6Result:
    scope: OrgUnit
    period: Period
    as_of: date
    total: Target6Figures
    units: list[UnitRow]
    by_class: dict[str, Target6Figures] = field(default_factory=dict)
    by_channel: dict[str, Target6Figures] = field(default_factory=dict)
    items: list[ItemState] = field(default_factory=list)


def _holder(custody: list[tuple[int, date, date | None]], day: date) -> int | None:
    for unit_id, start, end in custody:
        if start <= day and (end is None or day < end):
            return unit_id
    return custody[-1][0] if custody and day >= custody[-1][1] else (
        custody[0][0] if custody else None)


def classify_item(received_on: date, classification: str | None, classified_on: date | None,
                  handled_on: date | None, *, start: date, end: date, known: date,
                  rule_set: Rules) -> tuple[str, date, date, date | None] | None:
    """(state, day it counts, deadline, decision day) of one item for ``[start, end]`` as
    known at ``known``; None when the item is not in this period at all."""
    if received_on > end:
        return None
    cls_known = classification if classified_on is not None and classified_on <= known else None
    handled = handled_on if handled_on is not None and handled_on <= known else None
    dl = deadline(received_on, cls_known, classified_on if cls_known else None, rule_set)
    if handled is not None and handled <= dl:
        decision: date | None = handled
    elif handled is not None or dl < known:
        decision = dl
    else:
        decision = None
    if decision is not None and start <= decision <= end:
        if handled is not None and handled <= dl:
            state = "in_time"
        elif handled is None:
            state = "overdue"
        else:
            state = "late"
        return state, decision, dl, decision
    if (handled is None or handled > end) and (decision is None or decision > end):
        return "in_progress", end, dl, decision
    return None


def item_states(period: Period, *, as_of: date | None = None,
                scope: OrgUnit | None = None) -> list[ItemState]:
    """Every item due or in progress in ``period``, where it counts, within ``scope``."""
    known = max(as_of or today(), period.end)
    rule_set = service.rules()
    rows = db.session.execute(
        select(TipOff.id, TipOff.reference, TipOff.channel, TipOff.classification,
               TipOff.received_on, TipOff.classified_on, TipOff.handled_on)
        .where(TipOff.received_on <= period.end)).all()
    custody: dict[object, list[tuple[int, date, date | None]]] = defaultdict(list)
    for tipoff_id, unit_id, start, end in db.session.execute(
            select(TipOffCustody.tipoff_id, TipOffCustody.org_unit_id, TipOffCustody.from_date,
                   TipOffCustody.to_date).order_by(TipOffCustody.from_date, TipOffCustody.id)):
        custody[tipoff_id].append((unit_id, start, end))
    allowed: set[int] | None = None
    if scope is not None:
        allowed = set(db.session.scalars(select(OrgUnit.id).where(
            OrgUnit.path.startswith(scope.path))))
    states: list[ItemState] = []
    for row in rows:
        result = classify_item(row.received_on, row.classification, row.classified_on,
                               row.handled_on, start=period.start, end=period.end, known=known,
                               rule_set=rule_set)
        if result is None:
            continue
        state, day, dl, decision = result
        holder = _holder(custody[row.id], day)
        if holder is None or (allowed is not None and holder not in allowed):
            continue
        cls = row.classification if row.classified_on and row.classified_on <= known else None
        handled = row.handled_on if row.handled_on and row.handled_on <= known else None
        states.append(ItemState(row.id, row.reference, row.channel, cls, row.received_on, dl,
                                handled, decision, state, holder))
    return states


def _count(states: Iterable[ItemState]) -> Target6Figures:
    figures = Target6Figures()
    for s in states:
        if s.state == "in_progress":
            figures.in_progress += 1
            continue
        figures.due += 1
        if s.state == "in_time":
            figures.in_time += 1
        elif s.state == "overdue":
            figures.overdue += 1
    return figures


def figures(scope: OrgUnit, period: Period, *, as_of: date | None = None) -> Target6Figures:
    """Target 6 for ``scope``'s subtree and ``period`` (the all-targets report's entry point)."""
    return _count(item_states(period, as_of=as_of, scope=scope))


def compute(scope: OrgUnit, period: Period, *, as_of: date | None = None) -> Target6Result:
    """Figures with drill-down (the scope's own items, then each child's subtree) and the
    breakdowns by class and channel."""
    states = item_states(period, as_of=as_of, scope=scope)
    units = {u.id: u for u in db.session.scalars(
        select(OrgUnit).where(OrgUnit.path.startswith(scope.path)))}
    children = sorted((u for u in units.values() if u.parent_id == scope.id),
                      key=lambda u: u.name)
    rows = [UnitRow(scope, _count(s for s in states if s.unit_id == scope.id), True)]
    for child in children:
        rows.append(UnitRow(child, _count(
            s for s in states if units[s.unit_id].path.startswith(child.path)), False))
    by_class: dict[str, list[ItemState]] = defaultdict(list)
    by_channel: dict[str, list[ItemState]] = defaultdict(list)
    for s in states:
        by_class[s.classification or "unclassified"].append(s)
        by_channel[s.channel].append(s)
    return Target6Result(
        scope=scope, period=period, as_of=max(as_of or today(), period.end),
        total=_count(states), units=rows,
        by_class={k: _count(v) for k, v in sorted(by_class.items())},
        by_channel={k: _count(v) for k, v in sorted(by_channel.items())}, items=states)


@dataclass(frozen=True)
class OverdueItem:
    """An item past its deadline and not handled (for worklists and reminders: no content)."""

    id: object
    reference: str
    org_unit_id: int
    received_on: date
    deadline: date


def overdue_items(as_of: date) -> list[OverdueItem]:
    """Every item not handled by ``as_of`` whose deadline (as known then) is before it."""
    rule_set = service.rules()
    found: list[OverdueItem] = []
    for row in db.session.execute(
            select(TipOff.id, TipOff.reference, TipOff.org_unit_id, TipOff.received_on,
                   TipOff.classification, TipOff.classified_on, TipOff.handled_on)
            .where(TipOff.received_on <= as_of)):
        if row.handled_on is not None and row.handled_on <= as_of:
            continue
        known = row.classified_on is not None and row.classified_on <= as_of
        dl = deadline(row.received_on, row.classification if known else None,
                      row.classified_on if known else None, rule_set)
        if dl < as_of:
            found.append(OverdueItem(row.id, row.reference, row.org_unit_id, row.received_on, dl))
    return sorted(found, key=lambda o: (o.deadline, o.reference))
