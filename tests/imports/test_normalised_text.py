"""Imported text goes through the forms' normaliser (issue 18, finding 8; see
``tests/test_text.py`` for the normaliser and the forms)."""

from __future__ import annotations

from tests.imports.conftest import case_row, need_row, workbook_bytes


def test_an_imported_need_note_is_stored_the_same_way(dry_run, provider):
    note = "Cần\u200e vay\u200f vốn\u061c 5\u202a triệu\u2067"
    report = dry_run(workbook_bytes({"cases": [case_row()], "needs": [need_row(note=note)]}))
    assert report.clean, [str(p.message) for p in report.errors]
    assert [n.values["note"] for n in report.cases[0].needs] == ["Cần vay vốn 5 triệu"]
