"""The characters no stored value may hold, checked the same way for requests and imports.

PostgreSQL refuses NUL in text and cannot encode a lone surrogate; SQLite stores both. Either
way such a value is never something a person typed: the request guard answers 400 and the import
reports the cell. Only C0/C1 control characters (TAB, CR and LF allowed) and lone surrogates are
refused here. Invisible *format* characters (zero-width, bidi marks) are not: text fields strip
those when they normalise what was typed.
"""

from __future__ import annotations

import re

# C0 except TAB, LF, CR; DEL; C1; UTF-16 surrogate code points (never valid on their own).
_HOSTILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def hostile_reason(value: str, *, max_length: int | None = None) -> str | None:
    """Why ``value`` may not be stored ("too_long", "control", "surrogate"), or None if it may."""
    if max_length is not None and len(value) > max_length:
        return "too_long"
    match = _HOSTILE.search(value)
    if match is None:
        return None
    return "surrogate" if "\ud800" <= match.group() <= "\udfff" else "control"


def replace_hostile(value: str) -> str:
    """``value`` with each refused character shown as U+FFFD (to hand a rejected cell back)."""
    return _HOSTILE.sub("\ufffd", value)


def ascii_digits(text: str) -> bool:
    """True for a non-empty run of 0-9 only (``str.isdigit`` also passes "²", which ``int``
    refuses, and other scripts' digits)."""
    return text.isascii() and text.isdigit()


def int32(value: str | int) -> int:
    """``int(value)`` when it fits a 32-bit signed column, else ValueError (ids, counts, days).

    Used as the ``coerce`` of every select of ids, so an out-of-range id is a form error, never a
    driver error on PostgreSQL.
    """
    if isinstance(value, str) and len(value.strip()) > 11:
        raise ValueError("out of range")
    number = int(value)
    if not INT32_MIN <= number <= INT32_MAX:
        raise ValueError("out of range")
    return number
