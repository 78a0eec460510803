"""Target 6 in a real browser at 360 px: an officer records a phone tip-off, classifies it and
forwards it to the police; the district supervisor sees it counted as handled in time."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_phone_tipoff_forwarded_in_time_is_counted(page, phone_page, make_user, org,
                                                   browser_login, screenshot):
    officer = make_user("caseworker", unit=org.c1)
    browser_login(phone_page, officer)
    phone_page.goto("/tipoffs/new")
    phone_page.select_option("#channel", "phone")
    phone_page.fill("#summary", "Gọi đường dây nóng: nghi có môi giới mại dâm ở quán karaoke")
    phone_page.fill("#persons_named", "Chủ quán")
    phone_page.check("#anonymous")
    screenshot(phone_page, "tipoff-receive-phone")
    phone_page.click("main form [type=submit]")
    phone_page.wait_for_load_state()
    assert "/tipoffs/" in phone_page.url
    phone_page.select_option("#classify-classification", "crime")
    phone_page.click("#classify-form [type=submit]")
    phone_page.wait_for_load_state()
    phone_page.fill("#handle-police_office", "Công an huyện Một")
    phone_page.click("#handle-form [type=submit]")
    phone_page.wait_for_load_state()
    assert "Đã chuyển cơ quan công an" in phone_page.locator("#item-status").inner_text()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the item page scrolls sideways at 360 px ({width} px)"
    screenshot(phone_page, "tipoff-item-phone")

    supervisor = make_user("supervisor", unit=org.d1)
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, supervisor)
    page.goto("/tipoffs/indicator")
    assert page.locator("#fig-due").inner_text().strip() == "1"
    assert page.locator("#fig-in-time").inner_text().strip() == "1"
    assert page.locator("[data-testid=rate6]").inner_text().strip() == "100 %"
    screenshot(page, "tipoff-indicator-phone")


def test_public_form_receipt_and_status_on_a_phone(phone_page, page, org, make_user,
                                                   browser_login, screenshot):
    phone_page.goto("/tipoffs/send")
    phone_page.fill("#summary", "Thấy có người dụ dỗ các cô gái trẻ đi làm ở nơi xa")
    phone_page.check("#anonymous")
    screenshot(phone_page, "tipoff-public-form-phone")
    phone_page.click("main form [type=submit]")
    phone_page.wait_for_load_state()
    code = phone_page.locator("#receipt-code").inner_text().strip()
    assert len(code.replace("-", "")) == 26
    phone_page.goto("/tipoffs/status")
    phone_page.fill("#code", code)
    phone_page.click("main form [type=submit]")
    phone_page.wait_for_load_state()
    status = phone_page.locator("#public-status").inner_text()
    assert "chờ xử lý" in status
    assert "dụ dỗ" not in phone_page.content()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    screenshot(phone_page, "tipoff-public-status-phone")
    browser_login(page, make_user("supervisor", unit=org.province))
    page.goto("/tipoffs/indicator")
    screenshot(page, "tipoff-indicator-desktop")
    page.goto("/tipoffs/")
    assert page.locator("#tipoff-list li").count() == 1
    screenshot(page, "tipoff-worklist-desktop")
