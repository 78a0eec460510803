"""The all-targets report as the page and the workbook show it: cells, suppression, XLSX.

Small counts: target 5 counts women, so its counts follow the target-5 report's rules
(``casework.blueprints.supervision.reporting``: a count from 1 to threshold-1 is hidden, a
connected count is hidden with its eligible count or when the women not connected would be a
small count, and a breakdown column with exactly one hidden cell hides its next smallest one).
The other targets count union units and officers, which identify no woman: shown exactly.

In the workbook numbers are numbers (counts ``#,##0``, rates ``0%``, which Excel shows the
Vietnamese way on a Vietnamese system) and a hidden count is the text ``<5`` on a grey fill,
explained in a note under the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from casework import spreadsheets
from casework.activity.targets import Measure, TargetFigures
from casework.blueprints.supervision.reporting import Cell, _complement, _pair

HIDDEN_FILL = PatternFill("solid", start_color="D9D9D9", end_color="D9D9D9")
COUNT_FORMAT = "#,##0"
RATE_FORMAT = "0%"


@dataclass
class ShownMeasure:
    measure: Measure
    numerator: Cell
    denominator: Cell

    @property
    def hidden(self) -> bool:
        return self.numerator.hidden or self.denominator.hidden

    @property
    def rate(self) -> float | None:
        return None if self.hidden else self.measure.rate

    @property
    def met(self) -> bool | None:
        return None if self.hidden else self.measure.met


@dataclass
class ShownRow:
    name: str
    own: bool
    measures: list[ShownMeasure]
    code: str = ""

    @property
    def met(self) -> bool | None:
        if any(m.met is None for m in self.measures):
            return None
        return all(m.met for m in self.measures)


@dataclass
class ShownTarget:
    target: TargetFigures
    measures: list[ShownMeasure]
    rows: list[ShownRow]

    @property
    def met(self) -> bool | None:
        if not self.target.recorded or any(m.met is None for m in self.measures):
            return None
        return all(m.met for m in self.measures)


def _plain(m: Measure) -> ShownMeasure:
    return ShownMeasure(m, Cell(m.numerator), Cell(m.denominator))


def _women(m: Measure, t: int) -> ShownMeasure:
    eligible, connected = _pair(m.denominator, m.numerator, t)
    return ShownMeasure(m, connected, eligible)


def shown(targets: list[TargetFigures], t: int) -> list[ShownTarget]:
    """Every target as it may leave the union (threshold ``t``; t <= 1 hides nothing)."""
    t = max(t, 1)
    out: list[ShownTarget] = []
    for target in targets:
        suppress = target.number in (5, 6)
        make = (lambda m: _women(m, t)) if suppress else _plain
        rows = [ShownRow(r.unit.name, r.own, [make(m) for m in r.measures], r.unit.code)
                for r in target.rows]
        if suppress and rows:
            for index in range(len(rows[0].measures)):
                for cells in ("denominator", "numerator"):
                    for _round in range(3):
                        _complement([getattr(r.measures[index], cells) for r in rows])
                for r in rows:
                    if r.measures[index].denominator.hidden:
                        r.measures[index].numerator.hidden = True
        out.append(ShownTarget(target, [make(m) for m in target.measures], rows))
    return out


def met_text(met: bool | None, recorded: bool = True) -> str:
    if not recorded:
        return str(_("Not recorded yet"))
    if met is None:
        return "–"
    return str(_("Met") if met else _("Not met"))


# --- XLSX --------------------------------------------------------------------------------------

def _put_count(ws: Any, row: int, col: int, cell: Cell, t: int) -> None:
    if cell.hidden:
        c = spreadsheets.put(ws, row, col, f"<{t}")
        c.fill = HIDDEN_FILL
        c.alignment = Alignment(horizontal="right")
    else:
        spreadsheets.put(ws, row, col, cell.value).number_format = COUNT_FORMAT


def _put_rate(ws: Any, row: int, col: int, rate: float | None) -> None:
    if rate is None:
        spreadsheets.put(ws, row, col, "–").alignment = Alignment(horizontal="right")
    else:
        spreadsheets.put(ws, row, col, rate).number_format = RATE_FORMAT


def _header(ws: Any, row: int, values: list[Any]) -> None:
    for col, value in enumerate(values, start=1):
        spreadsheets.put(ws, row, col, str(value)).font = Font(bold=True)


def workbook(unit_name: str, period_text: str, targets: list[ShownTarget], t: int,
             statuses: str) -> bytes:
    """Summary sheet (target, measure, result, out of, rate, goal, met), then one sheet per
    target with the breakdown by unit."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    spreadsheets.put(ws, 1, 1, _("Report on the 2021-2025 anti-prostitution plan")).font = \
        Font(bold=True, size=14)
    spreadsheets.put(ws, 2, 1, _("Unit"))
    spreadsheets.put(ws, 2, 2, unit_name)
    spreadsheets.put(ws, 3, 1, _("Period"))
    spreadsheets.put(ws, 3, 2, period_text)
    spreadsheets.put(ws, 4, 1, _("Submissions"))
    spreadsheets.put(ws, 4, 2, statuses)
    head = [_("Target"), _("Content"), _("Measure"), _("Result"), _("Out of"), _("Rate"),
            _("Goal"), _("Met")]
    _header(ws, 6, head)
    row = 7
    for shown_target in targets:
        target = shown_target.target
        for i, m in enumerate(shown_target.measures):
            spreadsheets.put(ws, row, 1, target.number)
            spreadsheets.put(ws, row, 2, str(target.title) if i == 0 else "")
            spreadsheets.put(ws, row, 3, str(m.measure.label))
            if target.recorded:
                _put_count(ws, row, 4, m.numerator, t)
                _put_count(ws, row, 5, m.denominator, t)
                _put_rate(ws, row, 6, m.rate)
            spreadsheets.put(ws, row, 7, m.measure.goal).number_format = RATE_FORMAT
            spreadsheets.put(ws, row, 8, met_text(m.met, target.recorded))
            ws.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
    row += 1
    spreadsheets.put(ws, row, 1, _("Cells marked <%(t)s on grey: fewer than %(t)s women, hidden "
                                   "so that no woman can be recognised.", t=t))
    for col, width in zip("ABCDEFGH", (8, 60, 32, 10, 10, 8, 8, 16), strict=True):
        ws.column_dimensions[col].width = width
    for shown_target in targets:
        target = shown_target.target
        sheet = wb.create_sheet(_("Target %(n)s", n=target.number)[:31])
        spreadsheets.put(sheet, 1, 1, str(target.title)).font = Font(bold=True)
        if not target.recorded:
            spreadsheets.put(sheet, 3, 1, met_text(None, recorded=False))
            continue
        cols = [_("Unit")]
        for m in shown_target.measures:
            cols += [f"{m.measure.label}: {_('Result')}", _("Out of"), _("Rate"), _("Met")]
        _header(sheet, 3, cols)
        for r_index, shown_row in enumerate([*shown_target.rows, None], start=4):
            measures = shown_target.measures if shown_row is None else shown_row.measures
            name = _("Total") if shown_row is None else (
                shown_row.name + (" " + _("(own records)") if shown_row.own else ""))
            cell = spreadsheets.put(sheet, r_index, 1, name)
            if shown_row is None:
                cell.font = Font(bold=True)
            for m_index, m in enumerate(measures):
                base = 2 + 4 * m_index
                _put_count(sheet, r_index, base, m.numerator, t)
                _put_count(sheet, r_index, base + 1, m.denominator, t)
                _put_rate(sheet, r_index, base + 2, m.rate)
                spreadsheets.put(sheet, r_index, base + 3, met_text(m.met))
        sheet.column_dimensions["A"].width = 36
    return spreadsheets.save(wb)
