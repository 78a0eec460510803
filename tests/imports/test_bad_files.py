"""Bad input files get a clear Vietnamese message and a 4xx: never a 500, never a write."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.case import Case
from casework.services.imports import reader, spec
from tests.imports.conftest import case_row, workbook_bytes


def upload(client, data, name):
    return client.submit("/imports/check", {"files": (io.BytesIO(data), name)},
                         page="/imports/", content_type="multipart/form-data")


def macro_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes({"cases": [case_row()]}))) as src, \
            zipfile.ZipFile(buffer, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "name", "fragment"), [
    (b"%PDF-1.4 not a workbook", "ho-so.pdf", "không phải tệp Excel"),
    (b"%PDF-1.4 not a workbook", "ho-so.xlsx", "không phải tệp Excel"),
    (workbook_bytes({"cases": [case_row()]}), "ho-so.xlsm", "macro"),
    (macro_workbook(), "ho-so.xlsx", "macro"),
    (workbook_bytes({"cases": [case_row()]})[:900], "ho-so.xlsx", "bị hỏng"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ho-so.xls", ".xls"),
    (b"", "ho-so.xlsx", "Chọn tệp"),
])
def test_refused_files(client, make_user, login, org, data, name, fragment):
    login(client, make_user("caseworker", unit=org.d1))
    response = upload(client, data, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert fragment in page
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_size_and_row_caps(app, client, org, make_user, login, provider):
    app.config.update(CASEWORK_IMPORT_MAX_ROWS=5, CASEWORK_IMPORT_MAX_BYTES=200_000)
    login(client, make_user("caseworker", unit=org.d1))
    rows = [case_row(f"HS-{n}", national_id=None, phone=None) for n in range(6)]
    page = upload(client, workbook_bytes({"cases": rows}), "nhap.xlsx")
    assert page.status_code == 400
    assert "hơn 5 dòng" in page.get_data(as_text=True)
    big = upload(client, b"x" * 300_000, "cases.csv")
    assert big.status_code == 400
    assert "quá lớn" in big.get_data(as_text=True)


def test_formulas_are_refused_per_cell(dry_run, provider):
    wb = Workbook()
    ws = wb.active
    ws.title = spec.CASES.title
    ws.append([c.header for c in spec.CASES.columns])
    row = case_row()
    ws.append([row.get(c.key) for c in spec.CASES.columns])
    ws["I2"] = '="0361"&"95000123"'
    buffer = io.BytesIO()
    wb.save(buffer)
    report = dry_run(buffer.getvalue())
    assert [(p.row, p.column) for p in report.errors] == [(2, "national_id")]
    assert "công thức" in str(report.errors[0].message)


def test_cells_as_excel_writes_them(dry_run, provider):
    """Numbers as numbers, apostrophes, serial dates, datetime cells, decomposed Unicode."""
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Lan"
    row = case_row(full_name=decomposed, national_id=36195000123, phone=912345678.0,
                   intake_date=44270, date_of_birth=datetime(1995, 5, 20))
    row2 = case_row("HS-2", full_name="Lò Thị Hai", national_id="'036195000456",
                    phone="'0977 777 777", intake_date="5/4/2021", date_of_birth=None)
    report = dry_run(workbook_bytes({"cases": [row, row2]}))
    assert report.clean, [str(p.message) for p in report.errors]
    first, second = (p.values for p in report.cases)
    assert first["full_name"] == "Nguyễn Thị Lan"  # NFC
    assert (first["national_id"], first["phone"]) == ("036195000123", "0912345678")
    assert first["intake_date"].isoformat() == "2021-03-15"  # Excel serial 44270
    assert first["date_of_birth"].isoformat() == "1995-05-20"
    assert (second["national_id"], second["phone"]) == ("036195000456", "0977777777")
    assert second["intake_date"].isoformat() == "2021-04-05"


def test_csv_files_one_per_sheet(dry_run, app, org, provider, importer_of):
    cases = ("Mã hồ sơ gốc;Mã đơn vị;Nhóm;Ngày tiếp nhận;Họ và tên;Nguồn giới thiệu\n"
             "HS-1;C1;left_sex_work;15/03/2021;Trần Thị Thử;union\n").encode("utf-8-sig")
    needs = (b"need_ref,case_ref,category,identified_on\nNC-1,HS-1,jobs,20/03/2021\n")
    book = reader.read_uploads([reader.Upload("cases.csv", cases),
                                reader.Upload("nhu cau.csv", needs)])
    from casework.services.imports import validate

    report = validate.check(db.session, book, org.d1, importer_of(org.d1))
    assert report.clean
    assert report.counts["needs"].accepted == 1


def test_conversion_edge_cases():
    phone = spec.CASES.column("phone")
    cccd = spec.CASES.column("national_id")
    assert reader.to_digits(36195000123.0, cccd) == ("036195000123", None)  # a number cell
    assert reader.to_digits("1.23E+11", phone)[0] is None
    assert reader.to_digits("+84 912 345 678", phone) == ("0912345678", None)
    assert reader.to_date("29/02/2023")[0] is None
    assert reader.to_date("2021-03-15")[0].isoformat() == "2021-03-15"
    assert reader.clean_text("\u200b'Lan\u00a0 ") == "Lan"
