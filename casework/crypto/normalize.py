"""Vietnamese folding and phone/ID normalisation for blind indexes and duplicate checks.

Both the stored index and the search term go through the same function, so spelling
variants meet: hoà = hòa, thuỷ = thủy (the tone mark sits on a different vowel, which NFC
does not unify), and in the loose form "Nguyen Thi Lan" = "Nguyễn Thị Lan".
"""

from __future__ import annotations

import unicodedata

# The five Vietnamese tone marks as combining characters (after NFD):
# grave (huyền), acute (sắc), tilde (ngã), hook above (hỏi), dot below (nặng).
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _clean_chars(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch.isspace():  # NBSP, tabs, newlines, ideographic space...
            out.append(" ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):  # zero-width, controls, BOM, unassigned
            continue
        if category[0] in ("P", "S"):  # punctuation and symbols separate words
            out.append(" ")
            continue
        out.append(ch)
    return " ".join("".join(out).split())


def _fold_once(text: str, *, loose: bool) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKC", text.casefold())
    decomposed = unicodedata.normalize("NFD", text)
    if loose:
        # Drop every combining mark (tones and the vowel marks ˆ ˘ ̛), then đ → d.
        kept = "".join(c for c in decomposed if not unicodedata.combining(c))
        kept = kept.replace("đ", "d")
    else:
        kept = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", _clean_chars(kept))


def fold(text: str, *, loose: bool = False) -> str:
    """Fold a Vietnamese name or phrase; idempotent: fold(fold(x)) == fold(x).

    Strict form: NFKC, drop zero-width/control characters, NBSP → space, casefold, remove
    the five tone marks, punctuation → spaces, collapse whitespace. The loose form also
    removes vowel marks and maps đ → d.
    """
    previous, current = None, text
    for _ in range(4):  # reach the fixed point (casefold/NFKC interactions are rare)
        if current == previous:
            break
        previous, current = current, _fold_once(current, loose=loose)
    return current


def fold_loose(text: str) -> str:
    return fold(text, loose=True)


def _ascii_digits(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        value = unicodedata.decimal(ch, None)
        if value is not None:
            out.append(str(value))
    return "".join(out)


def normalize_phone(text: str) -> str:
    """Digits only; the +84 / 84 / 0084 country prefix becomes the domestic 0."""
    digits = _ascii_digits(text)
    if digits.startswith("0084"):
        digits = digits[2:]
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def normalize_national_id(text: str) -> str:
    """Digits only (9-digit CMND and 12-digit CCCD numbers are written with spaces or dots)."""
    return _ascii_digits(text)
