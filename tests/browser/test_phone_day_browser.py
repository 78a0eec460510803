"""Issue 13, the caseworker's day on a phone: each defect at 360 px and 1280 px, with
screenshots under test-artifacts/ (git-ignored) to look at."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from casework.services.effective_dates import today as vn_today
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE

pytestmark = pytest.mark.browser

WIDTHS = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["360", "1280"])


@pytest.fixture
def sized_page(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Any:
    """A page of the width under test (see WIDTHS)."""
    size = request.node.callspec.params["size"]
    context = browser.new_context(base_url=live_server, viewport=size, locale="vi-VN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _in_view(page: Any, selector: str) -> bool:
    return bool(page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return r.top >= -1 && r.bottom <= window.innerHeight && r.height > 0; }""",
        selector))


def _tag(size: dict[str, int]) -> str:
    return str(size["width"])


def _seen(page: Any, name: str) -> None:
    """A screenshot of what is on screen now (not the full page): what the eye sees."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@WIDTHS
def test_every_intake_error_shows_at_once_and_the_first_is_in_view_and_focused(
        size, sized_page, make_user, org, browser_login, screenshot):
    page = sized_page
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto("/cases/new")
    page.fill("#full_name", "Trần Thị Mai")
    page.fill("#date_of_birth", (vn_today() + timedelta(days=3)).strftime("%d/%m/%Y"))
    page.fill("#national_id", "12345")
    page.fill("#phone", "12")
    page.select_option("#referral_source", "self")
    page.click("main form input[type=submit]")
    for field_id in ("date_of_birth", "national_id", "phone", "group"):
        assert page.locator(f"#{field_id}-error").is_visible(), field_id
    assert page.locator("#national_id").input_value() == "12345"
    assert page.evaluate("document.activeElement.id") == "date_of_birth"
    assert _in_view(page, "#date_of_birth")
    assert page.locator("[data-error-summary] li").count() == 4
    _seen(page, f"phone-d1-intake-errors-{_tag(size)}")


@WIDTHS
def test_the_confirmation_is_seen_where_the_page_lands_after_an_action(
        size, sized_page, make_user, make_case, org, browser_login, screenshot):
    page = sized_page
    case = make_case(org.c1, full_name="Lê Thị Hoa")
    browser_login(page, make_user("caseworker", unit=org.c1))
    for n in range(3):  # a long page, so that #needs is far below the top
        page.goto(f"/cases/{case.id}/follow-ups/new")
        page.fill("#title", f"Việc {n}")
        page.fill("#due_on", vn_today().strftime("%d/%m/%Y"))
        page.click("main form input[type=submit]")
    page.goto(f"/cases/{case.id}/needs/new")
    page.select_option("#category", "loans")
    page.click("main form input[type=submit]")
    page.wait_for_url("**#needs")
    message = page.get_by_role("status").filter(has_text="Đã thêm nhu cầu")
    assert message.is_visible()
    assert _in_view(page, "#flashes"), "the confirmation is off screen"
    assert _in_view(page, "#needs")
    _seen(page, f"phone-d2-confirmation-{_tag(size)}")
