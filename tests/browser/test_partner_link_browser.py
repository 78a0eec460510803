"""Partners without an account, in a real browser on the demo data (issue 12).

The Bank for Social Policies has no account: the caseworker prints the woman's slip, the bank's
officer opens the link on a 360 px phone, types the slip's code, accepts and confirms uptake;
the caseworker sees the notices and the dashboard counts her as partner-confirmed (link).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy import select

from casework import demo
from casework.extensions import db
from casework.models.referral import Referral
from casework.models.user import User

DEMO_LOGIN = demo.DEMO_PASSWORD


def _demo_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


def _closed_by_channel() -> Counter[str]:
    """Demo referrals with an uptake, by how it became known."""
    db.session.expire_all()
    return Counter(r.uptake_provenance for r in db.session.scalars(
        select(Referral).where(Referral.external_ref.like("demo-ref-%"),
                               Referral.uptake_on.is_not(None))))


def _provenance(page: Any, code: str) -> int:
    return int(page.inner_text(f"[data-testid=provenance-{code}]"))


def test_a_bank_without_an_account_closes_the_loop_by_link_on_a_phone(
        app, page, phone_page, browser_login, screenshot):
    demo.load_all()
    db.session.commit()
    before = _closed_by_channel()
    assert before == Counter({"partner_account": 2, "partner_link": 1, "caseworker_report": 1})
    referral = db.session.scalar(select(Referral).where(Referral.external_ref == "demo-ref-5"))
    assert referral.status == "sent"
    assert referral.provider.code == "NHCSXH-ND"

    supervisor = _demo_user("giamsat")
    browser_login(page, supervisor, DEMO_LOGIN)
    page.goto("/supervision/")
    link_before = _provenance(page, "partner_link")
    page.click("form[action='/logout'] button")

    # The caseworker prints her slip: the bank's name, the reference, the code, a QR code.
    browser_login(page, _demo_user("canbo.nghiason"), DEMO_LOGIN)
    page.goto(f"/referrals/{referral.id}")
    assert page.locator("[data-testid=partner-link-panel]").count() == 1
    page.click("[data-testid=print-slip]")
    page.wait_for_load_state()
    slip = page.locator("[data-testid=slip]")
    assert "Ngân hàng Chính sách xã hội" in slip.inner_text()
    assert referral.partner_reference in slip.inner_text()
    assert slip.locator("svg").count() == 1
    for word in ("bán dâm", "mại dâm", "nạn nhân", "hoàn lương"):  # nothing says why
        assert word not in slip.inner_text().lower()
    screenshot(page, "partner-link-slip-desktop")
    code = page.inner_text("[data-testid=slip-code]")
    url = page.input_value("[data-testid=link-url]")
    path = re.sub(r"^https?://[^/]+", "", url)

    # The bank's officer, on a phone, without an account.
    phone_page.goto(path)
    assert "Vũ Thị" not in phone_page.content()  # nothing before the code
    screenshot(phone_page, "partner-link-code-phone")
    phone_page.fill("#code", code.lower())
    phone_page.click("main form button[type=submit]")
    phone_page.wait_for_load_state()
    assert "Vũ" not in phone_page.content()  # demo shares the given name only, not the full
    screenshot(phone_page, "partner-link-referral-phone")
    phone_page.click("summary:has-text('Nhận')")
    phone_page.click("button[data-action=accept]")
    phone_page.wait_for_load_state()
    assert phone_page.locator("[data-testid=link-saved]").count() == 1
    assert "Đã nhận" in phone_page.inner_text("#referral-status")
    phone_page.click("summary:has-text('Xác nhận đã tiếp nhận dịch vụ')")
    phone_page.click("button[data-action=confirm_uptake]")
    phone_page.wait_for_load_state()
    assert phone_page.locator("[data-testid=link-done]").count() == 1
    screenshot(phone_page, "partner-link-done-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    phone_page.goto(path)  # used up: the plain page
    assert phone_page.locator("[data-testid=link-invalid]").count() == 1

    # The caseworker sees the notices and how the uptake is known.
    page.goto("/referrals/notices")
    notices = page.inner_text("main")
    assert "Giới thiệu dịch vụ đã được nhận" in notices
    assert "Người được hỗ trợ đã tiếp nhận dịch vụ" in notices
    page.goto(f"/referrals/{referral.id}")
    assert page.locator("[data-testid=uptake-by-link]").count() == 1
    screenshot(page, "partner-link-referral-desktop")
    page.click("form[action='/logout'] button")

    # The dashboard counts her as partner-confirmed (link).
    browser_login(page, supervisor, DEMO_LOGIN)
    page.goto("/supervision/")
    assert _provenance(page, "partner_link") == link_before + 1
    screenshot(page, "partner-link-dashboard-desktop")
    after = _closed_by_channel()
    assert after - before == Counter({"partner_link": 1})
