"""Reading an uploaded workbook (XLSX) or CSV files into plain rows, refusing what is unsafe.

What is refused outright (a :class:`FileRefused` with a message for the person): a file over
the size cap, an old binary or password-protected workbook, a macro-enabled workbook
(``.xlsm`` or any ``vbaProject.bin``), a corrupted or non-workbook file, a ZIP that expands
too much, a workbook with hidden sheets or with two sheets for the same template sheet, a
CSV file that is not UTF-8 (or the Vietnamese Windows code page), a sheet over the row cap,
and a file whose reading costs more than its budget (``budget.py``: rows and cells met,
blank or not, and time). What is flagged per cell (a :class:`CellProblem`, so the row is
rejected and the report says where): formulas, numbers shortened to scientific notation in
ID and phone columns, dates that cannot be read, and text with control characters (NUL,
escape sequences: :func:`casework.text.hostile_reason`, the request guard's check).

Workbooks are read by ``xlsx.py``, a streaming reader whose work follows what the file holds
(not what it declares); only the template's sheets and columns (and a few more columns) are
read. Values come out through the one text normaliser (``casework/text.py``: NFC, no
invisible or bidi characters, trimmed) without a leading apostrophe; IDs and phones as digit
strings (a leading zero lost by Excel is restored); dates as ``datetime.date`` from date
cells, Excel serial numbers or ``dd/mm/yyyy`` text. Nothing read here is ever logged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from flask_babel import lazy_gettext as _l

from casework import text as normaliser
from casework.crypto.normalize import fold
from casework.services.imports import budget as costs
from casework.services.imports import spec, xlsx
from casework.services.imports.budget import (
    DAMAGED,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    TOO_LARGE_OPENED,
    Budget,
    FileRefused,
)

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_ROWS", "CellProblem", "FileRefused", "Row",
           "SheetData", "Upload", "WorkbookData", "clean_text", "convert", "limits",
           "read_uploads"]
from casework.text import hostile_reason, replace_hostile

MAX_UNZIPPED_BYTES = 300 * 1024 * 1024
MAX_ZIP_RATIO = 200
EXCEL_EPOCH = date(1899, 12, 30)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_SCI_RE = re.compile(r"^\d+(?:[.,]\d+)?[eE]\+?\d+$")


@dataclass
class CellProblem:
    column: str
    message: Any
    severity: str = "error"  # error | warning


@dataclass
class Row:
    number: int  # the row number people see in Excel (or the CSV line)
    values: dict[str, Any]
    problems: list[CellProblem] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # cells as read, for the rejected rows


@dataclass
class SheetData:
    sheet: spec.Sheet
    rows: list[Row] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)


@dataclass
class WorkbookData:
    sheets: dict[str, SheetData] = field(default_factory=dict)

    def rows(self, key: str) -> list[Row]:
        data = self.sheets.get(key)
        return data.rows if data else []

    @property
    def total_rows(self) -> int:
        return sum(len(s.rows) for s in self.sheets.values())


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name (for the type only; never stored or logged) and bytes."""

    filename: str
    data: bytes


def limits() -> tuple[int, int]:
    """(max bytes per upload, max rows per sheet), from CASEWORK_IMPORT_MAX_BYTES/_ROWS."""
    max_bytes, max_rows, _seconds = costs.settings()
    return max_bytes, max_rows


# --- Cell conversion ---------------------------------------------------------------------

def clean_text(value: str) -> str:
    """The stored form (``casework/text.normalize``: NFC, no invisible, bidi or control
    characters, single spaces), without the apostrophe Excel uses to mark text."""
    value = normaliser.normalize(value)
    while value.startswith(("'", "\u2018", "\u2019")):
        value = value[1:].lstrip()
    return value


def _number_text(value: Any) -> str | None:
    """Digits of a number Excel stored as a number (int, float or decimal text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value < 0 or not value.is_integer():  # NaN, negative, fraction
            return None
        return str(int(value))
    return None


def to_digits(value: Any, column: spec.Column) -> tuple[str | None, Any]:
    """An ID or phone as a digit string, or (None, problem message)."""
    if value is None:
        return None, None
    digits = _number_text(value)
    if digits is None:
        text = clean_text(str(value))
        if not text:
            return None, None
        if _SCI_RE.match(text):
            return None, _l("The number was shortened by Excel (scientific notation, e.g. "
                            "1.23E+11): format the column as Text and type it again.")
        if re.fullmatch(r"\d+\.0+", text):
            text = text.split(".")[0]
        if column.kind == spec.PHONE:
            compact = re.sub(r"[\s.\-()]", "", text)
            if compact.startswith("+"):
                compact = compact[1:]
            if not compact.isdigit():
                return None, _l("A phone number may contain only digits (and +84).")
            digits = compact
        else:
            compact = re.sub(r"[\s.\-]", "", text)
            if not compact.isdigit():
                return None, _l("An ID number may contain only digits.")
            digits = compact
    if column.kind == spec.PHONE:
        if digits.startswith("84") and len(digits) == 11:
            digits = "0" + digits[2:]
        elif len(digits) == 9 and not digits.startswith("0"):
            digits = "0" + digits  # Excel dropped the leading zero
        if not (len(digits) == 10 and digits.startswith("0")):
            return None, _l("A mobile number has 10 digits starting with 0.")
    else:
        if len(digits) == 11:
            digits = "0" + digits  # CCCD numbers start with the province code 0xx
        if len(digits) != 12:
            return None, _l("A CCCD number has 12 digits.")
    return digits, None


def to_date(value: Any) -> tuple[date | None, Any]:
    """A date from a date cell, an Excel serial number or dd/mm/yyyy text."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            return value.date(), None
        return value.date(), None
    if isinstance(value, date):
        return value, None
    serial: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        serial = float(value)
    else:
        text = clean_text(str(value))
        if not text:
            return None, None
        match = _DATE_RE.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day), None
            except ValueError:
                return None, _l("This date does not exist (write it as dd/mm/yyyy).")
        match = _ISO_RE.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return date(year, month, day), None
            except ValueError:
                return None, _l("This date does not exist (write it as dd/mm/yyyy).")
        try:
            serial = float(Decimal(text))
        except (InvalidOperation, ValueError):
            return None, _l("Write the date as dd/mm/yyyy.")
    if serial is None or not serial.is_integer() or not 1 <= serial <= 2_958_465:
        return None, _l("Write the date as dd/mm/yyyy.")
    return EXCEL_EPOCH + timedelta(days=int(serial)), None


def to_year(value: Any) -> tuple[int | None, Any]:
    if value is None:
        return None, None
    text = _number_text(value) or clean_text(str(value))
    if not text:
        return None, None
    if not text.isdigit() or len(text) != 4:
        return None, _l("Write the year with four digits.")
    return int(text), None


def convert(column: spec.Column, value: Any) -> tuple[Any, Any]:
    """(converted value or None, problem message or None) for one cell."""
    if isinstance(value, str) and hostile_reason(value):
        return None, _l("The cell contains control characters that cannot be stored. Retype "
                        "the text in the cell.")
    if value is None or (isinstance(value, str) and not clean_text(value)):
        return None, None
    if column.kind in (spec.ID, spec.PHONE):
        return to_digits(value, column)
    if column.kind == spec.DATE:
        return to_date(value)
    if column.kind == spec.YEAR:
        return to_year(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return None, _l("Expected text here, not a date.")
    text = clean_text(str(value))
    if column.kind == spec.CODE and column.codes not in ("unit", "provider"):
        text = text.lower().replace(" ", "_")
    if column.kind in (spec.CODE, spec.REF):
        text = text.upper() if column.codes in ("unit", "provider") else text
    if len(text) > column.max_len:
        return None, _l("At most %(n)s characters.", n=column.max_len)
    return text, None


# --- Headers and sheets --------------------------------------------------------------------

def _fold_header(text: Any) -> str:
    return fold(clean_text(str(text)), loose=True) if text is not None else ""


_SHEET_NAMES = {
    **{_fold_header(s.title): s.key for s in spec.SHEETS},
    **{s.key: s.key for s in spec.SHEETS},
}


def sheet_for_name(name: str) -> spec.Sheet | None:
    key = _SHEET_NAMES.get(_fold_header(name)) or _SHEET_NAMES.get(name.strip().lower())
    return spec.SHEETS_BY_KEY.get(key) if key else None


def _map_headers(sheet: spec.Sheet, headers: list[Any]) -> tuple[dict[int, spec.Column], SheetData]:
    by_name: dict[str, spec.Column] = {}
    for col in sheet.columns:
        by_name[_fold_header(col.header)] = col
        by_name[col.key] = col
    mapping: dict[int, spec.Column] = {}
    data = SheetData(sheet)
    for index, header in enumerate(headers):
        name = _fold_header(header)
        if not name or name == _fold_header(spec.ERRORS_HEADER):
            continue
        found = by_name.get(name) or by_name.get(str(header).strip().lower())
        if found is None:
            data.unknown_headers.append(clean_text(str(header))[:60])
        elif found not in mapping.values():
            mapping[index] = found
    data.missing_columns = [c.header for c in sheet.columns
                            if c.required and c not in mapping.values()]
    return mapping, data


def _read_rows(sheet: spec.Sheet, rows: Any, max_rows: int) -> SheetData:
    """Read (row number, [cells]) pairs; a cell is (value, is_formula)."""
    mapping: dict[int, spec.Column] | None = None
    data = SheetData(sheet)
    count = 0
    for number, cells in rows:
        if mapping is None:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v, _f in cells):
                continue
            mapping, data = _map_headers(sheet, [v for v, _f in cells])
            if data.missing_columns:
                return data
            continue
        if all(v is None or (isinstance(v, str) and not clean_text(v)) for v, _f in cells):
            continue
        count += 1
        if count > max_rows:
            raise costs.too_many_rows(sheet.title, max_rows)
        row = Row(number=number, values={})
        for index, col in mapping.items():
            value, is_formula = cells[index] if index < len(cells) else (None, False)
            # Handed back in the rejected-rows workbook, which cannot hold control characters.
            row.raw[col.key] = replace_hostile(value) if isinstance(value, str) else value
            if is_formula:
                row.problems.append(CellProblem(col.key, _l(
                    "The cell holds a formula. Copy the column and paste values only.")))
                continue
            converted, problem = convert(col, value)
            if problem is not None:
                row.problems.append(CellProblem(col.key, problem))
            row.values[col.key] = converted
        data.rows.append(row)
    if mapping is None:
        data.missing_columns = [c.header for c in sheet.columns if c.required]
    return data


# --- XLSX ----------------------------------------------------------------------------------

MACROS = _l("Macro-enabled workbooks are refused. Save the file as an Excel workbook (.xlsx) "
            "without macros and upload it again.")
NOT_A_WORKBOOK = _l("This file is not an Excel workbook (.xlsx) or a CSV file.")


def _check_zip(upload: Upload) -> zipfile.ZipFile:
    data = upload.data
    suffix = PurePath(upload.filename.lower()).suffix
    if suffix in (".xlsm", ".xltm", ".xlsb", ".xlam"):
        raise FileRefused(MACROS)
    if data.startswith(OLE_MAGIC):
        raise FileRefused(_l("This is an old Excel file (.xls) or a password-protected "
                             "workbook. Remove the password and save it as .xlsx."))
    if not data.startswith(ZIP_MAGIC):
        raise FileRefused(NOT_A_WORKBOOK)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRefused(DAMAGED) from None
    names = {i.filename.lower() for i in infos}
    if any(n.endswith("vbaproject.bin") for n in names):
        raise FileRefused(MACROS)
    if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused(NOT_A_WORKBOOK)
    expanded = sum(i.file_size for i in infos)
    if expanded > MAX_UNZIPPED_BYTES or expanded > MAX_ZIP_RATIO * max(len(data), 1) + 10**6:
        raise FileRefused(TOO_LARGE_OPENED)
    try:
        info = next(i for i in infos if i.filename.lower() == "[content_types].xml")
        if info.file_size > xlsx.MAX_SMALL_PART_BYTES:
            raise FileRefused(TOO_LARGE_OPENED)
        content_types = archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError,
            NotImplementedError):
        raise FileRefused(DAMAGED) from None
    if b"macroEnabled" in content_types:
        raise FileRefused(MACROS)
    return archive


def _template_sheets(book: xlsx.Workbook, lookup: Any = None
                     ) -> list[tuple[spec.Sheet, xlsx.SheetEntry]]:
    """The visible sheets named after the template's; refuses hidden sheets and doubles."""
    if any(not entry.visible for entry in book.sheets):
        raise FileRefused(_l(
            "The workbook has hidden sheets. Hidden sheets are not imported and could hide "
            "rows you did not check: unhide them (right-click a sheet tab, Unhide) and delete "
            "the ones that are not part of the template, or copy the template's sheets into a "
            "new workbook, then upload it again."))
    found: list[tuple[spec.Sheet, xlsx.SheetEntry]] = []
    for entry in book.sheets:
        sheet = (lookup or sheet_for_name)(entry.name)
        if sheet is None or entry.part is None:
            continue
        if any(known is sheet for known, _e in found):
            raise FileRefused(_l(
                "Two sheets of the workbook are for the sheet “%(sheet)s” of the template. "
                "Keep one (copy the rows of the other into it) and upload the file again.",
                sheet=sheet.title))
        found.append((sheet, entry))
    return found


def read_xlsx(upload: Upload, budget: Budget, lookup: Any = None) -> WorkbookData:
    archive = _check_zip(upload)
    result = WorkbookData()
    with archive:
        book = xlsx.open_workbook(archive, budget)
        for sheet, entry in _template_sheets(book, lookup):
            columns = len(sheet.columns)
            refusal = costs.too_many_row_elements(sheet.title, budget.max_rows)
            rows = book.rows(
                entry, columns=budget.columns(columns),
                max_row_elements=budget.row_elements, max_cells=budget.cells(columns),
                too_many_rows=refusal)
            result.sheets[sheet.key] = _read_rows(sheet, rows, budget.max_rows)
    return result


# --- CSV -----------------------------------------------------------------------------------

def _looks_utf16(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith(UTF16_BOMS):
        return True
    # ASCII text in UTF-16 without a byte-order mark: every other byte is zero.
    return len(head) >= 4 and (head[1::2].count(0) > len(head) // 4
                               or head[0::2].count(0) > len(head) // 4)


def _csv_rows(rows: Any, sheet: spec.Sheet, budget: Budget) -> Any:
    """Every record counts (blank or not); only the template's columns and a few more kept."""
    columns = budget.columns(len(sheet.columns))
    for number, cells in enumerate(rows, start=1):
        if number > budget.row_elements:
            raise costs.too_many_row_elements(sheet.title, budget.max_rows)
        if number % 1024 == 0:
            budget.check_time()
        yield number, [((v if v != "" else None), False) for v in cells[:columns]]


def read_csv(upload: Upload, budget: Budget) -> SheetData:
    sheet = sheet_for_name(PurePath(upload.filename).stem)
    if sheet is None:
        raise FileRefused(_l(
            "Name each CSV file after its sheet (for example cases.csv, needs.csv, "
            "referrals.csv, consents.csv, transfers.csv, closures.csv)."))
    if _looks_utf16(upload.data):
        raise FileRefused(_l(
            "This CSV file is saved as Unicode text (UTF-16); Casework reads CSV files saved "
            "as UTF-8. In Excel choose File, Save As, and the type “CSV UTF-8 (Comma "
            "delimited) (*.csv)”; in LibreOffice tick “Edit filter settings” and choose the "
            "character set Unicode (UTF-8). Then upload the new file."))
    if b"\x00" in upload.data[:4096]:
        raise FileRefused(NOT_A_WORKBOOK)
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = upload.data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1258 decodes almost anything
        raise FileRefused(_l("Save the CSV file with UTF-8 encoding."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        reader = csv.reader(io.StringIO(text), dialect)
        return _read_rows(sheet, _csv_rows(reader, sheet, budget), budget.max_rows)
    except csv.Error:
        raise FileRefused(_l("The CSV file cannot be read: check its quotes and separators.")) \
            from None


def read_uploads(uploads: list[Upload]) -> WorkbookData:
    """Read one workbook, or one CSV file per sheet. Raises FileRefused with a clear message."""
    max_bytes, _max_rows = limits()
    budget = Budget.from_settings()
    uploads = [u for u in uploads if u.data]
    if not uploads:
        raise FileRefused(_l("Choose a file to upload."))
    total = sum(len(u.data) for u in uploads)
    if total > max_bytes:
        raise FileRefused(_l("The file is too large (at most %(mb)s MB). Split it into several "
                             "files.", mb=max_bytes // (1024 * 1024)))
    kinds = []
    for u in uploads:
        suffix = PurePath(u.filename.lower()).suffix
        if suffix == ".csv":
            kinds.append("csv")
        elif suffix in (".xlsx", ".xlsm", ".xltm", ".xlsb", ".xlam", ".xls", ""):
            kinds.append("xlsx")
        else:
            raise FileRefused(_l("This file is not an Excel workbook (.xlsx) or a CSV file."))
    if "xlsx" in kinds:
        if len(uploads) > 1:
            raise FileRefused(_l("Upload one workbook, or one CSV file per sheet."))
        book = read_xlsx(uploads[0], budget)
    else:
        book = WorkbookData()
        for u in uploads:
            data = read_csv(u, budget)
            if data.sheet.key in book.sheets:
                raise FileRefused(_l("Two CSV files are for the same sheet."))
            book.sheets[data.sheet.key] = data
    if not book.sheets:
        raise FileRefused(_l("No sheet of the import template was found in the file. Download "
                             "the template and keep its sheet names."))
    return book


def read_other_template(upload: Upload, sheets: tuple[spec.Sheet, ...]) -> WorkbookData:
    """Another template's workbook (the activity import) with the same protections: size,
    macros, zip bombs, hidden or doubled sheets, budget, formulas, control characters."""
    max_bytes, _max_rows = limits()
    if not upload.data:
        raise FileRefused(_l("Choose a file to upload."))
    if len(upload.data) > max_bytes:
        raise FileRefused(_l("The file is too large (at most %(mb)s MB). Split it into several "
                             "files.", mb=max_bytes // (1024 * 1024)))
    names = {**{_fold_header(s.title): s for s in sheets}, **{s.key: s for s in sheets}}

    def lookup(name: str) -> spec.Sheet | None:
        return names.get(_fold_header(name)) or names.get(name.strip().lower())

    book = read_xlsx(upload, Budget.from_settings(), lookup)
    if not book.sheets:
        raise FileRefused(_l("No sheet of the import template was found in the file. Download "
                             "the template and keep its sheet names."))
    return book
