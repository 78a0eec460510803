"""Hostile workbooks and CSV files, generated at test time (never committed as binaries).

Each builder writes the XML parts of an XLSX by hand, streaming them into the ZIP, so a file
that expands to hundreds of megabytes is built without holding them in memory. Every workbook
passes the archive checks that were already in place (size, expansion ratio, macros): a
stored block of random bytes pads the archive so that its expansion ratio stays under 200, as
an attacker would do. ``scale`` shrinks the expensive files for the test suite; the bench
(``bench/bench_hostile_imports.py``) builds them at full size, the size a tester reported.

Used by ``tests/imports/test_hostile_files.py`` (in a child process with memory and time
limits) and by the bench.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from casework.services.imports import spec

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = REL_NS + "/worksheet"
SST_TYPE = REL_NS + "/sharedStrings"
MAX_RATIO = 200  # the archive check's limit (reader.MAX_ZIP_RATIO)


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def header_row(sheet: spec.Sheet = spec.CASES, row: int = 1) -> str:
    cells = "".join(inline(f"{_column_letter(i)}{row}", c.header)
                    for i, c in enumerate(sheet.columns, start=1))
    return f'<row r="{row}">{cells}</row>'


def case_cells(row: int, ref: str = "HS-1", note: str = "Nguyễn Thị Thử") -> str:
    """A complete, valid case row (inline strings) at ``row``."""
    values = {"case_ref": ref, "unit": "C1", "group": "left_sex_work",
              "intake_date": "15/03/2021", "full_name": note, "referral_source": "union"}
    cells = "".join(inline(f"{_column_letter(i)}{row}", values[c.key])
                    for i, c in enumerate(spec.CASES.columns, start=1) if c.key in values)
    return f'<row r="{row}">{cells}</row>'


def sheet_xml(body: Iterable[str], *, dimension: str | None = None,
              after: Iterable[str] = ()) -> Iterator[bytes]:
    """A worksheet part: ``body`` yields the inside of ``<sheetData>``, ``after`` what follows
    it, both in pieces."""
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}">'
    if dimension:
        head += f'<dimension ref="{dimension}"/>'
    yield from _blocks([head, "<sheetData>", *body, "</sheetData>", *after, "</worksheet>"])


def _blocks(pieces: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size > 1 << 20:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode()


def repeated(piece: str, count: int) -> Iterator[str]:
    """``piece`` ``count`` times, in blocks of about a megabyte (fast to build and deflate)."""
    block = max(1, (1 << 20) // max(len(piece), 1))
    chunk = piece * block
    full, rest = divmod(count, block)
    for _ in range(full):
        yield chunk
    if rest:
        yield piece * rest


def workbook(sheets: list[tuple[str, Iterable[bytes]]], *,
             states: dict[str, str] | None = None,
             shared_strings: Iterable[bytes] | None = None,
             workbook_prefix: str = "", pad: bool = True) -> bytes:
    """A minimal XLSX: ``sheets`` as (title, part bytes in pieces), optional shared strings.

    ``states`` marks sheets ``hidden`` or ``veryHidden``. With ``pad`` the archive gets a
    stored block of random bytes so that its expansion ratio stays under 200.
    """
    states = states or {}
    buffer = io.BytesIO()
    expanded = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        def part(name: str, pieces: Iterable[bytes]) -> None:
            nonlocal expanded
            with archive.open(name, "w", force_zip64=True) as fh:
                for piece in pieces:
                    fh.write(piece)
                    expanded += len(piece)

        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(sheets) + 1))
        if shared_strings is not None:
            overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        part("[Content_Types].xml", [(
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>").encode()])
        part("_rels/.rels", [(
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>").encode()])
        entries = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"'
            + (f' state="{states[title]}"' if title in states else "") + "/>"
            for n, (title, _p) in enumerate(sheets, start=1))
        part("xl/workbook.xml", [(
            f'<?xml version="1.0" encoding="UTF-8"?>{workbook_prefix}<workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets>{entries}</sheets></workbook>').encode()])
        rels = "".join(f'<Relationship Id="rId{n}" Type="{SHEET_TYPE}" '
                       f'Target="worksheets/sheet{n}.xml"/>'
                       for n in range(1, len(sheets) + 1))
        if shared_strings is not None:
            rels += (f'<Relationship Id="rId{len(sheets) + 1}" Type="{SST_TYPE}" '
                     'Target="sharedStrings.xml"/>')
        part("xl/_rels/workbook.xml.rels", [(
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f"{rels}</Relationships>").encode()])
        for n, (_title, pieces) in enumerate(sheets, start=1):
            part(f"xl/worksheets/sheet{n}.xml", pieces)
        if shared_strings is not None:
            part("xl/sharedStrings.xml", shared_strings)
        compressed = sum(i.compress_size for i in archive.infolist())
        needed = expanded // (MAX_RATIO - 20) - compressed
        if pad and needed > 0:
            info = zipfile.ZipInfo("xl/media/image1.png")
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, os.urandom(needed))
    return buffer.getvalue()


def _cases(body: Iterable[str], **kwargs: Any) -> list[tuple[str, Iterable[bytes]]]:
    return [(spec.CASES.title, sheet_xml(body, **kwargs))]


# --- The files ------------------------------------------------------------------------------

def declared_dimension() -> bytes:
    """2 KB: a sheet that declares A1:XFD1048576 and has one row at 1,048,576 (finding 2)."""
    body = [header_row(), '<row r="1048576">' + inline("XFD1048576", "x") + "</row>"]
    return workbook(_cases(body, dimension="A1:XFD1048576"), pad=False)


def far_row() -> bytes:
    """A valid case row, then one more 1,048,000 rows further down (no declared size)."""
    body = [header_row(), case_cells(2), case_cells(1_048_576, "HS-2")]
    return workbook(_cases(body), pad=False)


def blank_rows(scale: float = 1.0) -> bytes:
    """Millions of empty ``<row/>`` elements (finding 3: 1.9 MB took 5.1 GB)."""
    count = int(50_000_000 * scale)
    return workbook(_cases([header_row(), *repeated("<row/>", count)]))


def shared_strings_table(scale: float = 1.0) -> bytes:
    """A shared-strings table of millions of short strings (finding 3: 2.2 MB took 2.3 GB)."""
    count = int(15_000_000 * scale)  # about 250 MB expanded: under the archive checks

    def table() -> Iterator[bytes]:
        yield (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" '
               f'count="{count}" uniqueCount="{count}">').encode()
        step = 100_000
        for start in range(0, count, step):
            yield "".join(f"<si><t>{n % 1000:x}</t></si>"
                          for n in range(start, min(count, start + step))).encode()
        yield b"</sst>"

    body = [header_row(), '<row r="2"><c r="A2" t="s"><v>1</v></c></row>']
    return workbook(_cases(body), shared_strings=table())


def wide_rows(scale: float = 1.0) -> bytes:
    """Rows of 16,384 (styled, empty) cells each, far past the template's columns."""
    rows = int(2_000 * scale)
    width = 16_384
    cells = "<c/>" * width  # no reference: each cell is in the next column
    return workbook(_cases([header_row(), *repeated(f"<row>{cells}</row>", rows)]))


def many_elements(scale: float = 1.0) -> bytes:
    """Millions of elements outside the cells (merged ranges) after a valid sheet."""
    count = int(10_000_000 * scale)
    after = ["<mergeCells>", *repeated('<mergeCell ref="A1:B2"/>', count), "</mergeCells>"]
    return workbook(_cases([header_row(), case_cells(2)], after=after))


def huge_cell(scale: float = 1.0) -> bytes:
    """One cell holding tens of millions of characters."""
    size = int(60_000_000 * scale)

    def body() -> Iterator[str]:
        yield header_row()
        yield '<row r="2"><c r="A2" t="inlineStr"><is><t>'
        yield from repeated("x" * 1000, size // 1000)
        yield "</t></is></c></row>"

    return workbook(_cases(body()))


def billion_laughs() -> bytes:
    """Nested entities in the worksheet (expands to gigabytes if ever expanded)."""
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    doc = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
           f'<worksheet xmlns="{MAIN_NS}"><sheetData>{header_row()}'
           f'<row r="2"><c r="A2" t="inlineStr"><is><t>&a9;</t></is></c></row>'
           "</sheetData></worksheet>")
    return workbook([(spec.CASES.title, [doc.encode()])], pad=False)


def external_entity(path: str = "/etc/hostname") -> bytes:
    """An external entity (XXE) naming a server file in a cell."""
    doc = (f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file://{path}">]>'
           f'<worksheet xmlns="{MAIN_NS}"><sheetData>{header_row()}'
           '<row r="2"><c r="A2" t="inlineStr"><is><t>&x;</t></is></c></row>'
           "</sheetData></worksheet>")
    return workbook([(spec.CASES.title, [doc.encode()])], pad=False)


def hidden_shadow(state: str = "hidden") -> bytes:
    """A hidden sheet named like the template's "Hồ sơ" before the visible one."""
    hidden = sheet_xml([header_row(), case_cells(2, "HS-AN", "Dòng ẩn")])
    visible = sheet_xml([header_row(), case_cells(2, "HS-HIEN", "Dòng hiện")])
    return workbook([(spec.CASES.title, hidden), ("ho so", visible)],
                    states={spec.CASES.title: state}, pad=False)


def repeated_long_string(scale: float = 1.0) -> bytes:
    """One shared string of 32,767 characters, referenced by every cell of 20,000 rows."""
    rows = int(20_000 * scale)
    table = [(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="1" '
              f'uniqueCount="1"><si><t>{"x" * 32_767}</t></si></sst>').encode()]
    row = "<row>" + '<c t="s"><v>0</v></c>' * len(spec.CASES.columns) + "</row>"
    return workbook(_cases([header_row(), *repeated(row, rows)]), shared_strings=table)


def valid_rows(scale: float = 1.0) -> bytes:
    """Not hostile: 20,000 valid case rows (the row cap), to compare readers on a real load."""
    count = int(20_000 * scale)
    body = [header_row(), *(case_cells(n + 2, f"HS-{n}") for n in range(count))]
    return workbook(_cases(body), pad=False)


def csv_blank_lines(scale: float = 1.0) -> bytes:
    """A CSV of a header and millions of empty lines."""
    header = ",".join(c.header for c in spec.CASES.columns) + "\n"
    return header.encode() + b"\n" * int(9_000_000 * scale)


def csv_utf16() -> bytes:
    """A CSV saved by Excel as "Unicode Text" (UTF-16 with a byte-order mark)."""
    header = ",".join(c.header for c in spec.CASES.columns)
    row = "HS-1,C1,left_sex_work,15/03/2021,Nguyễn Thị Thử,,,,,,,union"
    return (header + "\r\n" + row + "\r\n").encode("utf-16")


# name -> (builder taking a scale, upload file name); the bench's list of worst files.
FILES: dict[str, tuple[Callable[[float], bytes], str]] = {
    "declared_dimension": (lambda _s: declared_dimension(), "nhap.xlsx"),
    "far_row": (lambda _s: far_row(), "nhap.xlsx"),
    "blank_rows": (blank_rows, "nhap.xlsx"),
    "shared_strings": (shared_strings_table, "nhap.xlsx"),
    "wide_rows": (wide_rows, "nhap.xlsx"),
    "many_elements": (many_elements, "nhap.xlsx"),
    "huge_cell": (huge_cell, "nhap.xlsx"),
    "billion_laughs": (lambda _s: billion_laughs(), "nhap.xlsx"),
    "csv_blank_lines": (csv_blank_lines, "cases.csv"),
    "repeated_long_string": (repeated_long_string, "nhap.xlsx"),
    "valid_rows": (valid_rows, "nhap.xlsx"),
}
