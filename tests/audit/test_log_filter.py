"""Log scrubbing: phones, ID numbers and e-mail addresses never reach a log line."""

from __future__ import annotations

import io
import logging

import pytest
from flask import Flask

from casework.logging_filters import ScrubFilter, install_log_scrubbing, scrub


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("casework.tests.scrub")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


@pytest.mark.parametrize(("raw", "masked"), [
    ("0912345678", "[phone]"),
    ("0912 345 678", "[phone]"),
    ("0912.345.678", "[phone]"),
    ("+84 912 345 678", "[phone]"),
    ("84912345678", "[phone]"),
    ("024 3826 1234", "[phone]"),
    ("123456789", "[id]"),
    ("001190012345", "[id]"),
    ("001 190 012 345", "[id]"),
    ("lan.nguyen@example.com.vn", "[email]"),
])
def test_scrub_masks(raw: str, masked: str) -> None:
    assert scrub(f"x {raw} y") == f"x {masked} y"


@pytest.mark.parametrize("harmless", [
    "2026-11-29 15:43:35", "took 1234 ms", "case 42 of 3000", "v1.2.3", "12345678",
])
def test_scrub_leaves_ordinary_numbers(harmless: str) -> None:
    assert scrub(harmless) == harmless


def test_filter_masks_msg_args_and_exceptions(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("call 0912345678 about %s", "lan@example.vn")
    logger.info("ids %(a)s %(b)s", {"a": "001190012345", "b": 123456789})
    try:
        raise ValueError("bad id 079190000111 for +84 987 654 321")
    except ValueError:
        logger.exception("failed for %s", "0987654321")
    text = stream.getvalue()
    for secret in ("0912345678", "lan@example.vn", "001190012345", "123456789",
                   "079190000111", "987 654 321", "0987654321"):
        assert secret not in text
    assert text.count("[phone]") >= 3
    assert "ValueError: bad id [id] for [phone]" in text


def test_install_attaches_to_root_and_app_handlers(app: Flask) -> None:
    root_handler = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(root_handler)
    try:
        install_log_scrubbing(app)
        handlers = [root_handler, *app.logger.handlers]
        assert handlers
        assert all(any(isinstance(f, ScrubFilter) for f in h.filters) for h in handlers)
        install_log_scrubbing(app)  # idempotent
        assert sum(isinstance(f, ScrubFilter) for f in root_handler.filters) == 1
    finally:
        logging.getLogger().removeHandler(root_handler)


# --- URLs: decode before masking; search and merge pages keep their query strings out ----------

def _request_line(target: str) -> str:
    """A request log line as werkzeug's server writes it."""
    return f'127.0.0.1 - - [30/Nov/2026 07:00:00] "GET {target} HTTP/1.1" 200 -'


@pytest.mark.parametrize("target", [
    "/supervision/report?unit=3&q=%2B84%20934%20517%20286",
    "/supervision/report?unit=3&q=%2B84+934+517+286",
    "/supervision/report?q=0934%2E517%2E286",
    "/supervision/report?q=%25%32%42%38%34%20934%20517%20286",  # encoded twice
    "/nothing/%2B84%20934%20517%20286",
    "/supervision/report?mail=lan%40example.vn",
])
def test_encoded_identifiers_in_urls_are_masked(captured, target):
    logger, stream = captured
    logger.info("%s", _request_line(target))
    text = stream.getvalue()
    assert "934" not in text
    assert "517" not in text
    assert "lan" not in text
    assert "/supervision/report?" in text or "/nothing/" in text


@pytest.mark.parametrize("target", [
    "/referrals/providers?q=%2B84%20934%20517%20286",
    "/referrals/providers?q=Trung+t%C3%A2m+Lan",
    "/supervision/access-log?user=lan&case=HS-00012",
    "/cases/0b6c6a3e-8d8e-4a59-9d5e-6a3d1c2b7f10/merge?other=HS-00012",
    "/cases?q=Nguy%E1%BB%85n",
    "/login?next=/referrals/providers%3Fq%3DLan",
])
def test_search_and_merge_query_strings_are_never_logged(captured, target):
    logger, stream = captured
    logger.info("%s", _request_line(target))
    text = stream.getvalue()
    path = target.split("?")[0]
    assert f"{path}?[query withheld]" in text
    for secret in ("934", "Lan", "lan", "HS-00012", "Nguy"):
        assert secret not in text


def test_an_encoded_newline_cannot_forge_a_log_line(captured):
    logger, stream = captured
    logger.info("%s", _request_line("/x%0A127.0.0.1%20-%20-%20fake%0D"))
    assert stream.getvalue().count("\n") == 1


def test_plain_percent_signs_and_question_marks_stay(captured):
    assert scrub("took 100% of 5 s; why?") == "took 100% of 5 s; why?"
    assert scrub("GET /supervision/report?unit=3&period=2026-Q3") == \
        "GET /supervision/report?unit=3&period=2026-Q3"
