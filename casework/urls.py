"""URL helpers: the only way a ``next`` parameter becomes a redirect target."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import g, request

from casework.text import hostile_reason

MAX_NEXT_CHARS = 2000


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a local path on this site, else None.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks, control characters and
    anything that is not a path starting with a single slash.
    """
    if not target or len(target) > MAX_NEXT_CHARS:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target) or hostile_reason(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def current_page() -> str:
    """This page as a ``next`` value for the language switch, or "" (back to the home page).

    Only a GET of a real route: an unknown path (the 404 page) is never echoed back into the
    page. The path is re-quoted and must still pass :func:`safe_next`.
    """
    if request.method != "GET" or request.endpoint is None or request.endpoint == "static":
        return ""
    if g.get("casework_no_next"):  # a refused capability link: the page echoes nothing of it
        return ""
    path = quote(request.path, safe="/-._~!$&'()*+,;=:@")
    query = request.query_string.decode("utf-8", "replace")
    return safe_next(f"{path}?{query}" if query else path) or ""
