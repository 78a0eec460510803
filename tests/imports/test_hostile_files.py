"""Hostile files (issue 18, findings 2, 3, 6, 8): bounded work and memory, clear refusals.

The files are generated at test time by ``tests/imports/hostile.py``. Files that could cost
the old reader gigabytes or half an hour are read in a child process limited to
``CHILD_MEMORY_MB`` of address space (RLIMIT_AS) and killed after ``CHILD_SECONDS``, so a
regression fails the test instead of the machine. The rest go through the real upload page
and ``flask import-records``, which share the reader.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.case import Case
from tests.imports import hostile
from tests.imports.conftest import case_row, workbook_bytes

ROOT = Path(__file__).resolve().parents[2]
CHILD_MEMORY_MB = 640  # the interpreter and imports take about 270 MB of address space
CHILD_SECONDS = 90  # generous on a loaded 2-core machine; the new reader needs a few seconds

CHILD = r"""
import json, resource, sys
limit = int(sys.argv[3]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
sys.path.insert(0, sys.argv[1])
from casework.services.imports import reader
data = open(sys.argv[2], "rb").read()
try:
    book = reader.read_uploads([reader.Upload(sys.argv[4], data)])
except MemoryError:
    print(json.dumps({"outcome": "memory"}))
    sys.exit(3)
except reader.FileRefused as refused:
    print(json.dumps({"outcome": "refused", "message": str(refused.message)}))
    sys.exit(0)
rows = book.rows("cases")
print(json.dumps({"outcome": "read", "rows": [r.number for r in rows],
                  "longest": max((len(str(v)) for r in rows for v in r.raw.values()), default=0),
                  "values": [str(v)[:80] for r in rows for v in r.raw.values()
                             if v is not None]}))
"""


def read_in_child(tmp_path: Path, data: bytes, name: str = "nhap.xlsx") -> dict:
    """Read ``data`` with the reader in a child limited in memory and time; its outcome."""
    path = tmp_path / name
    path.write_bytes(data)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ROOT), str(path), str(CHILD_MEMORY_MB), name],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=CHILD_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"outcome": "timeout"}
    finally:
        path.unlink()
    if "MemoryError" in err:
        return {"outcome": "memory"}
    assert out.strip(), err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


# --- In a child with memory and time limits ---------------------------------------------------

def test_a_declared_size_costs_nothing(tmp_path):
    """Finding 2: <dimension ref="A1:XFD1048576"/> and one cell at XFD1048576 (2 KB)."""
    data = hostile.declared_dimension()
    assert len(data) < 4096
    result = read_in_child(tmp_path, data)
    assert result["outcome"] == "read", result  # the old reader: half an hour per sheet
    assert result["rows"] == []  # the only cell is far outside the template's columns


def test_rows_far_apart_are_read_without_the_gap(tmp_path):
    result = read_in_child(tmp_path, hostile.far_row())
    assert result == {**result, "outcome": "read", "rows": [2, 1_048_576]}


def test_millions_of_blank_rows_are_counted_and_refused(tmp_path):
    """Finding 3: empty <row/> elements (5 million here; 50 million took 5.1 GB)."""
    result = read_in_child(tmp_path, hostile.blank_rows(0.1))
    assert result["outcome"] == "refused", result
    assert "counting empty rows" in result["message"]


def test_a_huge_shared_strings_table_is_refused_in_bounded_memory(tmp_path):
    """Finding 3: 3 million shared strings (a 2.2 MB file took 2.3 GB)."""
    result = read_in_child(tmp_path, hostile.shared_strings_table(0.2))
    assert result["outcome"] == "refused", result
    assert "too large once opened" in result["message"]


def test_a_shared_strings_table_under_the_cap_is_read(tmp_path):
    result = read_in_child(tmp_path, hostile.shared_strings_table(0.02))
    assert result["outcome"] == "read", result
    assert result["values"] == ["1"]  # the second string of the table


def test_one_long_shared_string_cannot_multiply_through_every_cell(tmp_path):
    """32 KB referenced by 280,000 cells would be 9 GB of text if each use were a copy."""
    result = read_in_child(tmp_path, hostile.repeated_long_string())
    assert result["outcome"] == "refused", result
    assert "too large once opened" in result["message"]


def test_rows_of_sixteen_thousand_cells_are_refused(tmp_path):
    result = read_in_child(tmp_path, hostile.wide_rows(0.1))
    assert result["outcome"] == "refused", result
    assert "too much besides the records" in result["message"]


def test_millions_of_other_elements_are_refused(tmp_path):
    result = read_in_child(tmp_path, hostile.many_elements(0.1))
    assert result["outcome"] == "refused", result
    assert "too much besides the records" in result["message"]


def test_a_cell_of_thirty_million_characters_is_cut(tmp_path):
    result = read_in_child(tmp_path, hostile.huge_cell(0.5))
    assert result["outcome"] == "read", result
    assert result["longest"] <= 32_768


@pytest.mark.parametrize("build", [hostile.billion_laughs, hostile.external_entity],
                         ids=["billion-laughs", "external-entity"])
def test_document_type_declarations_are_refused(tmp_path, build):
    result = read_in_child(tmp_path, build())
    assert result["outcome"] == "refused", result
    assert "damaged" in result["message"]


def test_a_csv_of_millions_of_blank_lines_is_refused(tmp_path):
    result = read_in_child(tmp_path, hostile.csv_blank_lines(), "cases.csv")
    assert result["outcome"] == "refused", result
    assert "counting empty rows" in result["message"]


# --- Through the upload page and the command line --------------------------------------------

def upload(client, data, name="nhap.xlsx"):
    return client.submit("/imports/check", {"files": (io.BytesIO(data), name)},
                         page="/imports/", content_type="multipart/form-data")


def count_cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def blank_rows_after_data(blank: int) -> bytes:
    body = [hostile.header_row(), hostile.case_cells(2), *hostile.repeated("<row/>", blank)]
    return hostile.workbook([(hostile.spec.CASES.title, hostile.sheet_xml(body))], pad=False)


def cli_check(app, tmp_path, user, data, name="nhap.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=["import-records", str(path), "--unit", "D1",
                                              "--as-user", user.username, "--dry-run"])


def test_blank_rows_count_toward_the_cap_on_the_web_and_the_command_line(
        app, client, make_user, login, org, provider, tmp_path):
    app.config["CASEWORK_IMPORT_MAX_ROWS"] = 5  # 2 × 5 + 1,000 row elements per sheet
    user = make_user("caseworker", unit=org.d1)
    login(client, user)
    assert upload(client, blank_rows_after_data(900)).status_code == 200
    refused = upload(client, blank_rows_after_data(1_100))
    assert refused.status_code == 400
    assert "tính cả các dòng trống" in refused.get_data(as_text=True)
    result = cli_check(app, tmp_path, user, blank_rows_after_data(1_100))
    assert result.exit_code != 0
    assert "tính cả các dòng trống" in result.output
    assert count_cases() == 0


def test_reading_has_a_time_budget_on_the_web_and_the_command_line(
        app, client, make_user, login, org, provider, tmp_path):
    assert app.config["CASEWORK_IMPORT_READ_SECONDS"] == 30
    app.config["CASEWORK_IMPORT_READ_SECONDS"] = 0  # spent as soon as the clock is looked at
    user = make_user("caseworker", unit=org.d1)
    login(client, user)
    data = workbook_bytes({"cases": [case_row()]})
    refused = upload(client, data)
    assert refused.status_code == 400
    assert "Tệp đọc quá lâu" in refused.get_data(as_text=True)
    result = cli_check(app, tmp_path, user, data)
    assert result.exit_code != 0
    assert "Tệp đọc quá lâu" in result.output


def test_the_read_budget_is_a_setting(make_app):
    assert make_app(import_read_seconds="12").config["CASEWORK_IMPORT_READ_SECONDS"] == 12


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_refused(client, make_user, login, org, provider, state):
    """Finding 6: a hidden "Hồ sơ" before the visible "ho so" would have been imported."""
    login(client, make_user("caseworker", unit=org.d1))
    response = upload(client, hostile.hidden_shadow(state))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tệp có trang bị ẩn" in page
    assert "HS-AN" not in page
    assert client.submit("/imports/apply", {"mode": "all"}, page="/imports/").status_code == 302
    assert count_cases() == 0


def test_two_sheets_for_the_same_template_sheet_are_refused(client, make_user, login, org,
                                                            provider):
    sheets = [(hostile.spec.CASES.title, hostile.sheet_xml([hostile.header_row(),
                                                            hostile.case_cells(2, "HS-A")])),
              ("HO SO", hostile.sheet_xml([hostile.header_row(),
                                           hostile.case_cells(2, "HS-B")]))]
    login(client, make_user("caseworker", unit=org.d1))
    response = upload(client, hostile.workbook(sheets, pad=False))
    assert response.status_code == 400
    assert "hai trang cùng ứng với trang “Hồ sơ”" in response.get_data(as_text=True)


def test_a_utf16_csv_is_told_to_be_saved_as_utf8(client, make_user, login, org, provider):
    """Finding 8: "Unicode Text" from Excel used to get "not an Excel/CSV file"."""
    login(client, make_user("caseworker", unit=org.d1))
    response = upload(client, hostile.csv_utf16(), "cases.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "UTF-16" in page
    assert "CSV UTF-8 (Comma delimited)" in page
    assert "không phải tệp Excel" not in page
