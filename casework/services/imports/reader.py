"""Reading an uploaded workbook (XLSX) or CSV files into plain rows, refusing what is unsafe.

What is refused outright (a :class:`FileRefused` with a message for the person): a file over
the size cap, an old binary or password-protected workbook, a macro-enabled workbook
(``.xlsm`` or any ``vbaProject.bin``), a corrupted or non-workbook file, a ZIP that expands
too much, and a sheet over the row cap. What is flagged per cell (a :class:`CellProblem`, so
the row is rejected and the report says where): formulas, numbers shortened to scientific
notation in ID and phone columns, dates that cannot be read, and text with control characters
(NUL, escape sequences: :func:`casework.text.hostile_reason`, the request guard's check).

Values come out NFC-normalised, trimmed, without zero-width characters or a leading
apostrophe; IDs and phones as digit strings (a leading zero lost by Excel is restored); dates
as ``datetime.date`` from date cells, Excel serial numbers or ``dd/mm/yyyy`` text. Nothing
read here is ever logged.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from casework.crypto.normalize import fold
from casework.services.imports import spec
from casework.text import hostile_reason, replace_hostile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024
MAX_ZIP_RATIO = 200
EXCEL_EPOCH = date(1899, 12, 30)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")
_DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_SCI_RE = re.compile(r"^\d+(?:[.,]\d+)?[eE]\+?\d+$")


class FileRefused(Exception):
    """The whole upload is refused; ``message`` (lazy, translatable) says why and what to do."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


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
    if has_app_context():
        cfg = current_app.config
        return (int(cfg.get("CASEWORK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
                int(cfg.get("CASEWORK_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)))
    return DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS


# --- Cell conversion ---------------------------------------------------------------------

def clean_text(value: str) -> str:
    """NFC, no zero-width or control characters, single spaces, no leading apostrophe."""
    value = unicodedata.normalize("NFC", value).translate(_INVISIBLE)
    value = " ".join(_CONTROL_RE.sub(" ", value).split())
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
    by_name = {}
    for col in sheet.columns:
        by_name[_fold_header(col.header)] = col
        by_name[col.key] = col
    mapping: dict[int, spec.Column] = {}
    data = SheetData(sheet)
    for index, header in enumerate(headers):
        name = _fold_header(header)
        if not name or name == _fold_header(spec.ERRORS_HEADER):
            continue
        col = by_name.get(name) or by_name.get(str(header).strip().lower())
        if col is None:
            data.unknown_headers.append(clean_text(str(header))[:60])
        elif col not in mapping.values():
            mapping[index] = col
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
            raise FileRefused(_l(
                "The sheet “%(sheet)s” has more than %(n)s rows. Split it into several files.",
                sheet=sheet.title, n=max_rows))
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

def _check_zip(upload: Upload) -> None:
    data = upload.data
    suffix = PurePath(upload.filename.lower()).suffix
    if suffix in (".xlsm", ".xltm", ".xlsb", ".xlam"):
        raise FileRefused(_l("Macro-enabled workbooks are refused. Save the file as an Excel "
                             "workbook (.xlsx) without macros and upload it again."))
    if data.startswith(OLE_MAGIC):
        raise FileRefused(_l("This is an old Excel file (.xls) or a password-protected "
                             "workbook. Remove the password and save it as .xlsx."))
    if not data.startswith(ZIP_MAGIC):
        raise FileRefused(_l("This file is not an Excel workbook (.xlsx) or a CSV file."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(_l("The workbook is damaged and cannot be read. Open it in Excel, "
                             "save it again as .xlsx and upload the new file.")) from None
    names = {i.filename.lower() for i in infos}
    if any(n.endswith("vbaproject.bin") for n in names):
        raise FileRefused(_l("Macro-enabled workbooks are refused. Save the file as an Excel "
                             "workbook (.xlsx) without macros and upload it again."))
    if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused(_l("This file is not an Excel workbook (.xlsx) or a CSV file."))
    expanded = sum(i.file_size for i in infos)
    if expanded > MAX_UNZIPPED_BYTES or expanded > MAX_ZIP_RATIO * max(len(data), 1) + 10**6:
        raise FileRefused(_l("The workbook is too large once opened. Split it into several "
                             "files."))
    try:
        content_types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError):
        raise FileRefused(_l("The workbook is damaged and cannot be read. Open it in Excel, "
                             "save it again as .xlsx and upload the new file.")) from None
    if b"macroEnabled" in content_types:
        raise FileRefused(_l("Macro-enabled workbooks are refused. Save the file as an Excel "
                             "workbook (.xlsx) without macros and upload it again."))


def read_xlsx(upload: Upload, max_rows: int) -> WorkbookData:
    _check_zip(upload)
    from openpyxl import load_workbook

    result = WorkbookData()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            # read_only streams the sheets; formulas stay visible (data_only=False) so that
            # they are refused rather than trusted through a possibly stale cached value.
            book = load_workbook(io.BytesIO(upload.data), read_only=True, data_only=False,
                                 keep_links=False)
            try:
                for ws in book.worksheets:
                    sheet = sheet_for_name(ws.title)
                    if sheet is None or sheet.key in result.sheets:
                        continue
                    rows = (
                        (n, [(c.value, getattr(c, "data_type", None) == "f") for c in cells])
                        for n, cells in enumerate(ws.iter_rows(), start=1)
                    )
                    result.sheets[sheet.key] = _read_rows(sheet, rows, max_rows)
            finally:
                book.close()
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(_l("The workbook is damaged and cannot be read. Open it in Excel, "
                             "save it again as .xlsx and upload the new file.")) from None
    return result


# --- CSV -----------------------------------------------------------------------------------

def read_csv(upload: Upload, max_rows: int) -> SheetData:
    sheet = sheet_for_name(PurePath(upload.filename).stem)
    if sheet is None:
        raise FileRefused(_l(
            "Name each CSV file after its sheet (for example cases.csv, needs.csv, "
            "referrals.csv, consents.csv, transfers.csv, closures.csv)."))
    if b"\x00" in upload.data[:4096]:
        raise FileRefused(_l("This file is not an Excel workbook (.xlsx) or a CSV file."))
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
        rows = (
            (n, [((v if v != "" else None), False) for v in cells])
            for n, cells in enumerate(reader, start=1)
        )
        return _read_rows(sheet, rows, max_rows)
    except csv.Error:
        raise FileRefused(_l("The CSV file cannot be read: check its quotes and separators.")) \
            from None


def read_uploads(uploads: list[Upload]) -> WorkbookData:
    """Read one workbook, or one CSV file per sheet. Raises FileRefused with a clear message."""
    max_bytes, max_rows = limits()
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
        book = read_xlsx(uploads[0], max_rows)
    else:
        book = WorkbookData()
        for u in uploads:
            data = read_csv(u, max_rows)
            if data.sheet.key in book.sheets:
                raise FileRefused(_l("Two CSV files are for the same sheet."))
            book.sheets[data.sheet.key] = data
    if not book.sheets:
        raise FileRefused(_l("No sheet of the import template was found in the file. Download "
                             "the template and keep its sheet names."))
    return book
