"""Browser fixtures: the app served from a thread on this test's database, driven by Playwright
through Debian's Chromium (never a downloaded browser; see /work/shared/TESTING.md).

Without /usr/bin/chromium these tests are skipped with a loud reason, except when
``CASEWORK_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import TEST_PASSWORD, next_totp_code

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
    if shutil.which(CHROMIUM) is None and os.environ.get("CASEWORK_REQUIRE_BROWSER") != "1":
        skip = pytest.mark.skip(reason=f"SKIPPED: {CHROMIUM} is missing (apt-get install chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` (this test's database) on a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _new_page(browser: Any, live_server: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(
        base_url=live_server, viewport=viewport, locale="vi-VN", accept_downloads=True
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A desktop-sized page whose relative URLs go to the live server."""
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Any, live_server: str) -> Iterator[Any]:
    """A 360 px wide page (the smallest phone we support)."""
    context, page = _new_page(browser, live_server, PHONE)
    yield page
    context.close()


@pytest.fixture
def browser_login() -> Callable[..., None]:
    """Log in through the real form, entering a TOTP code when asked."""

    def do_login(page: Any, user: Any, password: str = TEST_PASSWORD) -> None:
        page.goto("/login")
        page.fill("#username", user.username)
        page.fill("#password", password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        if page.url.endswith("/login/verify"):
            page.fill("#code", next_totp_code(user))
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
        assert "/login" not in page.url, f"login failed, still at {page.url}"

    return do_login


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under test-artifacts/ (git-ignored) to look at."""

    def take(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
