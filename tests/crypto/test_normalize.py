"""Vietnamese folding and phone/ID normalisation: golden vectors and idempotence."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.crypto.normalize import fold, fold_loose, normalize_national_id, normalize_phone


@pytest.mark.parametrize(("a", "b"), [
    ("hoà", "hòa"),                      # tone mark on a different vowel
    ("Thuỷ", "thủy"),
    ("Nguyễn\u00a0Thị Lan", "nguyễn thị lan"),  # NBSP
    ("Lan\u200b", "lan"),                # zero-width space
    ("\ufeffMai", "mai"),                # BOM
    ("ＬＡＮ", "lan"),                    # full-width letters
    ("Trần-Thị  Bích.", "trần thị bích"),  # punctuation and runs of spaces
    (unicodedata.normalize("NFD", "Phạm Thị Hà"), "Phạm Thị Hà"),
])
def test_strict_fold_unifies(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_strict_fold_golden_values() -> None:
    assert fold("Hoà") == "hoa"
    assert fold("Thuỷ") == "thuy"
    assert fold("Nguyễn Thị Lan") == "nguyên thi lan"   # vowel marks kept, tones gone
    assert fold("Đặng") == "đăng"
    assert fold("Ｌａｎ\u200b\u00a0Anh") == "lan anh"


@pytest.mark.parametrize(("a", "b"), [
    ("Đặng", "Dang"),
    ("Nguyen Thi Lan", "Nguyễn Thị Lan"),
    ("Lê Thị Thu Thuỷ", "le thi thu thuy"),
    ("Trương  Ngọc-Ánh", "truong ngoc anh"),
])
def test_loose_fold_unifies(a: str, b: str) -> None:
    assert fold_loose(a) == fold_loose(b)


def test_strict_keeps_vowel_marks_apart() -> None:
    assert fold("Đặng") != fold("Dang")
    assert fold("Ơn") != fold("On")


@settings(max_examples=500)
@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    loose = fold_loose(text)
    assert fold_loose(loose) == loose


@settings(max_examples=300)
@given(st.text())
def test_fold_output_has_no_controls_or_edge_spaces(text: str) -> None:
    out = fold_loose(text)
    assert out == out.strip()
    assert "  " not in out
    assert all(unicodedata.category(c)[0] != "C" for c in out)


@pytest.mark.parametrize("raw", [
    "0912345678", "0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678",
    "(+84) 912-345-678", "0084 912 345 678", "０９１２３４５６７８",
])
def test_phone_normalisation(raw: str) -> None:
    assert normalize_phone(raw) == "0912345678"


def test_landline_and_id_normalisation() -> None:
    assert normalize_phone("+84 24 3826 1234") == "02438261234"
    assert normalize_national_id("001 190 012 345") == "001190012345"
    assert normalize_national_id("CMND: 123.456.789") == "123456789"
