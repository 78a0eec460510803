"""Import of past periods' activity from the workbook template: dry run, then all or nothing.

The file is read by the case import's reader (``casework.services.imports.reader``: the same
size, macro, zip-bomb, hidden-sheet, budget, formula and control-character protections); each
row is checked by the same rules as the forms (``records.check_record`` / ``save_counts``) and
gets its problems in Vietnamese with its row number. Nothing is written unless every row is
right. The importer (a supervisor) imports for units of her subtree; the half-years imported
for units below her, not yet submitted, are marked approved by her ("from the paper records"),
since she is the level above that accepted those figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from casework import audit, spreadsheets
from casework.activity import records
from casework.activity.targets import half_key
from casework.authz import may_review_unit, unit_in_scope
from casework.crypto.normalize import fold
from casework.db import utcnow
from casework.extensions import db
from casework.models.activity import ActivitySubmission
from casework.models.org import OrgUnit
from casework.models.user import User
from casework.services.errors import DomainError
from casework.services.imports import spec
from casework.services.imports.budget import FileRefused
from casework.services.imports.reader import Upload, read_other_template

SHEET = spec.Sheet("hoat_dong", "Hoạt động", (
    spec.Column("unit", "Mã đơn vị", spec.TEXT, required=True, max_len=40),
    spec.Column("kind", "Loại", spec.TEXT, required=True, max_len=40),
    spec.Column("day", "Ngày", spec.DATE, required=True),
    spec.Column("form", "Hình thức", spec.TEXT, max_len=40),
    spec.Column("officers", "Cán bộ", spec.TEXT, max_len=12),
    spec.Column("members", "Hội viên, phụ nữ", spec.TEXT, max_len=12),
    spec.Column("concerned", "Cán bộ liên quan", spec.TEXT, max_len=12),
    spec.Column("partners", "Cơ quan phối hợp", spec.TEXT, max_len=300),
    spec.Column("title", "Tên, chủ đề", spec.TEXT, max_len=200),
    spec.Column("ended_on", "Ngày kết thúc", spec.DATE),
    spec.Column("link", "Đường dẫn", spec.TEXT, max_len=500),
))
KINDS = {"ke_hoach": "plan", "tuyen_truyen": "communication", "chuong_trinh": "programme",
         "tap_huan": "training", "bai_dang": "post", "so_lieu_nam": "counts"}
FORMS = {"hop": "meeting", "loa": "loudspeaker", "tieu_pham": "drama",
         "mang_xa_hoi": "social_media", "to_roi": "leaflet", "hoi_thi": "contest",
         "khac": "other", "website": "website", "fanpage": "fanpage"}
EXAMPLES = (
    ("ND-HH-THINHLONG", "tuyen_truyen", "15/03/2024", "hop", 8, 250, "", "Công an xã",
     "Phòng ngừa mại dâm", "", ""),
    ("ND-HH-THINHLONG", "bai_dang", "02/04/2024", "fanpage", "", "", "", "", "", "",
     "https://www.facebook.com/hoilhpn/posts/1"),
    ("ND-HH-THINHLONG", "so_lieu_nam", "01/01/2024", "", 10, 1800, 2, "", "", "", ""),
)


@dataclass
class RowResult:
    number: int
    unit: OrgUnit | None = None
    kind: str = ""
    data: records.RecordInput | None = None
    counts: tuple[int, int, int] | None = None
    year: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Plan:
    rows: list[RowResult]
    refused: str = ""

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return not self.refused and bool(self.rows) and not self.errors


def template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET.title
    for col, column in enumerate(SHEET.columns, start=1):
        spreadsheets.put(ws, 1, col, column.header).font = Font(bold=True)
        ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = 18
    for row, values in enumerate(EXAMPLES, start=2):
        for col, value in enumerate(values, start=1):
            spreadsheets.put(ws, row, col, value)
    guide = wb.create_sheet("Hướng dẫn")
    lines = [
        "Mỗi dòng một hoạt động. Ngày ghi dd/mm/yyyy.",
        "Loại: " + ", ".join(KINDS) + ".",
        "so_lieu_nam: số liệu năm của ngày ghi: Cán bộ, Cán bộ liên quan, Hội viên, phụ nữ.",
        "Hình thức (tuyen_truyen): " + ", ".join(k for k in FORMS if "web" not in k
                                                 and "fan" not in k) + ".",
        "Hình thức (bai_dang): website, fanpage.",
        "Không ghi họ tên, số điện thoại hay thông tin cá nhân.",
    ]
    for row, line in enumerate(lines, start=1):
        spreadsheets.put(guide, row, 1, line)
    return spreadsheets.save(wb)


def _number(value: Any, label: str, errors: list[str]) -> int:
    text = "" if value is None else str(value).strip().replace(".", "")
    if not text:
        return 0
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        errors.append(str(_l("%(column)s: enter a whole number from 0 to 1,000,000.",
                             column=label)))
        return 0
    return int(text)


def _code(value: Any) -> str:
    return fold(str(value or ""), loose=True).replace(" ", "_")


def plan(upload: Upload, actor: User, today: date) -> Plan:
    """Read and check every row; writes nothing."""
    try:
        book = read_other_template(upload, (SHEET,))
    except FileRefused as refused:
        return Plan([], str(refused.message))
    data = book.sheets.get(SHEET.key)
    if data is None or data.missing_columns:
        missing = ", ".join(data.missing_columns) if data else SHEET.title
        return Plan([], str(_l("Columns missing: %(names)s. Download the template.",
                               names=missing)))
    units = {u.code.upper(): u for u in db.session.scalars(select(OrgUnit))}
    results = []
    for row in data.rows:
        result = RowResult(row.number)
        result.errors += [f"{SHEET.column(p.column).header}: {p.message}" for p in row.problems]
        v = row.values
        unit = units.get(str(v.get("unit") or "").strip().upper())
        if unit is None or not unit_in_scope(actor, unit):
            result.errors.append(str(_l("Mã đơn vị: no unit with this code in your area.")))
        kind = KINDS.get(_code(v.get("kind")), "")
        if not kind:
            result.errors.append(str(_l("Loại: use one of the codes in the guide sheet.")))
        numbers = [_number(v.get(k), SHEET.column(k).header, result.errors)
                   for k in ("officers", "members", "concerned")]
        result.unit, result.kind = unit, kind
        if result.errors or v.get("day") is None:
            if v.get("day") is None and not any("Ngày" in e for e in result.errors):
                result.errors.append(str(_l("Ngày: enter the date (dd/mm/yyyy).")))
            results.append(result)
            continue
        assert unit is not None  # noqa: S101 - checked above
        try:
            if kind == "counts":
                result.counts, result.year = (numbers[0], numbers[2], numbers[1]), v["day"].year
                if not 2021 <= result.year <= today.year:
                    raise DomainError(_l("Choose a year from 2021 to this year."))
                if numbers[2] > numbers[0]:
                    raise DomainError(_l("Concerned officers are union officers too: there "
                                         "cannot be more of them than officers."))
            else:
                result.data = records.RecordInput(
                    held_on=v["day"], ended_on=v.get("ended_on"), title=v.get("title") or "",
                    form=FORMS.get(_code(v.get("form"))), officers=numbers[0],
                    members=numbers[1], partners=v.get("partners") or "",
                    link=v.get("link") or "")
                records.check_record(unit, kind, result.data, today)
        except DomainError as error:
            result.errors.append(str(error.message))
        results.append(result)
    return Plan(results)


def apply(checked: Plan, actor: User, today: date) -> int:
    """Write every row of a plan without errors (the view commits once); returns the count."""
    if not checked.ok:
        raise DomainError(_l("Correct the rows listed, then import the file again."), "file")
    touched: set[tuple[int, str]] = set()
    for row in checked.rows:
        assert row.unit is not None  # noqa: S101 - a plan without errors has its unit
        if row.counts is not None:
            records.save_counts(row.unit, row.year, *row.counts, today, actor=actor)
        elif row.data is not None:
            records.save_record(row.unit, row.kind, row.data, today, actor=actor,
                                source="import")
            touched.add((row.unit.id, half_key(row.data.held_on)))
    for unit_id, key in sorted(touched):
        unit = db.session.get(OrgUnit, unit_id)
        if unit is None or not may_review_unit(actor, unit) or records.submission(unit, key):
            continue
        if key >= half_key(today):
            continue  # the running half-year goes through the usual submission
        db.session.flush()
        db.session.add(ActivitySubmission(
            org_unit_id=unit.id, period_key=key, status="approved",
            snapshot=json.dumps(records.own_snapshot(unit, key, today), sort_keys=True),
            submitted_by_id=actor.id, reviewed_by_id=actor.id,
            reviewed_at=utcnow(), comment="Nhập từ sổ sách (số liệu đã được cấp trên xác nhận)"))
    db.session.flush()
    audit.record("activity.imported", target_type="org_unit", target_id=actor.org_unit_id,
                 actor=actor, details={"rows": len(checked.rows)})
    return len(checked.rows)
