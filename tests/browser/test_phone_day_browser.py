"""Issue 13, the caseworker's day on a phone: each defect at 360 px and 1280 px, with
screenshots under test-artifacts/ (git-ignored) to look at."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from casework.services.effective_dates import today as vn_today
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE
from tests.referrals.conftest import draft, loop, sent  # noqa: F401  (fixtures)

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


def _focused(page, field_id: str) -> None:
    """The page moves the focus to ``field_id`` once loaded (its script runs after load)."""
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id",
                           arg=field_id, timeout=5000)


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
    _focused(page, "date_of_birth")
    assert _in_view(page, "#date_of_birth")
    assert page.locator("[data-error-summary] li").count() == 4
    _seen(page, f"phone-d1-intake-errors-{_tag(size)}")


@WIDTHS
def test_the_confirmation_is_seen_where_the_page_lands_after_an_action(
        size, sized_page, make_user, make_case, make_need, org, browser_login):
    page = sized_page
    case = make_case(org.c1, full_name="Lê Thị Hoa")
    for category in ("loans", "jobs", "legal_aid", "health_hiv"):  # a long page
        make_need(case, category)
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto(f"/cases/{case.id}/follow-ups/new")
    page.fill("#title", "Gọi lại")
    page.fill("#due_on", vn_today().strftime("%d/%m/%Y"))
    page.click("main form input[type=submit]")
    page.wait_for_url("**#follow-ups")
    message = page.get_by_role("status").filter(has_text="Đã thêm việc theo dõi")
    assert message.is_visible()
    assert _in_view(page, "#flashes"), "the confirmation is off screen"
    assert _in_view(page, "#follow-ups")
    _seen(page, f"phone-d2-confirmation-{_tag(size)}")


def _nav_links_reachable(page: Any, size: dict[str, int]) -> list[str]:
    """Open the menu if it is folded; return the labels of links not wholly on screen."""
    toggle = page.locator(".mainnav__toggle")
    if toggle.is_visible():
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
    cut = page.evaluate(
        """() => [...document.querySelectorAll('.mainnav a')].filter((a) => {
             const r = a.getBoundingClientRect();
             return !(r.width > 0 && r.left >= 0 && r.right <= window.innerWidth
                      && a.scrollWidth <= a.clientWidth + 1);
           }).map((a) => a.textContent.trim())""")
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    return list(cut)


@WIDTHS
@pytest.mark.parametrize("role", ["supervisor", "partner"])
def test_every_menu_destination_is_on_screen_without_guessing(
        size, role, sized_page, make_user, make_provider, org, browser_login):
    page = sized_page
    user = (make_user("supervisor", unit=org.province) if role == "supervisor"
            else make_user("partner", provider=make_provider()))
    browser_login(page, user)
    labels = page.locator(".mainnav a").all_inner_texts()
    assert "Tài khoản của tôi" in [label.strip() for label in labels]
    if role == "supervisor":
        assert len(labels) >= 5
    assert _nav_links_reachable(page, size) == []
    _seen(page, f"phone-d4-menu-{role}-{_tag(size)}")
    if size is PHONE:  # one tap opened everything; a destination is one more tap away
        page.locator(".mainnav a", has_text="Tài khoản của tôi").click()
        page.wait_for_url("**/account")
        assert "Tài khoản của tôi" in page.locator(".mainnav__toggle").inner_text()


@WIDTHS
def test_answer_panels_look_tappable_and_state_their_consequences(
        size, sized_page, sent, loop, browser_login):  # noqa: F811
    page = sized_page
    browser_login(page, loop.partner)
    page.goto(f"/partner/referrals/{sent.id}")
    summaries = page.locator(".action-panel > summary")
    assert summaries.count() >= 3  # accept, decline, on hold
    for i in range(summaries.count()):
        summary = summaries.nth(i)
        style = summary.evaluate(
            "(el) => { const s = getComputedStyle(el); return [s.cursor, s.borderTopWidth]; }")
        assert style[0] == "pointer"
        assert style[1] != "0px"  # drawn as a control, not as text on a card
        assert summary.locator(".action-panel__consequence").inner_text().strip()
        assert summary.bounding_box()["height"] >= 44  # a finger-sized target
    decline = page.locator(".action-panel", has=page.locator("button[data-action=decline]"))
    decline.locator("summary").click()
    assert decline.locator("button[data-action=decline]").is_visible()
    _seen(page, f"phone-d3-answer-panels-{_tag(size)}")

    page.context.clear_cookies()
    browser_login(page, loop.caseworker)
    page.goto(f"/referrals/{sent.id}")
    number = page.locator(f"a:has-text('{loop.case.case_number}')").first
    assert number.evaluate("(el) => el.getClientRects().length") == 1  # one line, not three
    cancel = page.locator(".action-panel").last
    assert "không còn thấy" in cancel.locator(".action-panel__consequence").inner_text()
    cancel.locator("summary").click()
    assert cancel.locator("button[type=submit]").is_visible()
    _seen(page, f"phone-d3-cancel-panel-{_tag(size)}")


@WIDTHS
def test_dates_are_typed_and_shown_day_first_in_an_english_browser(
        size, browser, live_server, make_user, org, browser_login):
    context = browser.new_context(base_url=live_server, viewport=size, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        browser_login(page, make_user("caseworker", unit=org.c1))
        page.goto("/cases/new")
        assert page.get_attribute("#date_of_birth", "type") == "text"  # no locale date picker
        assert page.get_attribute("#intake_date", "placeholder") == "dd/mm/yyyy"
        assert page.input_value("#intake_date") == vn_today().strftime("%d/%m/%Y")
        page.fill("#full_name", "Đỗ Thị Ngày")
        page.fill("#date_of_birth", "03/04/1997")  # 3 April, not 4 March
        page.select_option("#group", "left_sex_work")
        page.select_option("#referral_source", "self")
        page.click("main form input[type=submit]")
        page.wait_for_url("**/cases/*")
        assert "03/04/1997" in page.locator(".case-facts").inner_text()
        _seen(page, f"phone-d8-dates-{_tag(size)}")
    finally:
        context.close()


@WIDTHS
def test_implausible_age_and_a_name_without_letters_are_refused_saying_why(
        size, sized_page, make_user, org, browser_login):
    page = sized_page
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto("/cases/new")
    six = vn_today().replace(year=vn_today().year - 6, day=1)
    page.fill("#full_name", "😀😀 🎉")
    page.fill("#date_of_birth", six.strftime("%d/%m/%Y"))
    page.select_option("#group", "left_sex_work")
    page.select_option("#referral_source", "self")
    page.click("main form input[type=submit]")
    assert "6 tuổi" in page.inner_text("#date_of_birth-error")
    assert "chữ cái" in page.inner_text("#full_name-error")
    _seen(page, f"phone-d9-plausibility-{_tag(size)}")


@WIDTHS
def test_a_long_note_is_counted_and_refused_not_cut(
        size, sized_page, make_user, make_case, org, browser_login):
    page = sized_page
    case = make_case(org.c1)
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto(f"/cases/{case.id}/notes/new")
    assert "5.000" in page.inner_text("#body-count")  # the limit is stated
    page.fill("#body", "a" * 20_000)
    assert len(page.input_value("#body")) == 20_000  # not cut by the browser
    assert "15.000" in page.inner_text("#body-count")  # too long by 15,000, as she types
    page.click("main form input[type=submit]")
    assert page.locator("#body-error").is_visible()
    assert len(page.input_value("#body")) == 20_000  # kept, to shorten
    assert page.locator(".timeline__entry").count() == 0
    _seen(page, f"phone-d10-note-counter-{_tag(size)}")
    page.goto(f"/cases/{case.id}")
    assert page.locator(".timeline__entry").count() == 0  # nothing saved


@WIDTHS
def test_back_and_submit_again_saves_a_note_once(
        size, sized_page, make_user, make_case, org, browser_login):
    page = sized_page
    case = make_case(org.c1)
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto(f"/cases/{case.id}/notes/new")
    page.fill("#body", "Đã gọi điện, chị khỏe")
    page.click("main form input[type=submit]")
    page.wait_for_url("**#timeline")
    page.go_back()
    page.wait_for_url("**/notes/new")
    if not page.input_value("#body"):  # a browser that forgets what was typed
        page.fill("#body", "Đã gọi điện, chị khỏe")
    page.click("main form input[type=submit]")
    page.wait_for_url("**#timeline")
    assert page.locator(".timeline__entry", has_text="Đã gọi điện").count() == 1
    _seen(page, f"phone-d11-saved-once-{_tag(size)}")


@WIDTHS
def test_consent_uses_checkboxes_covers_several_categories_and_prints_the_fields(
        size, sized_page, make_user, make_case, org, browser_login):
    page = sized_page
    case = make_case(org.c1)
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto(f"/cases/{case.id}/consents/new")
    assert page.locator("select[multiple]").count() == 0  # no Ctrl-click lists
    boxes = page.locator("#shared_fields input[type=checkbox]")
    assert boxes.count() == 5
    for i in range(5):  # every option on screen, none cut off
        box = boxes.nth(i).bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= size["width"]
    page.select_option("#purpose", "share")
    page.check("#service_category input[value=loans]")
    page.check("#service_category input[value=vocational_training]")
    page.check("#shared_fields input[value=address]")
    _seen(page, f"phone-d7-consent-form-{_tag(size)}")
    page.click("main form input[type=submit]")
    page.wait_for_url("**#next-step")  # no need yet: the journey's next step
    assert page.locator("#consents + ul .badge--ok").count() == 2  # one consent, two categories
    page.goto(f"/cases/{case.id}/consent-form")
    printed = page.inner_text("#consent-shared-fields")
    assert "☒ Địa chỉ hiện tại" in printed
    assert "☐ Số căn cước công dân (CCCD)" in printed
    assert "Vay vốn" in page.inner_text(".consent-sheet__table")
    page.screenshot(path=str(ARTIFACTS / f"phone-d7-consent-print-{_tag(size)}.png"),
                    full_page=True)


@WIDTHS
def test_a_duplicate_in_her_own_area_is_linked_and_one_outside_reveals_nothing(
        size, sized_page, make_user, make_case, org, browser_login):
    page = sized_page
    mine = make_case(org.c1, full_name="Vũ Thị Trùng", phone="0911222333")
    make_case(org.c3, full_name="Người Ngoài Vùng", phone="0911222333")
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto("/cases/new")
    page.fill("#full_name", "Vũ Thị Trùng")
    page.fill("#phone", "0911 222 333")
    page.select_option("#group", "left_sex_work")
    page.select_option("#referral_source", "self")
    page.click("main form input[type=submit]")
    warning = page.locator("#duplicate-warning")
    assert mine.case_number in warning.inner_text()
    assert "Huyện Hai" in warning.inner_text()  # the other: its district only
    assert "Người Ngoài Vùng" not in page.content()
    assert warning.locator("a").count() == 1
    _seen(page, f"phone-d6-duplicate-{_tag(size)}")
    warning.locator("a").click()
    page.wait_for_url(f"**/cases/{mine.id}")


@WIDTHS
def test_one_search_box_understands_a_name_and_asks_for_the_year(
        size, sized_page, make_user, make_case, org, browser_login):
    from datetime import date

    page = sized_page
    found = make_case(org.c1, full_name="Vũ Thị Tìm", date_of_birth=date(1994, 2, 3))
    browser_login(page, make_user("caseworker", unit=org.c1))
    page.goto("/cases")
    page.fill("#q", "Tìm")
    page.click("form[role=search] button[type=submit]")
    assert "họ tên đầy đủ" in page.inner_text("#q-error")  # a given name alone: what to do
    page.fill("#q", "Vu Thi Tim")  # typed without accents
    page.click("form[role=search] button[type=submit]")
    assert "năm sinh" in page.inner_text("#birth_year-error")
    _focused(page, "birth_year")
    assert "Không tìm thấy" not in page.inner_text("main")
    _seen(page, f"phone-d5-search-needs-year-{_tag(size)}")
    page.fill("#birth_year", "1994")
    page.click("form[role=search] button[type=submit]")
    assert found.case_number in page.inner_text(".case-list")  # (lists show the given name)
    page.fill("#birth_year", "")
    page.fill("#q", "Vũ Thị Tìm 1994")  # the year after the name, in the one box
    page.click("form[role=search] button[type=submit]")
    assert found.case_number in page.inner_text(".case-list")  # (lists show the given name)


@WIDTHS
def test_the_trend_chart_keeps_a_readable_size_and_scrolls_on_a_phone(
        size, sized_page, make_user, org, browser_login):
    page = sized_page
    browser_login(page, make_user("supervisor", unit=org.province))
    page.goto("/supervision/")
    chart = page.locator(".chart-figure img")
    assert chart.bounding_box()["width"] >= 500  # not squeezed to 330 px of tiny text
    assert page.locator(".chart-figure").get_attribute("tabindex") == "0"  # keyboard scroll
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    _seen(page, f"phone-d15-chart-{_tag(size)}")
