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
