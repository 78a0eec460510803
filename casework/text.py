"""Text: how every stored value is normalised, and what no stored value may hold.

**Normalising** (:func:`normalize`), the one normaliser of stored text: every form text field,
every service and the import. It gives the same value for the same visible text, wherever it
was typed or pasted: NFC; invisible format characters removed (bidi marks, embeddings, overrides and
isolates U+200E/F, U+202A–202E, U+2066–2069, U+061C; zero-width U+200B–200D, U+2060, U+FEFF;
soft hyphen; every other Unicode "format" character), because they can reorder what a reader
sees ("Trojan source") or make two equal-looking values differ; lone surrogates removed
(they cannot be stored); trimmed. One line (the default): every control character and line
break becomes a space and runs of spaces become one. Several lines: line breaks become ``\\n``,
tabs stay, other control characters go, blank space at both ends goes.

Used by the forms (``casework.forms.FlaskForm`` filters every text field), by the services
(``effective_dates.clean_text``) and by the import (``imports/reader.clean_text``), so a value
is stored the same way whichever way it came in. Control characters are removed here even
where form input is refused earlier, because imported files do not pass through forms.
Search folding for blind indexes is separate (``crypto/normalize.py``): it also drops case,
tone marks and punctuation, which storage must keep.

**Refusing** (:func:`hostile_reason`): PostgreSQL refuses NUL in text and cannot encode a lone
surrogate; SQLite stores both. Either way such a value is never something a person typed: the
request guard answers 400 and the import reports the cell. Only C0/C1 control characters (TAB,
CR and LF allowed) and lone surrogates are refused here. Invisible *format* characters
(zero-width, bidi marks) are not: text fields strip those when they normalise what was typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

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

# Listed for the reader; every other category-Cf character goes as well.
BIDI_CONTROLS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_LINE_BREAKS_RE = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _keep(char: str, multiline: bool) -> str:
    category = unicodedata.category(char)
    if category in ("Cf", "Cs"):
        return ""
    if category == "Cc" and not (multiline and char in "\n\t"):
        return "" if multiline else " "
    return char


def _visible(text: str, multiline: bool) -> str:
    if text.isprintable() and not multiline:
        return text  # the common case: nothing to drop (isprintable is False for Cc/Cf/Cs/Z*)
    return "".join(_keep(c, multiline) for c in text)


def normalize(value: str, *, multiline: bool = False) -> str:
    """The stored form of ``value`` (see the module docstring); idempotent."""
    if multiline:
        text = _visible(_LINE_BREAKS_RE.sub("\n", value), multiline=True)
        return unicodedata.normalize("NFC", text).strip()
    return " ".join(unicodedata.normalize("NFC", _visible(value, multiline=False)).split())


def normalize_optional(value: str | None, *, multiline: bool = False) -> str | None:
    """:func:`normalize` for a value that may be missing (``None`` stays ``None``)."""
    return None if value is None else normalize(value, multiline=multiline)


def form_filter(multiline: bool = False) -> Callable[[object], object]:
    """A WTForms filter: the field's data normalised (``None`` and non-text left alone)."""

    def apply(value: object) -> object:
        return normalize(value, multiline=multiline) if isinstance(value, str) else value

    return apply
