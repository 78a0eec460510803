"""URL helpers: the only way a ``next`` parameter becomes a redirect target."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a local path on this site, else None.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks, control characters and
    anything that is not a path starting with a single slash.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
