"""The one normaliser of stored text: every form text field, every service and the import.

:func:`normalize` gives the same value for the same visible text, wherever it was typed or
pasted: NFC; invisible format characters removed (bidi marks, embeddings, overrides and
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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

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


__all__ = ["BIDI_CONTROLS", "ZERO_WIDTH", "form_filter", "normalize", "normalize_optional"]
