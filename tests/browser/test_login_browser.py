"""The main entry flow in a real browser: log in, a wrong password, the language, log out."""

from __future__ import annotations

import pytest

VIEWPORTS = ["page", "phone_page"]


@pytest.mark.parametrize("page_fixture", VIEWPORTS)
def test_wrong_password_then_login_language_and_logout(
    request, make_user, page_fixture, screenshot
):
    page = request.getfixturevalue(page_fixture)
    user = make_user("caseworker", username="canbo.thu")
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Đăng nhập"

    page.fill("#username", "canbo.thu")
    page.fill("#password", "mật khẩu sai rồi")
    page.click("form[action='/login'] button[type=submit]")
    error = page.locator("#password-error")
    assert "Sai tên đăng nhập hoặc mật khẩu" in error.inner_text()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert page.locator("#username").input_value() == "canbo.thu"  # what was typed is kept
    screenshot(page, f"login-error-{page_fixture}")

    page.fill("#password", "correct horse battery staple")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/cases/worklist")  # a caseworker starts at her worklist
    assert page.locator("h1").inner_text() == "Việc của tôi"
    screenshot(page, f"home-vi-{page_fixture}")

    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My work"
    # No horizontal scrolling at this width.
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    screenshot(page, f"home-en-{page_fixture}")

    page.click("text=Log out")
    page.wait_for_url("**/login")
    assert "You have logged out." in page.content()
    page.goto("/account")
    assert page.url.endswith("/login?next=/account")
    del user


def test_admin_logs_in_with_a_second_step(page, make_user, browser_login, screenshot):
    admin = make_user("admin")
    browser_login(page, admin)
    page.goto("/admin/users")
    assert page.locator("h1").inner_text() == "Tài khoản"
    screenshot(page, "admin-users")
