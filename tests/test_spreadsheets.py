"""Every workbook and CSV Casework writes stores text as text (issue 18, finding 4)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from casework import spreadsheets

PACKAGE = Path(__file__).resolve().parent.parent / "casework"
HOSTILE = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","Bấm vào")', "+1+2",
           "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist()
                       if n.startswith("xl/worksheets/"))


def test_a_workbook_keeps_formula_like_text_as_text():
    wb = Workbook()
    ws = wb.active
    spreadsheets.append(ws, HOSTILE)
    spreadsheets.put(ws, 2, 1, "=1+1")
    ws["C3"] = "=A1"  # set another way: save() still turns it into text
    data = spreadsheets.save(wb)
    assert "<f>" not in sheet_xml(data)
    again = load_workbook(io.BytesIO(data))
    row = [c.value for c in again.active[1]]
    assert row == [v.replace("\r", "\n") for v in HOSTILE]  # XML reads a lone CR as LF
    assert again.active["A2"].value == "=1+1"
    assert again.active["C3"].value == "=A1"
    assert all(c.data_type == "s" for c in again.active[1])
    assert again.active["A1"].quotePrefix  # editing the cell in Excel keeps it text


def test_characters_xml_cannot_hold_are_dropped_not_fatal():
    wb = Workbook()
    spreadsheets.append(wb.active, ["Lan\x01\x08 Anh", 3, None])
    again = load_workbook(io.BytesIO(spreadsheets.save(wb)))
    assert [c.value for c in again.active[1]][:2] == ["Lan Anh", 3]


def test_csv_values_that_a_spreadsheet_would_run_get_an_apostrophe():
    out = io.StringIO()
    writer = spreadsheets.csv_writer(out, lineterminator="\n")
    writer.writerow([*HOSTILE, "Xã Một", 5, -3, ""])
    written = next(csv.reader(io.StringIO(out.getvalue(), newline="")))
    # A carriage return inside a value becomes a line break, quoted (the terminator is "\n").
    assert written[:len(HOSTILE)] == ["'" + v.replace("\r", "\n") for v in HOSTILE]
    assert written[len(HOSTILE):] == ["Xã Một", "5", "-3", ""]  # numbers stay numbers


def _sources() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.name != "spreadsheets.py"]


@pytest.mark.parametrize("pattern", [
    r"\bcsv\.(writer|DictWriter)\(",  # CSV through spreadsheets.csv_writer
    r"\b(?!spreadsheets\b)\w+\.save\(\s*\w+\s*\)",  # workbooks through spreadsheets.save
    r"\bws\.append\(",  # rows through spreadsheets.append
    r"\.cell\([^)]*value=",  # cells through spreadsheets.put
])
def test_no_module_writes_a_workbook_or_csv_around_the_helper(pattern):
    offenders = [str(p.relative_to(PACKAGE)) for p in _sources()
                 if re.search(pattern, p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_every_workbook_writer_saves_through_the_helper():
    writers = [p for p in _sources() if "Workbook()" in p.read_text(encoding="utf-8")]
    assert writers  # the import template and rejected rows, the supervision report
    for path in writers:
        assert "spreadsheets.save(" in path.read_text(encoding="utf-8"), path


def test_csv_comment_lines_start_no_cell_a_spreadsheet_would_run():
    out = io.StringIO()
    writer = spreadsheets.csv_writer(out, lineterminator="\n")
    writer.comment('Đơn vị: X,=HYPERLINK("http://evil.example"); -2+3,\n@SUM(A1)')
    line = out.getvalue()
    assert line.count("\n") == 1
    assert line.startswith("# Đơn vị: X,'=HYPERLINK('http://evil.example'); '-2+3, '@SUM")
    cells = next(csv.reader(io.StringIO(line, newline="")))
    assert not any(c.lstrip().startswith(spreadsheets.CSV_TRIGGERS) for c in cells[1:])
