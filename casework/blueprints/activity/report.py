"""The all-targets report: the printable page and the XLSX workbook, for any unit and period."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from casework import audit, indicators
from casework.activity import records, targets, workbook
from casework.authz import Permission, indicator_scope_or_404, requires
from casework.blueprints.activity.views import STATUS_LABELS, BadPeriod, bp
from casework.blueprints.supervision import reporting
from casework.blueprints.work import unit_of_work
from casework.models.org import OrgUnit
from casework.services.effective_dates import today
from casework.text import ascii_digits


def _scope() -> tuple[OrgUnit, indicators.Period, date]:
    raw = (request.values.get("unit") or "").strip()
    if raw and (not ascii_digits(raw) or len(raw) > 9):
        raise BadPeriod(_("The unit in the address is not valid."))
    unit = indicator_scope_or_404(current_user, int(raw) if raw else None)
    as_of = today()
    raw_day = (request.values.get("as_of") or "").strip()
    if raw_day:
        try:
            as_of = date.fromisoformat(raw_day[:10])
        except ValueError:
            raise BadPeriod(_("Enter the date as dd/mm/yyyy.")) from None
        if as_of > today() or as_of < indicators.PLAN_START:
            raise BadPeriod(_("Choose a date between 01/01/2021 and today."))
    try:
        period = indicators.parse_period((request.values.get("period") or "")[:10], as_of)
    except ValueError:
        raise BadPeriod(_("This period does not exist or has not started yet.")) from None
    return unit, period, as_of


def period_text(period: indicators.Period) -> str:
    return reporting.period_label(period.key, period.start, period.end,
                                  cut="@" in period.key and period.code != "cum")


def _status_summary(unit: OrgUnit, period: indicators.Period) -> tuple[str, dict[Any, int]]:
    """How many units below have each status, over the period's half-years."""
    tally: dict[Any, int] = {}
    halves = sorted({targets.half_key(date(y, 3 * q, 1)) for y, q in targets.quarters(period)})
    if len(halves) > 2:  # cumulative: the submissions are per half-year; say nothing here
        return "", tally
    below = [f.unit for f in targets.unit_facts(unit, period).values() if f.unit.id != unit.id]
    for key in halves:
        found = records.statuses(unit, key)
        for u in below:
            status = found[u.id].status if u.id in found else None
            tally[status] = tally.get(status, 0) + 1
    text = "; ".join(f"{STATUS_LABELS[s]}: {n}" for s, n in sorted(
        tally.items(), key=lambda kv: str(kv[0])))
    return text, tally


def _figures() -> tuple[OrgUnit, indicators.Period, date, list[workbook.ShownTarget], int]:
    unit, period, as_of = _scope()
    t = int(current_app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"])
    shown = workbook.shown(targets.all_targets(unit, period), t)
    return unit, period, as_of, shown, max(t, 1)


@bp.get("/report")
@requires(Permission.VIEW_INDICATORS)
def report():  # type: ignore[no-untyped-def]
    unit, period, as_of, shown, t = _figures()
    statuses, tally = _status_summary(unit, period)
    with unit_of_work():
        audit.record("report.viewed", target_type="org_unit", target_id=unit.id,
                     details={"period": period.key, "format": "html", "report": "plan"})
    children = [r.unit for r in shown[0].target.rows if not r.own] if shown else []
    return render_template(
        "activity/report.html", unit=unit, period=period, as_of=as_of, shown=shown, t=t,
        period_label=period_text(period), statuses=statuses, tally=tally, children=children,
        period_options=[(k, period_text(indicators.parse_period(k, as_of)))
                        for k in indicators.period_choices(as_of)],
        args={"unit": unit.id, "period": period.code,
              **({"as_of": as_of.isoformat()} if as_of != today() else {})},
        percent=reporting.percent, met_text=workbook.met_text, status_label=STATUS_LABELS)


@bp.get("/report.xlsx")
@requires(Permission.VIEW_INDICATORS)
def report_xlsx():  # type: ignore[no-untyped-def]
    unit, period, _as_of, shown, t = _figures()
    statuses, _tally = _status_summary(unit, period)
    content = workbook.workbook(unit.name, period_text(period), shown, t, statuses)
    with unit_of_work():
        audit.record("report.exported", target_type="org_unit", target_id=unit.id,
                     details={"period": period.key, "format": "xlsx", "report": "plan"})
    filename = f"bao-cao-ke-hoach-phong-chong-mai-dam-{unit.code}-{period.code}.xlsx"
    return Response(content, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
