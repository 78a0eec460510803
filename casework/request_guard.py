"""One guard for every request value: bytes no field may hold are refused with a 400 page.

Before any view runs, the query string, the form body, JSON bodies and the names of uploaded
files are checked with :func:`casework.text.hostile_reason`: C0/C1 control characters (TAB, CR
and LF allowed), lone surrogates, bytes that are not UTF-8, and values longer than
``CASEWORK_MAX_VALUE_CHARS`` (forms keep their own, smaller limits and messages). Such a request
gets the "invalid input" page in the user's language and a rollback: never a 500 from the
database driver (PostgreSQL refuses NUL), never a half-written row. A refused sign-in is still
audited as ``login.failed`` (reason ``invalid_input``), without the value.

Integers are range-checked where they are parsed (URL converters, :func:`casework.text.int32`
as the ``coerce`` of id selects), since only the view knows which values are numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import BadRequest

from casework import audit
from casework.extensions import db
from casework.text import INT32_MAX, INT32_MIN, hostile_reason

log = logging.getLogger("casework.request_guard")

# Ten times the longest text field (a case history, 10,000 characters): only absurd values stop
# here; anything shorter reaches the form, which says "at most N characters" on the field.
DEFAULT_MAX_VALUE_CHARS = 100_000
FORM_MIMETYPES = ("application/x-www-form-urlencoded",)
LOGIN_ENDPOINTS = ("auth.login",)


class HostileInput(BadRequest):
    """A request value no field may hold; ``reason`` is a code, never the value."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def _max_chars() -> int:
    return int(current_app.config.get("CASEWORK_MAX_VALUE_CHARS", DEFAULT_MAX_VALUE_CHARS))


def _undecodable(raw: bytes) -> bool:
    """True when percent-decoded ``raw`` (a query string or form body) is not valid UTF-8."""
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _json_strings(value: Any) -> Iterator[str | int]:
    if isinstance(value, str | int) and not isinstance(value, bool):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _check(values: Iterable[str | int], limit: int) -> None:
    for value in values:
        if isinstance(value, int):
            if not INT32_MIN <= value <= INT32_MAX:
                raise HostileInput("out_of_range")
            continue
        reason = hostile_reason(value, max_length=limit)
        if reason:
            raise HostileInput(reason)


def _pairs(multidict: Any) -> Iterator[str]:
    for key, values in multidict.lists():
        yield key
        yield from (v for v in values if isinstance(v, str))


def keep_raw_form_body() -> None:
    """Keep the bytes of a url-encoded body so the guard can check them after CSRF parsed it.

    Runs first of all before-request hooks; reading is bounded by MAX_CONTENT_LENGTH (413).
    """
    if request.mimetype in FORM_MIMETYPES:
        request.get_data(cache=True)


def check_request() -> None:
    """Raise :class:`HostileInput` for the first value in the request that no field may hold."""
    limit = _max_chars()
    if hostile_reason(request.path):
        raise HostileInput("control")
    if _undecodable(request.query_string):
        raise HostileInput("undecodable")
    _check(_pairs(request.args), limit)
    if request.mimetype in FORM_MIMETYPES and _undecodable(request.get_data(cache=True)):
        raise HostileInput("undecodable")
    if request.mimetype in FORM_MIMETYPES or request.mimetype == "multipart/form-data":
        _check(_pairs(request.form), limit)
        for key, files in request.files.lists():
            _check([key, *(f.filename or "" for f in files)], limit)
    if request.is_json:
        data = request.get_json(silent=True)
        if data is None and request.get_data(cache=True).strip():
            raise HostileInput("undecodable")
        _check(_json_strings(data), limit)


def refused(error: HostileInput):  # type: ignore[no-untyped-def]
    """The 400 page for hostile input; a refused sign-in still leaves a login.failed event."""
    db.session.rollback()
    log.warning("refused request input (%s) on %s", error.reason, request.endpoint)
    if request.endpoint in LOGIN_ENDPOINTS and request.method == "POST":
        audit.defer("login.failed", outcome="denied", details={"reason": "invalid_input"})
    too_long = error.reason == "too_long"
    return render_template("errors/invalid_input.html", status=400, too_long=too_long), 400


def init_app(app: Flask) -> None:
    """Wire the guard: keep raw form bytes first, check after CSRF and rate limits, before views."""
    app.before_request_funcs.setdefault(None, []).insert(0, keep_raw_form_body)
    app.before_request(check_request)
    app.register_error_handler(HostileInput, refused)
