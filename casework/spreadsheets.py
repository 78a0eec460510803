"""The one way Casework writes workbooks and CSV files: text stays text, never a formula.

A value that starts with ``=`` (a cell copied from an uploaded file, a unit or partner name an
administrator typed) would otherwise become a live formula: openpyxl stores any string that
starts with ``=`` as a formula, and Excel runs ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0``
when the workbook opens. So:

- workbooks: every writer sets cells through :func:`put` / :func:`append` and saves through
  :func:`save`, which stores every string as text (marked with Excel's text prefix, so that
  editing the cell keeps it text) and removes characters XML cannot hold; :func:`save`
  checks every cell again before writing, so a cell set another way cannot slip through;
- CSV: every writer uses :func:`csv_writer`, which prefixes a value starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return with an apostrophe (OWASP "CSV injection"),
  and writes ``#`` comment lines in which no separator starts such a cell.

``tests/test_spreadsheets.py`` checks that no module writes a workbook or CSV another way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# In a free-text comment line, a separator followed by a trigger would start a live cell.
_COMMENT_CELL_RE = re.compile(r"([,;])(\s*)(?=[=+\-@])")


def xlsx_value(value: Any) -> Any:
    """``value`` as a workbook may hold it: strings without characters XML cannot carry."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _as_text(cell: Any) -> Any:
    if cell.data_type == "f" and isinstance(cell.value, str):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Set one cell; a string is always stored as text. Returns the cell."""
    return _as_text(ws.cell(row=row, column=column, value=xlsx_value(value)))


def append(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append(values)``, strings stored as text."""
    cleaned = [xlsx_value(v) for v in values]
    ws.append(cleaned)
    for column in range(1, len(cleaned) + 1):
        _as_text(ws.cell(row=ws.max_row, column=column))


def save(wb: Workbook) -> bytes:
    """The workbook's bytes, after turning any formula cell back into text."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                _as_text(cell)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_cell(value: Any) -> Any:
    """A CSV value that a spreadsheet will not run: a leading trigger gets an apostrophe."""
    if isinstance(value, str) and value.startswith(CSV_TRIGGERS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._out = out
        self._writer = csv.writer(out, **kwargs)
        # Python 3.11 quotes a field only for the characters of the line terminator: with
        # "\n" alone, a carriage return inside a value would break the line unquoted.
        self._fold_cr = "\r" not in self._writer.dialect.lineterminator

    def _cell(self, value: Any) -> Any:
        value = csv_cell(value)
        if self._fold_cr and isinstance(value, str) and "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([self._cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def comment(self, text: str) -> None:
        """A ``# text`` line, on one line, no cell of which a spreadsheet would run."""
        text = " ".join(text.replace('"', "'").split())
        self._out.write("# " + _COMMENT_CELL_RE.sub(r"\1\2'", text)
                        + self._writer.dialect.lineterminator)


def csv_writer(out: Any, **kwargs: Any) -> _SafeWriter:
    """``csv.writer(out, **kwargs)`` whose rows pass through :func:`csv_cell`."""
    return _SafeWriter(out, **kwargs)
