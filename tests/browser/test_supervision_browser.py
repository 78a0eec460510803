"""The supervisor's flow in a real browser: the dashboard, a drill-down into a district, and
the XLSX report downloaded and read back with openpyxl."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser


@pytest.fixture
def province_figures(org, make_case, make_need, make_provider):
    """2024H1: district 1 has 10 eligible women, 5 connected; district 2 has 5, none."""
    from casework.extensions import db
    from casework.models.referral import Referral

    partner = make_provider(name="Trung tâm Dạy nghề Thử")
    for n in range(15):
        case = make_case(org.c1 if n < 6 else org.c2 if n < 10 else org.c3,
                         intake_date=date(2024, 1, 15))
        need = make_need(case, "vocational_training")
        if n < 5:
            db.session.add(Referral(case_id=case.id, need_id=need.id, subject_id=case.subject_id,
                                    provider_id=partner.id, category=need.category,
                                    status="in_service", referred_on=date(2024, 2, 1),
                                    answered_on=date(2024, 2, 3), uptake_on=date(2024, 3, 1)))
    db.session.commit()


def test_dashboard_drill_down_and_xlsx_report(page, phone_page, make_user, org, browser_login,
                                              province_figures, screenshot):
    supervisor = make_user("supervisor", unit=org.province)
    browser_login(page, supervisor)
    page.goto("/supervision/")
    page.select_option("#scope-period", "2024H1")
    page.click("form.period-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=rate]").inner_text().strip() == "33 %"
    assert page.locator("tr.below-target").count() == 2
    screenshot(page, "supervision-dashboard-desktop")

    page.click("table.units-table a:has-text('Huyện Một')")
    page.wait_for_load_state()
    assert "Huyện Một" in page.locator("nav.crumbs").inner_text()
    assert page.locator("[data-testid=rate]").inner_text().strip() == "50 %"
    assert page.locator("table.units-table").inner_text().count("Xã Một") == 2
    screenshot(page, "supervision-district-desktop")

    with page.expect_download() as info:
        page.click("[data-testid=xlsx]")
    download = info.value
    assert download.suggested_filename.endswith("-D1-2024H1.xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    summary = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)
               if row and row[0]}
    figures = list(summary.values())
    assert "Huyện Một" in figures
    assert 10 in figures
    assert 5 in figures
    assert 0.5 in figures  # a number, shown as 50 % by its format
    units = [row for row in workbook.worksheets[1].iter_rows(values_only=True)][1:]
    # C1 has 6 eligible, 5 connected (1 not connected: small); C2 has 4: hidden, and so C1's 6
    # is hidden too, or 10 - 6 would give C2 away.
    assert [(r[0], r[1], r[2]) for r in units] == [("Xã Một A", "<5", "<5"),
                                                   ("Xã Một B", "<5", "<5")]

    browser_login(phone_page, supervisor)
    phone_page.goto(f"/supervision/?period=2024H1&unit={org.d1.id}")
    screenshot(phone_page, "supervision-district-phone")
    phone_page.goto(f"/supervision/report?period=2024H1&unit={org.d1.id}")
    screenshot(phone_page, "supervision-report-phone")


def test_report_fits_a_phone_and_reads_in_vietnamese(phone_page, make_user, org, browser_login,
                                                     province_figures, screenshot):
    supervisor = make_user("supervisor", unit=org.province)
    browser_login(phone_page, supervisor)
    phone_page.goto(f"/supervision/report?period=2024H1&unit={org.province.id}")
    select = phone_page.locator("#scope-period").bounding_box()
    assert select is not None
    assert select["x"] >= 0
    assert select["x"] + select["width"] <= 360  # the period picker is not cut off
    rate_term = phone_page.locator("[data-testid=report-summary] dt").nth(2)
    assert rate_term.inner_text().strip() == "Tỷ lệ"
    lines = rate_term.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }")
    assert lines == 1  # "Tỷ lệ" does not wrap
    assert "6 tháng đầu năm 2024" in phone_page.locator("article.report header").inner_text()
    assert phone_page.locator("svg.chart circle").count() >= 1  # the trend has points
    screenshot(phone_page, "supervision-report-phone-360")
    phone_page.goto("/supervision/access-log")
    assert phone_page.locator("select#action").count() == 1
    screenshot(phone_page, "supervision-access-log-phone-360")
