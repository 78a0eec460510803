"""Her rights in a real browser, at 1280 px and 360 px: who saw her file (two clicks from the
case page), the breach answer, retention and the dossier from the menu; screenshots saved."""

from __future__ import annotations

from casework.services.effective_dates import today
from tests.rights.conftest import make_referral, scenario, shared, transfer  # noqa: F401


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_rights_pages_on_a_desktop(app, page, make_user, org, shared,  # noqa: F811
                                   browser_login, login, screenshot):
    partner = app.test_client()
    login(partner, shared.partner_p)
    partner.get(f"/partner/referrals/{shared.referrals[0].id}")
    supervisor = make_user("supervisor", unit=org.province)
    browser_login(page, supervisor)
    woman = shared.women[0]
    page.goto(f"/cases/{woman.id}")
    with page.expect_navigation():
        page.click("text=Những ai đã xem hồ sơ")  # one click from the case page
    assert "/rights/cases/" in page.url
    assert page.locator("tr[data-kind='opened']", has_text="doitac_p").count() >= 1
    assert page.locator("text=Trung tâm Dạy nghề Thử").count() >= 1
    screenshot(page, "rights-access-desktop")

    with page.expect_navigation():
        page.click("nav >> text=Trả lời sự cố lộ lọt")
    page.select_option("#provider", str(shared.p.id))
    page.fill("#date_from", today().isoformat())
    page.fill("#date_to", today().isoformat())
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert page.inner_text("#women-count") == "1"
    assert page.locator(".breach-table", has_text=woman.case_number).count() == 1
    screenshot(page, "rights-breach-desktop")

    with page.expect_navigation():
        page.click("nav >> text=Hồ sơ đến hạn xóa")
    assert page.locator("h1", has_text="Hồ sơ đến hạn xóa").count() == 1
    screenshot(page, "rights-retention-desktop")
    with page.expect_navigation():
        page.click("nav >> text=Đánh giá tác động")
    assert page.locator("[data-field='cases.national_id']").count() == 1
    screenshot(page, "rights-dossier-desktop")


def test_access_list_and_access_log_fit_a_phone(app, phone_page, make_user, org,
                                                shared,  # noqa: F811 - the fixture
                                                browser_login, screenshot):
    supervisor = make_user("supervisor", unit=org.province)
    browser_login(phone_page, supervisor)
    woman = shared.women[0]
    phone_page.goto(f"/rights/cases/{woman.id}/access")
    assert _fits(phone_page)
    screenshot(phone_page, "rights-access-phone-360")
    phone_page.goto(f"/supervision/access-log?case={woman.case_number[-3:]}")
    assert phone_page.locator(".log-table", has_text=woman.case_number).count() == 1
    screenshot(phone_page, "rights-access-log-phone-360")
    assert _fits(phone_page), phone_page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + '#' + e.id)"
        ".slice(0, 8).join(' ')")
    screenshot(phone_page, "rights-access-log-phone-360")
    phone_page.goto(f"/cases/{woman.id}/data")
    assert _fits(phone_page)
    screenshot(phone_page, "rights-pack-phone-360")
