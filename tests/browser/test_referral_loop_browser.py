"""The closed loop in a real browser: a caseworker refers, a partner on a 360 px phone accepts
and confirms uptake, and the caseworker sees the need connected."""

from __future__ import annotations

from tests.referrals.conftest import CANARY_GIVEN, CANARY_ID, CANARY_NAME, loop  # noqa: F401


def test_caseworker_refers_partner_accepts_on_a_phone_and_the_need_is_connected(
        loop, page, phone_page, browser_login, screenshot):  # noqa: F811
    browser_login(page, loop.caseworker)
    page.goto(f"/referrals/new/{loop.need.id}")
    page.check(f"input[name=provider][value='{loop.provider.id}']")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/referrals/*")
    page.fill("#partner_note", "Chị muốn học nghề may")
    screenshot(page, "referral-send-desktop")
    page.click("form[action$='/send'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".alert--success").count() == 1
    referral_url = page.url

    browser_login(phone_page, loop.partner)
    phone_page.goto("/partner/")
    screenshot(phone_page, "partner-inbox-phone")
    phone_page.click(".inbox-group--new a.inbox__item")
    phone_page.wait_for_url("**/partner/referrals/*")
    body = phone_page.content()
    assert CANARY_GIVEN in body
    assert CANARY_NAME not in body
    assert CANARY_ID not in body
    screenshot(phone_page, "partner-referral-phone")
    phone_page.click("summary:has-text('Nhận')")
    phone_page.click("button[data-action=accept]")
    phone_page.wait_for_load_state()
    assert "Đã nhận" in phone_page.inner_text("#referral-status")
    phone_page.click("summary:has-text('Xác nhận đã tiếp nhận dịch vụ')")
    phone_page.click("button[data-action=confirm_uptake]")
    phone_page.wait_for_load_state()
    screenshot(phone_page, "partner-after-uptake-phone")
    assert phone_page.locator("button[data-action=complete]").count() == 1
    # The page is usable at 360 px: nothing wider than the screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(referral_url)
    assert "Đã kết nối" in page.inner_text("#need-status")
    screenshot(page, "referral-loop-desktop")
