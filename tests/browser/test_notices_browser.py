"""Notices in a real browser: the unread count in the menu on a 360 px phone (without widening
the page), gone once the partner opens the referral; the caseworker sees the answer on her
worklist and the count drops when she opens it."""

from __future__ import annotations

from tests.referrals.conftest import draft, loop, sent  # noqa: F401


def test_the_unread_count_follows_the_notices_on_a_phone_and_a_desktop(
        loop, sent, page, phone_page, browser_login, screenshot):  # noqa: F811
    browser_login(phone_page, loop.partner)
    phone_page.goto("/partner/performance")
    assert phone_page.inner_text("#nav-unread") == "1"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "notices-partner-phone")
    phone_page.goto(f"/partner/referrals/{sent.id}")
    phone_page.click("summary:has-text('Nhận')")
    phone_page.click("button[data-action=accept]")
    phone_page.wait_for_load_state()
    assert phone_page.locator("#nav-unread").count() == 0

    browser_login(page, loop.caseworker)
    page.goto("/cases/worklist")
    assert page.inner_text("#nav-unread") == "1"
    assert sent.partner_reference in page.inner_text("#worklist-notices")
    screenshot(page, "notices-worklist-desktop")
    page.click(f"#worklist-notices a[href='/referrals/{sent.id}']")
    page.wait_for_url(f"**/referrals/{sent.id}")
    assert page.locator("#nav-unread").count() == 0
    page.goto("/cases/worklist")
    assert page.locator("#worklist-notices").count() == 0
