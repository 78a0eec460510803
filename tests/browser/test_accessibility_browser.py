"""Issue 13: every main page passes axe-core (vendored in tests/assets/, MPL-2.0) with no
serious or critical violation, at 360 px and 1280 px, for each role that opens it.

axe is injected with ``add_script_tag`` into a context with ``bypass_csp=True`` (the app's CSP
rightly blocks foreign scripts). The results per page are written to
test-artifacts/axe-<width>.json for review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE
from tests.referrals.conftest import draft, loop, sent  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def _pages(loop: Any, sent: Any) -> dict[str, list[str]]:  # noqa: F811
    case = loop.case
    return {
        "anonymous": ["/login"],
        "caseworker": [
            "/cases/worklist", "/cases", "/cases/new", f"/cases/{case.id}",
            f"/cases/{case.id}/consents/new", f"/cases/{case.id}/needs/new",
            f"/cases/{case.id}/notes/new", f"/cases/{case.id}/follow-ups/new",
            f"/cases/{case.id}/consent-form", f"/cases/{case.id}/edit",
            f"/referrals/new/{loop.need.id}",
            "/referrals/", f"/referrals/{sent.id}", "/referrals/notices",
            "/referrals/providers", "/account"],
        "partner": ["/partner/", f"/partner/referrals/{sent.id}", "/partner/performance"],
        "supervisor": ["/supervision/", "/supervision/access-log", "/supervision/outcomes",
                       "/supervision/partners", "/supervision/report", "/referrals/reviews",
                       f"/cases/{case.id}"],
        "admin": ["/admin/users", "/admin/units", "/admin/users/new"],
    }


def _audit(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
    }""")
    return list(result)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["360", "1280"])
def test_every_main_page_has_no_serious_accessibility_violation(
        size, browser, live_server, loop, sent, browser_login):  # noqa: F811
    users = {"caseworker": loop.caseworker, "partner": loop.partner,
             "supervisor": loop.supervisor, "admin": loop.admin}
    report: dict[str, Any] = {}
    for role, paths in _pages(loop, sent).items():
        context = browser.new_context(base_url=live_server, viewport=size, locale="vi-VN",
                                      bypass_csp=True)
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            if role in users:
                browser_login(page, users[role])
            for path in paths:
                response = page.goto(path)
                assert response is not None
                assert response.status < 400, (role, path, response.status)
                report[f"{role} {path}"] = _audit(page)
        finally:
            context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{size['width']}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1))
    blocking = {where: [v for v in found if v["impact"] in BLOCKING]
                for where, found in report.items()}
    assert {k: v for k, v in blocking.items() if v} == {}
