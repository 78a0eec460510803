"""The import template: an XLSX with Vietnamese headers, allowed codes and a filled example.

Sheets: a short guide, one sheet per kind of record (``spec.SHEETS``) with its header in row 1
(a comment on each header explains it) and the example row(s) from row 2, and
"Mã hợp lệ" listing every code with its meaning, including the units in the uploader's scope
and the active service partners. ID and phone columns are formatted as text so Excel keeps
leading zeros; date columns as dd/mm/yyyy. The same builder writes the rejected-rows workbook,
whose cells are the uploaded values: every cell goes through ``casework.spreadsheets``, so a
value such as ``=HYPERLINK(…)`` comes back as text, never as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from casework import spreadsheets
from casework.services.imports import spec

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="9C0006")
HEADER_FONT = Font(bold=True)
DATE_FORMAT = "DD/MM/YYYY"

GUIDE = [
    "Mẫu nhập hồ sơ cũ (giấy và Excel, từ năm 2021) vào Casework.",
    "Mỗi trang là một loại thông tin; giữ nguyên tên trang và dòng tiêu đề (dòng 1).",
    "Cột tiêu đề màu đỏ là bắt buộc. Ngày viết dạng dd/mm/yyyy (ví dụ 15/03/2021).",
    "Cột số CCCD và số điện thoại đã định dạng là Văn bản để giữ số 0 ở đầu.",
    "Không dùng công thức: dán giá trị (Paste Values).",
    "Mã hồ sơ gốc nối các trang với nhau; mỗi hồ sơ chỉ một mã, không trùng trong đơn vị.",
    "Dòng ví dụ (HS-001...) có thể nhập thử; hãy xóa trước khi nhập thật.",
    "Các mã hợp lệ (nhóm, loại dịch vụ, đơn vị, đối tác...) ở trang \"Mã hợp lệ\".",
    "Tải lên để kiểm tra trước (không ghi gì); chỉ nhập khi báo cáo kiểm tra đã sạch lỗi.",
    "Tệp có thông tin cá nhân nhạy cảm: giữ kín, xóa sau khi nhập.",
]


def _label(value: Any) -> str:
    with force_locale("vi"):
        return str(value)


def _write_headers(ws: Any, sheet: spec.Sheet, extra: Sequence[str] = ()) -> None:
    for index, col in enumerate(sheet.columns, start=1):
        cell = spreadsheets.put(ws, 1, index, col.header)
        cell.font = REQUIRED_FONT if col.required else HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        note = col.note or (f"Mã: xem trang {spec.CODES_SHEET_TITLE}" if col.codes else "")
        if col.required:
            note = ("Bắt buộc. " + note).strip()
        if note:
            cell.comment = Comment(note, "Casework")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(14, min(40, len(col.header) + 6))
        if col.kind in (spec.ID, spec.PHONE, spec.REF):
            ws.column_dimensions[letter].number_format = "@"
    for offset, header in enumerate(extra, start=len(sheet.columns) + 1):
        cell = spreadsheets.put(ws, 1, offset, header)
        cell.font = REQUIRED_FONT
        ws.column_dimensions[get_column_letter(offset)].width = 60
    ws.freeze_panes = "A2"


def _write_row(ws: Any, sheet: spec.Sheet, row: int, values: dict[str, Any] | Sequence[Any],
               extra: Sequence[str] = ()) -> None:
    for index, col in enumerate(sheet.columns, start=1):
        value = values.get(col.key) if isinstance(values, dict) else (
            values[index - 1] if index - 1 < len(values) else None)
        if col.kind in (spec.ID, spec.PHONE, spec.REF) and value is not None:
            value = str(value)
        cell = spreadsheets.put(ws, row, index, value)
        if col.kind in (spec.ID, spec.PHONE, spec.REF):
            cell.number_format = "@"
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
    for offset, text in enumerate(extra, start=len(sheet.columns) + 1):
        spreadsheets.put(ws, row, offset, text).alignment = Alignment(wrap_text=True)


def _parse_example(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10 and value[2] == "/" and value[5] == "/":
        day, month, year = value.split("/")
        return date(int(year), int(month), int(day))
    return value


def examples(
    unit_codes: Sequence[str], provider_codes: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The example row of each sheet, filled with a real unit and partner where there are any."""
    unit = unit_codes[0] if unit_codes else "MA-DON-VI"
    provider = provider_codes[0] if provider_codes else "MA-DOI-TAC"
    filled: dict[str, list[dict[str, Any]]] = {}
    for sheet in spec.SHEETS:
        row = {k: _parse_example(v.format(unit=unit, provider=provider) if isinstance(v, str)
                                 else v) for k, v in sheet.example.items()}
        filled[sheet.key] = [row] if row else []
    if len(unit_codes) > 1:
        filled["transfers"] = [{"case_ref": "HS-001", "to_unit": unit_codes[1],
                                "transferred_on": date(2021, 6, 1)}]
    filled["closures"] = [{"case_ref": "HS-001", "closed_on": date(2021, 12, 15),
                           "reason": "reintegrated"}]
    return filled


def code_rows(units: Iterable[tuple[str, str]], providers: Iterable[tuple[str, str]]
              ) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name, codes in spec.CODE_LISTS.items():
        rows.extend((spec.CODE_LIST_TITLES[name], code, _label(label))
                    for code, label in codes.items())
    rows.extend((spec.CODE_LIST_TITLES["unit"], code, name) for code, name in units)
    rows.extend((spec.CODE_LIST_TITLES["provider"], code, name) for code, name in providers)
    return rows


def build_template(units: Sequence[tuple[str, str]], providers: Sequence[tuple[str, str]]
                   ) -> bytes:
    """The blank template with one example row per sheet; ``units``/``providers``: (code, name)."""
    wb = Workbook()
    guide = wb.active
    guide.title = spec.GUIDE_SHEET_TITLE
    guide.column_dimensions["A"].width = 110
    for n, line in enumerate(GUIDE, start=1):
        spreadsheets.put(guide, n, 1, line)
    guide.cell(row=1, column=1).font = HEADER_FONT
    filled = examples([c for c, _n in units], [c for c, _n in providers])
    for sheet in spec.SHEETS:
        ws = wb.create_sheet(sheet.title)
        _write_headers(ws, sheet)
        for n, values in enumerate(filled[sheet.key], start=2):
            _write_row(ws, sheet, n, values)
    codes = wb.create_sheet(spec.CODES_SHEET_TITLE)
    for index, title in enumerate(("Danh mục", "Mã", "Ý nghĩa"), start=1):
        cell = spreadsheets.put(codes, 1, index, title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for n, row in enumerate(code_rows(units, providers), start=2):
        for index, value in enumerate(row, start=1):
            spreadsheets.put(codes, n, index, value)
    codes.column_dimensions["A"].width = 32
    codes.column_dimensions["B"].width = 26
    codes.column_dimensions["C"].width = 60
    return spreadsheets.save(wb)


def build_rejected(rejected: dict[str, list[tuple[dict[str, Any], list[str]]]]) -> bytes:
    """A workbook of the rejected rows (cells as uploaded) with a column of what to fix."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in spec.SHEETS:
        rows = rejected.get(sheet.key)
        if not rows:
            continue
        ws = wb.create_sheet(sheet.title)
        _write_headers(ws, sheet, extra=(spec.ERRORS_HEADER,))
        for n, (cells, messages) in enumerate(rows, start=2):
            _write_row(ws, sheet, n, cells, extra=("; ".join(messages),))
    if not wb.worksheets:
        wb.create_sheet(spec.GUIDE_SHEET_TITLE)
    return spreadsheets.save(wb)
