"""What leaves the union: small-count suppression, the XLSX workbook and the SVG trend chart.

Suppression (``CASEWORK_SMALL_COUNT_SUPPRESSION``, default 5): a count from 1 to threshold-1
shows as "<5". A connected count is also hidden when the eligible count beside it is hidden or
when the women *not* connected would be such a small count; a rate shows only when both counts
show. In the unit table, whose rows add up to the total, a column with exactly one hidden cell
hides its next smallest cell too (complementary suppression), so no hidden cell can be
re-derived by subtraction.

The outcome-audit and partner-performance tables leave the union with the report too, so they
get the same protection: each count from 1 to threshold-1 is hidden, each column with exactly
one hidden cell hides its next smallest cell (so a later total or a neighbouring report cannot
re-derive it), and a rate shows only when both its counts show and the difference between them
is not itself a small count.

Periods and numbers are written the Vietnamese way: "6 tháng đầu năm 2021", "Năm 2025",
"Lũy kế từ 01/01/2021 đến 29/11/2026", dates dd/mm/yyyy, decimals with a comma (Flask-Babel).
Unit and partner names are typed by administrators, so every cell is written through
``casework.spreadsheets``: a name such as ``=HYPERLINK(…)`` stays text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from casework import spreadsheets
from casework.domain import CASE_GROUPS, SERVICE_CATEGORIES, label
from casework.indicators import TARGET_RATE

HIDDEN = object()
AUDIT_KEYS = ("confirmed", "imported", "sampled", "verified", "disputed")
PERFORMANCE_KEYS = ("received", "answered", "accepted", "uptake", "overdue")


def _small(n: int | None, t: int) -> bool:
    return n is not None and 0 < n < t


class Cell:
    """A count as shown outside the union: its value, or hidden."""

    def __init__(self, value: int | None, hidden: bool = False) -> None:
        self.value, self.hidden = value, hidden

    def text(self, t: int) -> str:
        if self.hidden:
            return f"<{t}"
        return "" if self.value is None else str(self.value)

    def xlsx(self, t: int) -> Any:
        return f"<{t}" if self.hidden else self.value


def _pair(eligible: int, connected: int, t: int) -> tuple[Cell, Cell]:
    e_hidden = _small(eligible, t)
    c_hidden = e_hidden or _small(connected, t) or _small(eligible - connected, t)
    return Cell(eligible, e_hidden), Cell(connected, c_hidden)


def _complement(column: list[Cell]) -> None:
    """While exactly one cell is hidden, hide the smallest other non-zero cell too."""
    hidden = [c for c in column if c.hidden]
    if len(hidden) != 1:
        return
    others = [c for c in column if not c.hidden and c.value]
    if others:
        min(others, key=lambda c: c.value or 0).hidden = True


def rate_text(e: Cell, c: Cell) -> str:
    if e.hidden or c.hidden or not e.value:
        return "–"
    return percent((c.value or 0) / e.value)


def percent(rate: float | None) -> str:
    """``0.25`` -> "25 %" in the user's locale (no decimals, like the dashboard)."""
    return "–" if rate is None else format_percent(rate, format="#,##0 %")


def decimal(value: float | None) -> str:
    """``4.5`` -> "4,5" in Vietnamese; "–" for nothing."""
    return "–" if value is None else format_decimal(value, format="#,##0.#")


def day(value: date | str | None) -> str:
    """A date (or ISO string from a stored snapshot) as dd/mm/yyyy."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def period_label(code: str, start: date | str, end: date | str, *, cut: bool = False) -> str:
    """The period in words: "6 tháng đầu năm 2021", "Năm 2025", "Lũy kế từ ... đến ..."."""
    code = code.split("@", 1)[0]
    if code == "cum":
        return str(_("Cumulative from %(start)s to %(end)s", start=day(start), end=day(end)))
    if code.endswith("H1"):
        text = str(_("First half of %(year)s", year=code[:4]))
    elif code.endswith("H2"):
        text = str(_("Second half of %(year)s", year=code[:4]))
    else:
        text = str(_("Year %(year)s", year=code))
    if cut:
        text += " " + _("(to %(day)s)", day=day(end))
    return text


def half_year_label(code: str) -> str:
    """A half-year code as words, for tables ("6 tháng đầu năm 2021")."""
    return period_label(code, "", "")


def chart_label(code: str) -> tuple[str, str]:
    """A half-year as two short lines under the chart: ("Th1–6", "2021")."""
    half = _("Jan–Jun") if code.endswith("H1") else _("Jul–Dec")
    return half, code[:4]


def _protect_table(rows: list[dict[str, Any]], keys: tuple[str, ...], t: int) -> list[Any]:
    table = [(row, {k: Cell(row.get(k, 0), _small(row.get(k, 0), t)) for k in keys})
             for row in rows]
    for key in keys:
        for _round in range(3):
            _complement([cells[key] for _row, cells in table])
    return table


def share_text(part: Cell, whole: Cell, t: int) -> str:
    """A rate from two protected counts, hidden when either is or the rest is a small count."""
    if part.hidden or whole.hidden or not whole.value:
        return "–"
    rest = (whole.value or 0) - (part.value or 0)
    if _small(rest, t):
        return "–"
    return percent((part.value or 0) / whole.value)


def protect(data: dict[str, Any], t: int) -> dict[str, Any]:
    """The report's tables as cells, suppressed for threshold ``t`` (t <= 1: nothing hidden)."""
    t = max(t, 1)
    total = _pair(data["total"]["eligible"], data["total"]["connected"], t)
    units = [(row, *_pair(row["eligible"], row["connected"], t)) for row in data["units"]]
    for index in (1, 2):
        for _round in range(3):
            _complement([u[index] for u in units])
    for _row, e, c in units:
        if e.hidden:
            c.hidden = True
    pipeline = [Cell(data["total"][k], _small(data["total"][k], t))
                for k in ("awaiting_answer", "awaiting_uptake")]
    others = {g: _pair(f["eligible"], f["connected"], t) for g, f in data["other_groups"].items()}
    categories = [(row, *_pair(row["eligible"], row["connected"], t))
                  for row in data["categories"]]
    partners = [(row, *_pair(row["eligible"], row["connected"], t)) for row in data["partners"]]
    trend = [(row, *_pair(row["eligible"], row["connected"], t)) for row in data["trend"]]
    audit_rows = _protect_table(data["audit"], AUDIT_KEYS, t)
    performance = _protect_table(data["performance"], PERFORMANCE_KEYS, t)
    median_hidden = data["median_n"] < t
    # Connected by provenance (issue 12; absent from reports signed before it): small counts
    # hidden, and a second one whenever exactly one is (it could be worked out from the total).
    provenance = [(code, Cell(n, _small(n, t))) for code, n in data.get("provenance", {}).items()]
    for _round in range(3):
        _complement([cell for _code, cell in provenance])
    return {"t": t, "total": total, "units": units, "pipeline": pipeline, "others": others,
            "provenance": provenance,
            "categories": categories, "partners": partners, "trend": trend,
            "audit": audit_rows, "performance": performance,
            "median": None if median_hidden or data["median_days"] is None
            else data["median_days"], "median_hidden": median_hidden and data["median_n"] > 0}


# --- XLSX --------------------------------------------------------------------------------------

class XRate(float):
    """A rate for a workbook cell: stored as a number with a percent format."""


class XDecimal(float):
    """Days with one decimal for a workbook cell: stored as a number."""


HIDDEN_FILL = PatternFill("solid", start_color="D9D9D9", end_color="D9D9D9")


def _x_rate(e: Cell, c: Cell) -> Any:
    if e.hidden or c.hidden or not e.value:
        return "–"
    return XRate((c.value or 0) / e.value)


def _x_share(part: Cell, whole: Cell, t: int) -> Any:
    text = share_text(part, whole, t)
    return "–" if text == "–" else XRate((part.value or 0) / (whole.value or 1))


def _x_decimal(value: float | None) -> Any:
    return "–" if value is None else XDecimal(value)


def _format_numbers(wb: Workbook, t: int) -> None:
    """Numbers as numbers with formats Excel shows the Vietnamese way; hidden cells on grey."""
    hidden = f"<{t}"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, XRate):
                    cell.value, cell.number_format = float(value), "0%"
                elif isinstance(value, XDecimal):
                    cell.value, cell.number_format = float(value), "#,##0.0"
                elif isinstance(value, int) and not isinstance(value, bool):
                    cell.number_format = "#,##0"
                elif value == hidden:
                    cell.fill = HIDDEN_FILL
                    cell.alignment = Alignment(horizontal="right")

def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title[:31])
    spreadsheets.append(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        spreadsheets.append(ws, row)
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)


def workbook(data: dict[str, Any], t: int, *, signed: dict[str, Any] | None = None) -> bytes:
    """The report as an XLSX workbook (aggregates only, suppressed, Vietnamese labels)."""
    p = protect(data, t)
    period = data["period"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]

    def add(values: list[Any]) -> None:
        spreadsheets.append(ws, values)

    e, c = p["total"]
    add([_("Target 5 report")])
    ws["A1"].font = Font(bold=True, size=14)
    add([_("Unit"), data["unit"]["name"]])
    add([_("Period"), period_label(period["key"], period["start"], period["end"],
                                   cut="@" in period["key"]),
         f"{day(period['start'])} – {day(period['end'])}"])
    add([_("Eligible women"), e.xlsx(p["t"])])
    add([_("Connected to services"), c.xlsx(p["t"])])
    add([_("Rate"), _x_rate(e, c)])
    add([_("Target"), XRate(TARGET_RATE)])
    add([_("Referred, awaiting an answer"), p["pipeline"][0].xlsx(p["t"])])
    add([_("Accepted, awaiting uptake"), p["pipeline"][1].xlsx(p["t"])])
    add([_("Median days from need to uptake"),
         "" if p["median"] is None else _x_decimal(p["median"])])
    if signed is not None:
        add([_("Signed off"), signed["signed_at"], signed["signed_by"]])
    add([])
    add([_("Cells marked <%(t)s on grey: fewer than %(t)s women, hidden so that no woman can "
           "be recognised.", t=p["t"])])
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 30
    t_ = p["t"]
    head = [_("Eligible women"), _("Connected to services"), _("Rate")]
    _sheet(wb, _("Units"), [_("Unit"), *head],
           [[row["name"] + (" *" if row["direct"] else ""), ue.xlsx(t_), uc.xlsx(t_),
             _x_rate(ue, uc)] for row, ue, uc in p["units"]])
    _sheet(wb, _("Service categories"), [_("Service category"), *head],
           [[str(label(SERVICE_CATEGORIES, row["key"])), ce.xlsx(t_), cc.xlsx(t_),
             _x_rate(ce, cc)] for row, ce, cc in p["categories"]])
    _sheet(wb, _("Partners"), [_("Partner"), _("Women referred"), _("Connected"), _("Rate")],
           [[row["name"], pe.xlsx(t_), pc.xlsx(t_), _x_rate(pe, pc)]
            for row, pe, pc in p["partners"]])
    _sheet(wb, _("Other groups"), [_("Group"), *head],
           [[str(label(CASE_GROUPS, g)), ge.xlsx(t_), gc.xlsx(t_), _x_rate(ge, gc)]
            for g, (ge, gc) in p["others"].items()])
    _sheet(wb, _("Trend"), [_("Half-year"), *head],
           [[half_year_label(row["key"]), te.xlsx(t_), tc.xlsx(t_), _x_rate(te, tc)]
            for row, te, tc in p["trend"]])
    _sheet(wb, _("Outcome audit"),
           [_("Partner"), _("Confirmed by partner in Casework"),
            _("Recorded from paper (imported)"), _("Sampled"), _("Verified by supervisor"),
            _("Disputed")],
           [[row["name"], *(cells[k].xlsx(t_) for k in AUDIT_KEYS)]
            for row, cells in p["audit"]])
    _sheet(wb, _("Partner performance"),
           [_("Partner"), _("Referrals received"), _("Acceptance rate"), _("Uptake rate"),
            _("Days to answer (half answered faster)"), _("Overdue")],
           [[row["name"], cells["received"].xlsx(t_),
             _x_share(cells["accepted"], cells["answered"], t_),
             _x_share(cells["uptake"], cells["accepted"], t_),
             _x_decimal(row.get("response_days")), cells["overdue"].xlsx(t_)]
            for row, cells in p["performance"]])
    _format_numbers(wb, t_)
    return spreadsheets.save(wb)


# --- SVG chart ---------------------------------------------------------------------------------

def trend_svg(points: list[tuple[str, float | None]], *, title: str, width: int = 640,
              height: int = 260) -> Markup:
    """A line chart of the rate per half-year with the 80 % target line (no script)."""
    left, right, top, bottom = 44, 12, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-title" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        f'stroke="#999999"/>',
    ]
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="#e2e2e2"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
                     f'text-anchor="end" fill="#333333">{tick * 100:.0f}%</text>')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(TARGET_RATE):.1f}" '
                 f'y2="{y(TARGET_RATE):.1f}" stroke="#a4161a" stroke-width="2" '
                 f'stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{left + plot_w - 4}" y="{y(TARGET_RATE) - 5:.1f}" font-size="11" '
                 f'text-anchor="end" fill="#a4161a">{escape(_("Target"))} 80%</text>')
    path = [f"{x(i):.1f},{y(rate):.1f}" for i, (_k, rate) in enumerate(points)
            if rate is not None]
    if len(path) > 1:
        parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#8a1f5c" '
                     f'stroke-width="2.5"/>')
    for i, (key, rate) in enumerate(points):
        line1, line2 = chart_label(key)
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 14}" font-size="10" '
                     f'text-anchor="middle" fill="#333333">{escape(line1)}'
                     f'<tspan x="{x(i):.1f}" dy="12">{escape(line2)}</tspan></text>')
        if rate is not None:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(rate):.1f}" r="4" '
                         f'fill="{"#a4161a" if rate < TARGET_RATE else "#1e6b3a"}">'
                         f'<title>{escape(half_year_label(key))}: {escape(percent(rate))}'
                         f'</title></circle>')
    if not any(rate is not None for _k, rate in points):
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                     f'font-size="13" text-anchor="middle" fill="#333333">'
                     f'{escape(_("No half-year has enough women to show a rate."))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
