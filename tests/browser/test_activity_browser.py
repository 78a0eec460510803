"""The half-year loop in a real browser: a commune officer records a communication activity on
a phone and sends the half-year; the district approves it; the province's report shows target 3
met for that commune's district."""

from __future__ import annotations

import pytest

from casework.services.effective_dates import today

pytestmark = pytest.mark.browser


@pytest.fixture
def district_ready(org, make_user):
    """District D2's own communication activity for this half-year, approved by the province."""
    from casework.activity import records
    from casework.activity.targets import half_key
    from casework.extensions import db

    now = today()
    officer = make_user("caseworker", unit=org.d2)
    province = make_user("supervisor", unit=org.province)
    records.save_record(org.d2, "communication", records.RecordInput(
        held_on=now, form="loudspeaker", officers=4, members=120), now, actor=officer)
    found = records.submit(org.d2, half_key(now), now, actor=officer)
    records.review(found, "approved", "", now, actor=province)
    db.session.commit()
    return province


def test_commune_enters_district_approves_province_sees_target_3_met(
        page, phone_page, browser, live_server, make_user, org, browser_login, screenshot,
        district_ready):
    from casework.activity.targets import half_key

    key = half_key(today())
    officer = make_user("caseworker", unit=org.c3)
    browser_login(phone_page, officer)
    phone_page.goto("/activity/")
    phone_page.click("a:has-text('Hoạt động tuyên truyền')")
    phone_page.fill("#held_on", today().isoformat())
    phone_page.select_option("#form", "meeting")
    phone_page.fill("#officers", "3")
    phone_page.fill("#members", "85")
    phone_page.fill("#partners", "Công an xã")
    screenshot(phone_page, "activity-new-communication-phone")
    phone_page.click("main form button[type=submit]")
    phone_page.wait_for_load_state()
    assert "Công an xã" in phone_page.content()
    phone_page.click("button:has-text('Gửi báo cáo 6 tháng để duyệt')")
    phone_page.wait_for_load_state()
    assert "Chờ duyệt" in phone_page.content()
    screenshot(phone_page, "activity-index-phone")

    district = make_user("supervisor", unit=org.d2)
    context = browser.new_context(base_url=live_server, locale="vi-VN")
    district_page = context.new_page()
    browser_login(district_page, district)
    district_page.goto(f"/activity/reviews?period={key}")
    district_page.click(f"a[href='/activity/reviews/{org.c3.id}?period={key}']")
    district_page.wait_for_load_state()
    district_page.select_option("#decision", "approved")
    district_page.click("button:has-text('Lưu quyết định')")
    district_page.wait_for_load_state()
    screenshot(district_page, "activity-reviews-desktop")
    context.close()

    browser_login(page, district_ready)
    page.goto(f"/activity/report?period={key}")
    row = page.locator(f"#target-3 tr[data-unit='{org.d2.code}']")
    assert row.get_attribute("data-met") == "yes"
    assert "Đạt" in row.inner_text()
    other = page.locator(f"#target-3 tr[data-unit='{org.d1.code}']")
    assert other.get_attribute("data-met") == "no"
    screenshot(page, "activity-report-desktop")
