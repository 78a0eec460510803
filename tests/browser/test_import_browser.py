"""Moving in from paper, in a real browser: download the template, upload a filled workbook with
one bad row, read the Vietnamese dry-run report (sheet, row and column of the problem), import
the clean rows and see the result; on a desktop screen and on a 360 px phone."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.case import Case
from casework.services.imports import spec

pytestmark = pytest.mark.browser


def filled_workbook(prefix: str, n: int) -> bytes:
    """Two cases (the second with a CCCD that has a letter in it), a need and a referral."""
    rows = {
        "cases": [
            {"case_ref": f"{prefix}-1", "unit": "C1", "group": "left_sex_work",
             "intake_date": "15/03/2021", "full_name": f"Trần Thị Nhập Số {n}",
             "date_of_birth": "20/05/1995", "national_id": f"03619500012{n}",
             "phone": f"091234567{n}", "referral_source": "union"},
            {"case_ref": f"{prefix}-2", "unit": "C2", "group": "left_sex_work",
             "intake_date": "16/03/2021", "full_name": "Lê Thị Sai",
             "national_id": "03619500012X", "referral_source": "self"},
        ],
        "needs": [{"need_ref": f"{prefix}-N1", "case_ref": f"{prefix}-1",
                   "category": "vocational_training", "identified_on": "20/03/2021"}],
        "referrals": [{"referral_ref": f"{prefix}-G1", "need_ref": f"{prefix}-N1",
                       "provider": "PRV1", "referred_on": "25/03/2021",
                       "status": "in_service", "answered_on": "01/04/2021",
                       "uptake_on": "10/04/2021"}],
    }
    wb = Workbook()
    wb.remove(wb.active)
    for key, values in rows.items():
        sheet = spec.SHEETS_BY_KEY[key]
        ws = wb.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        for row in values:
            ws.append([row.get(c.key) for c in sheet.columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def import_with_one_bad_row(page, prefix, n, tmp_path, screenshot, size):
    page.goto("/imports/")
    with page.expect_download() as download:
        page.click("a[href='/imports/template.xlsx']")
    saved = tmp_path / f"mau-{size}.xlsx"
    download.value.save_as(saved)
    template = load_workbook(saved)
    assert "Hồ sơ" in template.sheetnames
    assert ("Đơn vị Hội (mã đơn vị)", "C1") in {
        (r[0], r[1]) for r in template["Mã hợp lệ"].iter_rows(min_row=2, values_only=True)}
    screenshot(page, f"imports-index-{size}")

    path = tmp_path / f"{prefix}.xlsx"
    path.write_bytes(filled_workbook(prefix, n))
    page.set_input_files("#files", str(path))
    page.click("form.import-upload button[type=submit]")
    page.wait_for_selector("#import-errors")
    assert page.locator("h1").inner_text() == "Báo cáo kiểm tra trước khi nhập"
    assert "Cần sửa 1 lỗi" in page.locator("#import-errors").inner_text()
    assert "Chưa có gì được lưu." in page.locator("main").inner_text()
    problem = page.locator("table.import-problems tbody tr.problem--error")
    assert problem.count() == 1
    cells = [c.strip() for c in problem.locator("td").all_inner_texts()]
    assert cells[:3] == ["Hồ sơ", "3", "Số CCCD/CMND"]
    assert "chữ số" in cells[3]  # the message is Vietnamese
    warning = page.locator("table.import-problems tbody tr.problem--warning")
    assert "sự đồng ý" in warning.inner_text()  # no share consent: a warning only
    assert page.locator("#import-all").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"imports-report-{size}")

    page.click("#import-clean-only")
    page.wait_for_selector("#import-done")
    summary = page.locator("dl.summary").inner_text()
    assert "Hồ sơ\n1" in summary or "Hồ sơ 1" in summary.replace("\n", " ")
    assert page.locator("#download-rejected").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"imports-result-{size}")


def test_import_paper_records_on_desktop_and_phone(page, phone_page, make_user, make_provider,
                                                   org, browser_login, screenshot, tmp_path):
    make_provider(code="PRV1", name="Trung tâm dạy nghề thử")
    browser_login(page, make_user("caseworker", unit=org.d1))
    import_with_one_bad_row(page, "HS", 1, tmp_path, screenshot, "desktop")
    browser_login(phone_page, make_user("supervisor", unit=org.d1))
    import_with_one_bad_row(phone_page, "PH", 2, tmp_path, screenshot, "phone")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    imported = db.session.scalar(select(Case).where(Case.external_ref == "imp:C1:hs:HS-1"))
    assert imported.full_name == "Trần Thị Nhập Số 1"
