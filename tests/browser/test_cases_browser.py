"""The caseworker's main flow on a 360 px phone: open a case (hitting a duplicate warning), record
consent, two needs and a follow-up, then find the case again by phone number."""

from __future__ import annotations

import re

import pytest

from casework.services.effective_dates import today as vn_today

pytestmark = pytest.mark.browser


def test_open_case_with_consent_needs_follow_up_and_find_it_by_phone(
        phone_page, make_user, make_case, org, browser_login, screenshot):
    page = phone_page
    make_case(org.c3, full_name="Người Khác Hẳn", phone="0987654321")  # another district
    worker = make_user("caseworker", unit=org.c1)
    browser_login(page, worker)
    assert page.url.endswith("/cases/worklist")
    screenshot(page, "cases-worklist-phone")

    page.click("main a[href='/cases/new']")
    page.fill("#full_name", "Phạm Thị Thử Nghiệm")
    page.fill("#date_of_birth", "1997-04-21")
    page.fill("#phone", "0987 654 321")
    page.select_option("#group", "left_sex_work")
    page.select_option("#referral_source", "self")
    page.click("main form button[type=submit], main form input[type=submit]")
    warning = page.locator("#duplicate-warning")
    assert "Huyện Hai" in warning.inner_text()
    assert page.locator("#full_name").input_value() == "Phạm Thị Thử Nghiệm"  # kept
    screenshot(page, "cases-duplicate-warning-phone")
    page.check("#confirm_duplicate")
    page.click("main form input[type=submit]")
    page.wait_for_url("**/cases/*")
    assert "Phạm Thị Thử Nghiệm" in page.locator("h1").inner_text()

    page.click("a[href$='/consents/new']")
    page.select_option("#purpose", "share")
    page.check("#service_category input[value=loans]")
    page.click("main form input[type=submit]")
    page.wait_for_url(re.compile(r"/cases/[^/#]+#(consents|next-step)$"))  # next step shown
    assert "Còn hiệu lực" in page.locator("#consents + ul").inner_text()

    for category in ("loans", "vocational_training"):
        page.click("a[href$='/needs/new']")
        page.select_option("#category", category)
        page.fill("#note", "Cần <b>hỗ trợ</b>")
        page.click("main form input[type=submit]")
        page.wait_for_url(re.compile(r"/cases/[^/#]+#(needs|next-step)$"))
    assert page.locator("#needs + ul > li").count() == 2

    page.click("a[href$='/follow-ups/new']")
    page.fill("#title", "Gọi lại hỏi về hồ sơ vay vốn")
    page.fill("#due_on", vn_today().isoformat())
    page.click("main form input[type=submit]")
    page.wait_for_url("**/cases/*#follow-ups")
    assert "Gọi lại hỏi về hồ sơ vay vốn" in page.locator("#follow-ups + ul").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "cases-case-page-phone")

    page.goto("/cases")
    page.fill("#q", "+84 987 654 321")
    page.click("form[role=search] button[type=submit]")
    results = page.locator(".case-list")
    assert "Nghiệm" in results.inner_text()  # given name only
    assert results.locator("li").count() == 1  # the other district's case stays hidden
    screenshot(page, "cases-search-phone")
