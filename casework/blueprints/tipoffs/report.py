"""The target-6 report as it leaves the union: scope and period from the URL, the same
small-count suppression as target 5 (``casework.blueprints.supervision.reporting``: a count
from 1 to threshold-1 shows as "<t"; handled-in-time is hidden with its due count or when
the late ones would be a small count; a unit column with exactly one hidden cell hides its
next smallest too), and the XLSX workbook written through ``casework.spreadsheets``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from casework import indicators, spreadsheets
from casework.authz import indicator_scope_or_404, unit_in_scope
from casework.blueprints.supervision import reporting
from casework.extensions import db
from casework.models.org import OrgUnit
from casework.services.effective_dates import today
from casework.text import ascii_digits
from casework.tipoffs.codes import CHANNELS, CLASSES
from casework.tipoffs.indicator import Target6Figures, Target6Result


def _int_arg(name: str) -> int | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    if not ascii_digits(raw) or len(raw) > 9:
        raise BadRequest()
    return int(raw)


def context() -> tuple[OrgUnit, indicators.Period, date]:
    """Scope (default the user's unit), period and as-of date from the query; 400 if bad."""
    unit = indicator_scope_or_404(current_user, _int_arg("unit"))
    raw = (request.values.get("as_of") or "").strip()
    as_of = today()
    if raw:
        try:
            as_of = date.fromisoformat(raw[:10])
        except ValueError:
            raise BadRequest() from None
        if as_of > today() or as_of < indicators.PLAN_START:
            raise BadRequest()
    try:
        period = indicators.parse_period(request.values.get("period"), as_of)
    except ValueError:
        raise BadRequest() from None
    return unit, period, as_of


def _label(period: indicators.Period) -> str:
    return reporting.period_label(period.key, period.start, period.end,
                                  cut="@" in period.key and period.code != "cum")


def common(unit: OrgUnit, period: indicators.Period, as_of: date) -> dict[str, Any]:
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    crumbs = [units[i] for i in ids if i in units and unit_in_scope(current_user, units[i])]
    return {
        "unit": unit, "period": period, "as_of": as_of, "period_label": _label(period),
        "period_options": [(k, _label(indicators.parse_period(k, as_of)))
                           for k in indicators.period_choices(as_of)],
        "breadcrumbs": crumbs, "percent": reporting.percent,
        "args": {"unit": unit.id, "period": period.code,
                 **({"as_of": as_of.isoformat()} if as_of != today() else {})},
    }


def _cells(f: Target6Figures, t: int) -> dict[str, Any]:
    due, in_time = reporting._pair(f.due, f.in_time, t)
    small = reporting._small
    return {"due": due, "in_time": in_time,
            "in_progress": reporting.Cell(f.in_progress, small(f.in_progress, t)),
            "overdue": reporting.Cell(f.overdue, due.hidden or small(f.overdue, t))}


def protect(result: Target6Result, t: int) -> dict[str, Any]:
    """Cells for the page and the workbook, suppressed for threshold ``t``."""
    t = max(t, 1)
    units = [(row, _cells(row.figures, t)) for row in result.units]
    for key in ("due", "in_time", "in_progress", "overdue"):
        for _round in range(3):
            reporting._complement([cells[key] for _row, cells in units])
    for _row, cells in units:
        if cells["due"].hidden:
            cells["in_time"].hidden = cells["overdue"].hidden = True
    return {"t": t, "total": _cells(result.total, t), "units": units,
            "classes": [(k, _cells(v, t)) for k, v in result.by_class.items()],
            "channels": [(k, _cells(v, t)) for k, v in result.by_channel.items()]}


def rate(cells: dict[str, Any]) -> str:
    return reporting.rate_text(cells["due"], cells["in_time"])


def workbook(result: Target6Result, t: int) -> bytes:
    p = protect(result, t)
    t = p["t"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    total = p["total"]
    for values in (
        [_("Target 6 report")],
        [_("Unit"), result.scope.name],
        [_("Period"), _label(result.period),
         f"{reporting.day(result.period.start)} – {reporting.day(result.period.end)}"],
        [_("Due"), total["due"].xlsx(t)],
        [_("Handled in time"), total["in_time"].xlsx(t)],
        [_("Rate"), rate(total)],
        [_("Target"), "100 %"],
        [_("In progress"), total["in_progress"].xlsx(t)],
        [_("Overdue"), total["overdue"].xlsx(t)],
    ):
        spreadsheets.append(ws, values)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 30
    head = [_("Due"), _("Handled in time"), _("Rate"), _("In progress"), _("Overdue")]

    def sheet(title: str, first: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
        sh = wb.create_sheet(title[:31])
        spreadsheets.append(sh, [first, *head])
        for cell in sh[1]:
            cell.font = Font(bold=True)
        for name, cells in rows:
            spreadsheets.append(sh, [name, cells["due"].xlsx(t), cells["in_time"].xlsx(t),
                                     rate(cells), cells["in_progress"].xlsx(t),
                                     cells["overdue"].xlsx(t)])
        sh.column_dimensions["A"].width = 40

    sheet(_("Units"), _("Unit"), [(row.unit.name + (" *" if row.direct else ""), cells)
                                  for row, cells in p["units"]])
    sheet(_("Classes"), _("Classification"), [(str(CLASSES.get(k, _("Not classified yet"))), c)
                                     for k, c in p["classes"]])
    sheet(_("Channels"), _("Received through"),
          [(str(CHANNELS.get(k, k)), c) for k, c in p["channels"]])
    return spreadsheets.save(wb)
