"""What reading one upload may cost, counted in what the file really contains.

Byte limits alone do not bound the work: a 2 KB workbook can declare a million rows and a
2 MB one can hold fifty million empty ones. So the reader counts every row and cell it meets
(blank or not, in the XML or the CSV), reads only the template's columns and a few more, and
stops when a sheet has more row elements than ``2 × max rows + 1,000``, more cells than those
rows times the columns read, when the cells kept hold more than ``MAX_TEXT_CHARS`` characters
in all, or when the file has taken ``CASEWORK_IMPORT_READ_SECONDS`` (default 30). Each stop
is a :class:`FileRefused` whose message says what to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
DEFAULT_READ_SECONDS = 30
EXTRA_COLUMNS = 16  # columns read beyond the template's (a numbering column, notes...)
ROW_SLACK = 1_000  # row elements allowed beyond twice the row cap (headers, styled blanks)
MAX_CELL_CHARS = 32_767  # Excel's own limit; longer text is cut (and then refused by length)
# Characters of all the cells kept from one workbook. Counted per cell, so that one long shared
# string referenced by every cell cannot multiply into gigabytes.
MAX_TEXT_CHARS = 64 * 1024 * 1024


class FileRefused(Exception):
    """The whole upload is refused; ``message`` (lazy, translatable) says why and what to do."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


DAMAGED = _l("The workbook is damaged and cannot be read. Open it in Excel, save it again as "
             ".xlsx and upload the new file.")
TOO_LARGE_OPENED = _l("The workbook is too large once opened. Split it into several files.")
TOO_SLOW = _l("The file takes too long to read: it holds far more than records (for example "
              "formatting applied down to the last row of the sheet). Copy only the rows and "
              "columns with data into the template and upload that file.")
TOO_COMPLEX = _l("The workbook holds too much besides the records (formatting, merged cells, "
                 "links). Copy only the rows and columns with data into the template and "
                 "upload that file.")


def too_many_rows(title: str, n: int) -> FileRefused:
    return FileRefused(_l(
        "The sheet “%(sheet)s” has more than %(n)s rows. Split it into several files.",
        sheet=title, n=n))


def too_many_row_elements(title: str, n: int) -> FileRefused:
    return FileRefused(_l(
        "The sheet “%(sheet)s” has more than %(n)s rows, counting empty rows that carry "
        "formatting. Delete the empty rows below your data (select them, right-click, Delete), "
        "or split the file.", sheet=title, n=n))


def settings() -> tuple[int, int, float]:
    """(max bytes per upload, max rows per sheet, seconds to read one upload)."""
    if has_app_context():
        cfg = current_app.config
        return (int(cfg.get("CASEWORK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
                int(cfg.get("CASEWORK_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)),
                float(cfg.get("CASEWORK_IMPORT_READ_SECONDS", DEFAULT_READ_SECONDS)))
    return DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, float(DEFAULT_READ_SECONDS)


@dataclass
class Budget:
    """The limits of reading one upload (all its sheets or CSV files), and the clock."""

    max_rows: int  # rows with data per sheet (the documented cap)
    seconds: float  # for the whole upload
    started: float = field(default_factory=time.monotonic)
    text_left: int = MAX_TEXT_CHARS

    @classmethod
    def from_settings(cls) -> Budget:
        _bytes, rows, seconds = settings()
        return cls(max_rows=rows, seconds=seconds)

    @property
    def row_elements(self) -> int:
        """Rows met per sheet, blank or not."""
        return 2 * self.max_rows + ROW_SLACK

    @staticmethod
    def columns(template_columns: int) -> int:
        """Columns read per row: the template's and ``EXTRA_COLUMNS`` more."""
        return template_columns + EXTRA_COLUMNS

    def cells(self, template_columns: int) -> int:
        """Cells met per sheet, in any column, empty or not."""
        return self.row_elements * self.columns(template_columns)

    def spend_text(self, chars: int) -> None:
        self.text_left -= chars
        if self.text_left < 0:
            raise FileRefused(TOO_LARGE_OPENED)

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise FileRefused(TOO_SLOW)
