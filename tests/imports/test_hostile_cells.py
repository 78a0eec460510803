"""Cells with control characters are row errors: never written, never a crash (issue 11)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.case import Case
from casework.services.imports import reader, spec

HEADER = "case_ref,unit,group,intake_date,full_name,referral_source\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode("utf-8")


def test_a_control_character_in_a_cell_is_a_problem_of_that_cell():
    column = spec.CASES.column("full_name")
    for value in ("Trần\x1bThị", "Trần\x00Thị", "Trần\x85Thị", "\x07"):
        converted, problem = reader.convert(column, value)
        assert converted is None
        assert problem is not None
    assert reader.convert(column, "Trần Thị\tThử") == ("Trần Thị Thử", None)


def test_hostile_cells_reject_their_rows_in_the_check(dry_run):
    filler = [f"HS-{n},C1,left_sex_work,15/03/2021,Trần Thị Thử {n},union" for n in range(80)]
    data = _csv("HS-A,C1,left_sex_work,15/03/2021,Trần\x1b[31mThị,union",
                *filler,  # past the first 4 KB, where a NUL no longer refuses the whole file
                "HS-B,C1,left_sex_work,15/03/2021,Trần\x00Thị,union")
    assert b"\x00" not in data[:4096]
    report = dry_run(data, filename="cases.csv")
    rejected = {row.values.get("case_ref") for row in report.rejected_rows["cases"]}
    assert rejected == {"HS-A", "HS-B"}
    assert report.counts["cases"].accepted == 80


def test_the_rejected_rows_workbook_shows_where_the_character_was(client, make_user, login,
                                                                   org):
    login(client, make_user("caseworker", unit=org.d1))
    data = _csv("HS-1,C1,left_sex_work,15/03/2021,Trần Thị Thử,union",
                "HS-2,C1,left_sex_work,15/03/2021,Trần\x1bThị,union")
    page = client.submit("/imports/check", {"files": (io.BytesIO(data), "cases.csv")},
                         page="/imports/", content_type="multipart/form-data")
    assert page.status_code == 200
    assert "ký tự điều khiển" in page.get_data(as_text=True)
    response = client.submit("/imports/apply", {"mode": "clean_only"}, page="/imports/")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    workbook = client.get("/imports/rejected.xlsx")
    assert workbook.status_code == 200
    cases = load_workbook(io.BytesIO(workbook.data))["Hồ sơ"]
    assert cases.cell(2, 1).value == "HS-2"
    assert cases.cell(2, spec.CASES.columns.index(spec.CASES.column("full_name")) + 1).value \
        == "Trần\ufffdThị"
