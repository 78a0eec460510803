"""Log scrubbing: mask Vietnamese phone numbers, 9/12-digit ID numbers, e-mail addresses and the
tokens of one-time links.

The filter rewrites every record that reaches a handler: the formatted message (msg and
args), the exception text and the stack text. It errs on the side of masking: any run of 9
or 12 digits is treated as an ID number. URLs are decoded first (``%2B84%20934...`` and
``+84+934...`` hide a phone from the patterns), and the query strings of search, merge and
sign-in pages are never logged at all: they hold what someone searched for.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, unquote_plus

if TYPE_CHECKING:
    from flask import Flask

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SEP = r"[ .\-]?"
# 0 or +84 / 84 / 0084, then 9 digits (mobile) or 10 (landline 02x), spaced in any groups.
PHONE = re.compile(rf"(?<![\d+])(?:(?:\+|00)?84{_SEP}|0)(?:\d{_SEP}){{8,9}}\d(?!\d)")
# 12-digit citizen ID (CCCD) and 9-digit ID card (CMND), plain or in groups of three.
ID12 = re.compile(rf"(?<!\d)\d{{3}}(?:{_SEP}\d{{3}}){{3}}(?!\d)")
ID9 = re.compile(rf"(?<!\d)\d{{3}}(?:{_SEP}\d{{3}}){{2}}(?!\d)")
# One-time links carry a capability in the path (access logs print paths): never logged.
LINK_TOKEN = re.compile(r"(/account/set-password/|/links/)[^\s?#\"'/]+")


# A path with its query string, as request lines show them; and any token with %-escapes.
URL_QUERY = re.compile(r"(?P<path>/[^\s?\"'#]*)\?(?P<query>[^\s\"'#]*)")
ESCAPED = re.compile(r"[^\s\"']*%[0-9A-Fa-f]{2}[^\s\"']*")
# Search and merge pages (and sign-in, whose next= may carry one): query strings withheld.
WITHHELD_QUERY_PATHS = re.compile(
    r"^/(?:cases|referrals/providers|supervision/access-log|login)(?:[/.]|$)")
WITHHELD = "[query withheld]"
# Decoded from a URL, even TAB, CR and LF are shown as U+FFFD: one request, one log line.
_DECODED_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _unescape(text: str, *, plus: bool) -> str:
    """Percent-decode (repeatedly: a double-encoded phone is still a phone), then make any
    decoded control character visible so an encoded newline cannot forge a log line."""
    for _ in range(3):
        decoded = unquote_plus(text) if plus else unquote(text)
        if decoded == text:
            break
        text = decoded
    return _DECODED_CONTROL.sub("\ufffd", text)


def _url_query(match: re.Match[str]) -> str:
    path = _unescape(match["path"], plus=False)
    if WITHHELD_QUERY_PATHS.match(path):
        return f"{path}?{WITHHELD}"
    return f"{path}?{_unescape(match['query'], plus=True)}"


def decode_urls(text: str) -> str:
    """``text`` with query strings decoded (or withheld on search pages) and %-escapes decoded."""
    if "?" in text:
        text = URL_QUERY.sub(_url_query, text)
    if "%" in text:
        text = ESCAPED.sub(lambda m: _unescape(m.group(), plus=False), text)
    return text


def scrub(text: str) -> str:
    """``text`` with link tokens, e-mail addresses, phone numbers and ID numbers masked (URLs
    decoded first, so an encoded identifier is masked too)."""
    text = decode_urls(text)
    text = LINK_TOKEN.sub(r"\1[token]", text)
    text = EMAIL.sub("[email]", text)
    text = ID12.sub("[id]", text)
    text = PHONE.sub("[phone]", text)
    return ID9.sub("[id]", text)


class ScrubFilter(logging.Filter):
    """A filter (for handlers or loggers) that masks personal identifiers in each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_casework_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can, masked
            message = f"{record.msg} {record.args!r}"
        record.msg = scrub(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record._casework_scrubbed = True
        return True


def _attach(logger: logging.Logger, flt: ScrubFilter) -> None:
    if not any(isinstance(f, ScrubFilter) for f in logger.filters):
        logger.addFilter(flt)
    for handler in logger.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(flt)


def install_log_scrubbing(app: Flask) -> None:
    """Attach the filter to the root, app and werkzeug loggers and all their handlers.

    Handlers added later must be attached again (call this after configuring logging).
    """
    flt = ScrubFilter()
    for logger in (logging.getLogger(), app.logger, logging.getLogger("werkzeug"),
                   logging.getLogger("casework"), logging.getLogger("gunicorn.access"),
                   logging.getLogger("gunicorn.error")):
        _attach(logger, flt)
