"""One normaliser for every stored text field, the same for forms and the import (issue 18,
finding 8): bidi marks, embeddings, isolates and zero-width characters never reach storage."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import flask_wtf
import pytest
from hypothesis import given
from hypothesis import strategies as st

import casework.blueprints
from casework import forms
from casework.text import BIDI_CONTROLS, ZERO_WIDTH, normalize

INVISIBLE = BIDI_CONTROLS + ZERO_WIDTH
# "Nguyễn" typed with decomposed marks, wrapped in a right-to-left override and its closer.
TRICKY = "\u202eNguye\u0302\u0303n\u202c Th\u200bị\u200e La\u061cn\u2069\u200d"


@pytest.mark.parametrize(("raw", "single", "multi"), [
    (TRICKY, "Nguyễn Thị Lan", "Nguyễn Thị Lan"),
    ("  a \u00a0 b\t\x01c ", "a b c", "a \u00a0 b\tc"),
    ("dòng 1\r\ndòng 2\rdòng 3\u2028dòng 4\n", "dòng 1 dòng 2 dòng 3 dòng 4",
     "dòng 1\ndòng 2\ndòng 3\ndòng 4"),
    ("\ufeff'0912\u200f345678", "'0912345678", "'0912345678"),
    ("\ud800x", "x", "x"),  # a lone surrogate cannot be stored
    ("", "", ""),
])
def test_golden_vectors(raw, single, multi):
    assert normalize(raw) == single
    assert normalize(raw, multiline=True) == multi


@given(st.text())
def test_idempotent_and_free_of_invisible_characters(text):
    for multiline in (False, True):
        once = normalize(text, multiline=multiline)
        assert normalize(once, multiline=multiline) == once
        assert not set(once) & set(INVISIBLE)


def test_every_form_normalises_its_text_fields():
    """Each form of every blueprint derives from casework.forms.FlaskForm."""
    found = []
    for module in pkgutil.iter_modules(casework.blueprints.__path__):
        try:
            mod = importlib.import_module(f"casework.blueprints.{module.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(mod, inspect.isclass):
            if issubclass(cls, flask_wtf.FlaskForm) and cls.__module__ == mod.__name__:
                found.append(cls)
                assert issubclass(cls, forms.FlaskForm), cls
    assert len(found) > 20
