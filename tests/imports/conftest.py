"""Fixtures for the import tests: workbooks built in memory, and an importing caseworker."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

from casework.services.imports import spec


def workbook_bytes(sheets: dict[str, list[dict[str, Any]]], *,
                   headers: dict[str, list[str]] | None = None) -> bytes:
    """An XLSX with the template's headers and the given rows (values by column key)."""
    wb = Workbook()
    wb.remove(wb.active)
    for key, rows in sheets.items():
        sheet = spec.SHEETS_BY_KEY[key]
        ws = wb.create_sheet(sheet.title)
        columns = headers.get(key) if headers and key in headers else [c.key for c in sheet.columns]
        ws.append([sheet.column(k).header if k in {c.key for c in sheet.columns} else k
                   for k in columns])
        for row in rows:
            ws.append([row.get(k) for k in columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def case_row(ref: str = "HS-1", unit: str = "C1", **fields: Any) -> dict[str, Any]:
    row = {"case_ref": ref, "unit": unit, "group": "left_sex_work", "intake_date": "15/03/2021",
           "full_name": "Trần Thị Thử", "date_of_birth": "20/05/1995",
           "national_id": "036195000123", "phone": "0912345678", "referral_source": "union"}
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def need_row(ref: str = "NC-1", case_ref: str = "HS-1", **fields: Any) -> dict[str, Any]:
    row = {"need_ref": ref, "case_ref": case_ref, "category": "vocational_training",
           "identified_on": "20/03/2021"}
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def referral_row(ref: str = "GT-1", need_ref: str = "NC-1", provider: str = "PRV1",
                 **fields: Any) -> dict[str, Any]:
    row = {"referral_ref": ref, "need_ref": need_ref, "provider": provider,
           "referred_on": "25/03/2021", "status": "completed", "answered_on": "01/04/2021",
           "uptake_on": "10/04/2021", "ended_on": "30/09/2021"}
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


@pytest.fixture
def provider(make_provider: Callable[..., Any]) -> Any:
    return make_provider(code="PRV1", name="Trung tâm dạy nghề thử")


@pytest.fixture
def importer_of(make_user: Callable[..., Any]) -> Callable[..., Any]:
    """A caseworker of ``unit`` (one per unit), the account a dry run is made by."""
    made: dict[int, Any] = {}

    def get(unit: Any) -> Any:
        if unit.id not in made:
            made[unit.id] = make_user("caseworker", unit=unit)
        return made[unit.id]

    return get


@pytest.fixture
def dry_run(app: Any, org: Any, importer_of: Callable[..., Any]) -> Callable[..., Any]:
    """Read and check a workbook for the scope of ``unit`` (default: district D1), as ``user``
    (default: a caseworker of that unit)."""
    from casework.extensions import db
    from casework.services.imports import reader, validate

    def run(data: bytes, unit: Any = None, filename: str = "nhap.xlsx", user: Any = None) -> Any:
        unit = unit or org.d1
        book = reader.read_uploads([reader.Upload(filename, data)])
        return validate.check(db.session, book, unit, user or importer_of(unit))

    return run
