"""A streaming XLSX reader whose work and memory follow what the file really contains.

openpyxl's reader (used until issue 18) trusted the file: it padded every sheet to the size
the sheet declares (``<dimension ref="A1:XFD1048576"/>`` made a 2 KB file cost half an hour
of CPU), kept every parsed ``<row/>`` element attached to the document (fifty million empty
rows took 5 GB) and loaded the whole shared-strings table as Python strings (2.3 GB for a
2 MB file). Here each XML part is fed to expat in 64 KB pieces and turned into rows as it
goes; nothing is kept of the XML itself:

- gaps between rows and cells cost nothing (no padding), declared dimensions are ignored;
- every row element and every cell met is counted against the :class:`~.budget.Budget`
  (blank ones too), cells beyond the columns read are skipped, cell text is cut at 32,767
  characters, the text of the cells kept is counted (a shared string counts at each use), and
  elements outside the cells are counted as well;
- the shared strings are kept as one UTF-8 buffer with an offset per string (at most
  ``MAX_SHARED_STRINGS``), not as millions of Python objects;
- each part may expand to at most ``MAX_PART_BYTES``, and the clock is checked after each
  piece;
- a document type declaration is refused before any entity is declared, so no entity is ever
  expanded (billion laughs) and no external resource is fetched (XXE).

Values come out as openpyxl gave them with ``data_only=False``: str, int, float, bool,
``datetime`` for numbers in a date format, ``"=…"`` for formulas (flagged as such).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from casework.services.imports.budget import (
    DAMAGED,
    MAX_CELL_CHARS,
    TOO_COMPLEX,
    TOO_LARGE_OPENED,
    Budget,
    FileRefused,
)

CHUNK = 64 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024  # a sheet or the shared strings, once expanded
MAX_SMALL_PART_BYTES = 8 * 1024 * 1024  # workbook, relationships, styles
MAX_SHARED_STRINGS = 2_000_000
MAX_OTHER_ELEMENTS = 200_000  # per part, outside the cells (merged ranges, links, formats...)
MAX_STYLES = 65_536
MAX_SHEETS = 1_000
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384

MAIN = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main")
RELATIONSHIPS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                 "http://purl.oclc.org/ooxml/officeDocument/relationships")
SEP = "}"
_CELL_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})?$")
_INT_RE = re.compile(r"^[+-]?\d{1,18}$")
TRUNCATED = object()


def _names(local: str) -> frozenset[str]:
    return frozenset(f"{ns}{SEP}{local}" for ns in MAIN)


SHEET_DATA, ROW, CELL = _names("sheetData"), _names("row"), _names("c")
VALUE, FORMULA, INLINE, TEXT, PHONETIC = (_names("v"), _names("f"), _names("is"), _names("t"),
                                          _names("rPh"))
SHARED_ITEM = _names("si")


def _local(name: str) -> str:
    return name.rpartition(SEP)[2]


def _refuse_dtd(*_args: Any) -> int:
    raise FileRefused(DAMAGED)


def _parser() -> Any:
    parser = expat.ParserCreate(namespace_separator=SEP)
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


class SharedStrings:
    """The shared-strings table as one UTF-8 buffer and an end offset per string."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("L")

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, text: str) -> None:
        if len(self._ends) >= MAX_SHARED_STRINGS:
            raise FileRefused(TOO_LARGE_OPENED)
        self._text += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._text))

    def get(self, index: int) -> str:
        if not 0 <= index < len(self._ends):
            raise FileRefused(DAMAGED)
        start = self._ends[index - 1] if index else 0
        return self._text[start:self._ends[index]].decode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class SheetEntry:
    name: str
    state: str  # visible | hidden | veryHidden
    part: str | None  # the worksheet's part name in the archive (None: not a worksheet)

    @property
    def visible(self) -> bool:
        return self.state == "visible"


class _Text:
    """Collects character data, up to ``MAX_CELL_CHARS`` + 1 characters."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, data: str) -> None:
        room = MAX_CELL_CHARS + 1 - self.size
        if room > 0:
            piece = data[:room]
            self.parts.append(piece)
            self.size += len(piece)

    def value(self) -> str:
        return "".join(self.parts)


class Workbook:
    """An opened XLSX archive: its sheets (names, states, parts), styles and shared strings."""

    def __init__(self, archive: zipfile.ZipFile, budget: Budget) -> None:
        self.archive = archive
        self.budget = budget
        self._parts = {info.filename.lower(): info for info in archive.infolist()}
        self.epoch = CALENDAR_WINDOWS_1900
        self.sheets: list[SheetEntry] = []
        self._date_styles: list[bool] = []
        self._strings: SharedStrings | None = None
        rels = self._relationships("xl/workbook.xml")
        self._read_workbook(rels)
        self._strings_part = next((t for t, kind in rels.values()
                                   if kind.endswith("/sharedStrings")), None)
        styles = next((t for t, kind in rels.values() if kind.endswith("/styles")), None)
        if styles:
            self._read_styles(styles)

    # --- parts ---------------------------------------------------------------------------

    def _feed(self, part: str, parser: Any, limit: int) -> Iterator[None]:
        """Feed ``part`` to ``parser`` a chunk at a time; yields after each chunk."""
        info = self._parts.get(part.lower().lstrip("/"))
        if info is None:
            raise FileRefused(DAMAGED)
        if info.file_size > limit:
            raise FileRefused(TOO_LARGE_OPENED)
        read = 0
        try:
            with self.archive.open(info) as stream:
                while True:
                    chunk = stream.read(CHUNK)
                    read += len(chunk)
                    if read > limit:
                        raise FileRefused(TOO_LARGE_OPENED)
                    parser.Parse(chunk, not chunk)
                    self.budget.check_time()
                    yield None
                    if not chunk:
                        return
        except FileRefused:
            raise
        except (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, OSError,
                RuntimeError, NotImplementedError, ValueError, UnicodeError):
            raise FileRefused(DAMAGED) from None

    def _parse_small(self, part: str, start: Callable[[str, dict[str, str]], None],
                     end: Callable[[str], None] | None = None) -> None:
        parser = _parser()
        count = 0

        def on_start(name: str, attrs: dict[str, str]) -> None:
            nonlocal count
            count += 1
            if count > MAX_OTHER_ELEMENTS:
                raise FileRefused(TOO_COMPLEX)
            start(name, attrs)

        parser.StartElementHandler = on_start
        if end is not None:
            parser.EndElementHandler = end
        for _ in self._feed(part, parser, MAX_SMALL_PART_BYTES):
            pass

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (target part, type) of ``part``'s relationships (external targets left out)."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        found: dict[str, tuple[str, str]] = {}
        if rels_part.lower() not in self._parts:
            return found

        def start(tag: str, attrs: dict[str, str]) -> None:
            if _local(tag) != "Relationship" or attrs.get("TargetMode") == "External":
                return
            target = attrs.get("Target", "")
            if target.startswith("/"):
                path = posixpath.normpath(target.lstrip("/"))
            else:
                path = posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id", "")] = (path, attrs.get("Type", ""))

        self._parse_small(rels_part, start)
        return found

    def _read_workbook(self, rels: dict[str, tuple[str, str]]) -> None:
        def start(tag: str, attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904
            elif local == "sheet":
                if len(self.sheets) >= MAX_SHEETS:
                    raise FileRefused(TOO_COMPLEX)
                rel = next((attrs[f"{ns}{SEP}id"] for ns in RELATIONSHIPS
                            if f"{ns}{SEP}id" in attrs), "")
                target, kind = rels.get(rel, (None, ""))
                self.sheets.append(SheetEntry(
                    name=attrs.get("name", ""), state=attrs.get("state", "visible"),
                    part=target if kind.endswith("/worksheet") else None))

        self._parse_small("xl/workbook.xml", start)

    def _read_styles(self, part: str) -> None:
        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        xf_formats: list[int] = []
        in_cell_xfs = False

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal in_cell_xfs
            local = _local(tag)
            if local == "numFmt":
                try:
                    formats[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")[:256]
                except ValueError:
                    return
            elif local == "cellXfs":
                in_cell_xfs = True
            elif local == "xf" and in_cell_xfs:
                if len(xf_formats) >= MAX_STYLES:
                    raise FileRefused(TOO_COMPLEX)
                try:
                    xf_formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xf_formats.append(0)

        def end(tag: str) -> None:
            nonlocal in_cell_xfs
            if _local(tag) == "cellXfs":
                in_cell_xfs = False

        if part.lower() not in self._parts:
            return
        self._parse_small(part, start, end)
        dates = {fid for fid, code in formats.items() if code and is_date_format(code)}
        self._date_styles = [fid in dates for fid in xf_formats]

    def shared_strings(self) -> SharedStrings:
        """The shared-strings table, read on first use."""
        if self._strings is not None:
            return self._strings
        strings = SharedStrings()
        self._strings = strings
        if not self._strings_part or self._strings_part.lower() not in self._parts:
            return strings
        handler = _StringsReader(strings)
        parser = _parser()
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.data
        for _ in self._feed(self._strings_part, parser, MAX_PART_BYTES):
            pass
        return strings

    # --- worksheets ------------------------------------------------------------------------

    def rows(self, entry: SheetEntry, *, columns: int, max_row_elements: int, max_cells: int,
             too_many_rows: FileRefused) -> Iterator[tuple[int, list[tuple[Any, bool]]]]:
        """(row number, [(value, is_formula)] for columns 1..``columns``), rows with cells only.

        Raises ``too_many_rows`` when the sheet has more than ``max_row_elements`` rows, and
        FileRefused when it has more than ``max_cells`` cells, whatever they hold.
        """
        if entry.part is None:
            return
        reader = _SheetReader(self, columns, max_row_elements, max_cells, too_many_rows)
        parser = _parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.data
        for _ in self._feed(entry.part, parser, MAX_PART_BYTES):
            if reader.ready:
                ready, reader.ready = reader.ready, []
                yield from ready

    def cell_value(self, kind: str, text: str, style: int) -> Any:
        """The value of a ``<c>`` of type ``kind`` whose ``<v>`` holds ``text``."""
        if kind == "s":
            try:
                return self.shared_strings().get(int(text))
            except ValueError:
                raise FileRefused(DAMAGED) from None
        if kind in ("str", "e", "inlineStr"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        text = text.strip()
        if not text:
            return None
        try:
            number: int | float = int(text) if _INT_RE.match(text) else float(text)
        except ValueError:
            return text  # not a number after all: the checks say what is wrong with it
        if 0 <= style < len(self._date_styles) and self._date_styles[style]:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError, TypeError):
                return number
        return number


class _StringsReader:
    """expat handlers for the shared-strings table (phonetic runs left out)."""

    def __init__(self, strings: SharedStrings) -> None:
        self.strings = strings
        self.item: _Text | None = None
        self.collecting = False
        self.phonetic = 0
        self.other = 0

    def start(self, tag: str, _attrs: dict[str, str]) -> None:
        if tag in SHARED_ITEM:
            self.item = _Text()
        elif tag in TEXT and self.item is not None and not self.phonetic:
            self.collecting = True
        elif tag in PHONETIC:
            self.phonetic += 1
        else:
            self.other += 1  # rich-text runs and their formatting
            if self.other > MAX_OTHER_ELEMENTS + 4 * MAX_SHARED_STRINGS:
                raise FileRefused(TOO_COMPLEX)

    def end(self, tag: str) -> None:
        if tag in SHARED_ITEM and self.item is not None:
            self.strings.add(self.item.value())
            self.item = None
        elif tag in TEXT:
            self.collecting = False
        elif tag in PHONETIC:
            self.phonetic -= 1

    def data(self, text: str) -> None:
        if self.collecting and self.item is not None:
            self.item.add(text)


class _SheetReader:
    """expat handlers for one worksheet: rows of cells, counted and capped."""

    def __init__(self, book: Workbook, columns: int, max_row_elements: int, max_cells: int,
                 too_many_rows: FileRefused) -> None:
        self.book = book
        self.columns = columns
        self.max_row_elements = max_row_elements
        self.max_cells = max_cells
        self.too_many_rows = too_many_rows
        self.ready: list[tuple[int, list[tuple[Any, bool]]]] = []
        self.in_data = False
        self.row: int | None = None
        self.last_row = 0
        self.row_count = 0
        self.cell_count = 0
        self.other = 0
        self.cells: dict[int, tuple[Any, bool]] = {}
        self.last_col = 0
        # The cell being read: column (0 = none), type, style, what it holds.
        self.col = 0
        self.kind = "n"
        self.style = 0
        self.value: _Text | None = None
        self.formula: _Text | None = None
        self.inline: _Text | None = None
        self.in_inline = False
        self.text: _Text | None = None
        self.phonetic = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.col:
            self._start_inside_cell(tag)
        elif self.row is not None and tag in CELL:
            self._start_cell(attrs)
        elif self.in_data and tag in ROW:
            self._start_row(attrs)
        elif tag in SHEET_DATA:
            self.in_data = True
        else:
            self.other += 1
            if self.other > MAX_OTHER_ELEMENTS:
                raise FileRefused(TOO_COMPLEX)

    def _start_row(self, attrs: dict[str, str]) -> None:
        self.row_count += 1
        if self.row_count > self.max_row_elements:
            raise self.too_many_rows
        number = self.last_row + 1
        ref = attrs.get("r")
        if ref:
            try:
                number = int(ref)
            except ValueError:
                raise FileRefused(DAMAGED) from None
        if not 1 <= number <= MAX_ROW:
            raise FileRefused(DAMAGED)
        self.row = self.last_row = number
        self.cells = {}
        self.last_col = 0

    def _start_cell(self, attrs: dict[str, str]) -> None:
        self.cell_count += 1
        if self.cell_count > self.max_cells:
            raise FileRefused(TOO_COMPLEX)
        column = self.last_col + 1
        ref = attrs.get("r")
        if ref:
            match = _CELL_REF_RE.match(ref)
            if match is None:
                raise FileRefused(DAMAGED)
            column = _column_index(match.group(1))
        if not 1 <= column <= MAX_COLUMN:
            raise FileRefused(DAMAGED)
        self.col = self.last_col = column
        self.kind = attrs.get("t", "n")
        style = attrs.get("s")
        self.style = int(style) if style and style.isdigit() else 0
        self.value = self.formula = self.inline = None
        self.in_inline = False

    def _start_inside_cell(self, tag: str) -> None:
        self.cell_count += 1  # what a cell holds counts like cells
        if self.cell_count > self.max_cells:
            raise FileRefused(TOO_COMPLEX)
        if tag in VALUE:
            self.text = self.value = self.value or _Text()
        elif tag in FORMULA:
            self.text = self.formula = self.formula or _Text()
        elif tag in INLINE:
            self.in_inline = True
            self.inline = self.inline or _Text()
        elif tag in PHONETIC:
            self.phonetic += 1
        elif tag in TEXT and self.in_inline and not self.phonetic:
            self.text = self.inline

    def end(self, tag: str) -> None:
        if self.col:
            if tag in CELL:
                self._finish_cell()
                self.col = 0
                self.text = None
            elif tag in PHONETIC:
                self.phonetic -= 1
            elif tag in INLINE:
                self.in_inline = False
            elif tag in VALUE or tag in FORMULA or tag in TEXT:
                self.text = None
            return
        if tag in ROW and self.row is not None:
            if self.cells:
                width = max(self.cells)
                self.ready.append((self.row, [self.cells.get(i, (None, False))
                                              for i in range(1, width + 1)]))
            self.row = None
        elif tag in SHEET_DATA:
            self.in_data = False

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.add(text)

    def _finish_cell(self) -> None:
        column = self.col
        if column > self.columns or column in self.cells:
            return
        if self.formula is not None:
            self.book.budget.spend_text(self.formula.size + 1)
            self.cells[column] = ("=" + self.formula.value(), True)
            return
        if self.kind == "inlineStr":
            holder = self.inline if self.inline is not None else self.value
            value = holder.value() if holder is not None else None
        elif self.value is not None and self.value.size:
            value = self.book.cell_value(self.kind, self.value.value(), self.style)
        else:
            return
        if isinstance(value, str):
            self.book.budget.spend_text(len(value))
        if value is not None:
            self.cells[column] = (value, False)


def open_workbook(archive: zipfile.ZipFile, budget: Budget) -> Workbook:
    """The workbook in ``archive`` (already checked for macros and expansion)."""
    try:
        return Workbook(archive, budget)
    except FileRefused:
        raise
    except (KeyError, ValueError, IndexError):
        raise FileRefused(DAMAGED) from None
