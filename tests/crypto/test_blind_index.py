"""Blind indexes: planning, loose Vietnamese search, phone/ID search, decrypt-and-filter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from casework.crypto import blind_index, new_subject, plan_bits
from casework.crypto.blind_index import expected_false_candidates
from casework.crypto.models import BlindIndexEntry
from casework.extensions import db


@pytest.mark.parametrize(("population", "bits"), [
    (200_000, 16), (100_000, 15), (1_000_000, 18), (1_000, 8), (10, 8), (10**13, 32),
])
def test_planned_bits(population: int, bits: int) -> None:
    assert plan_bits(population) == bits


@pytest.mark.parametrize("population", [600, 5_000, 200_000, 3_000_000])
def test_planned_coincidences_stay_between_c_and_2c(population: int) -> None:
    bits = plan_bits(population, coincidences=2)
    assert 2 <= expected_false_candidates(population, bits) < 4


def test_planning_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        plan_bits(0)


@pytest.mark.usefixtures("notes")
class TestSearch:
    def test_loose_name_and_birth_year(self, notes: Any, make_note: Callable[..., Any]) -> None:
        lan = make_note(full_name="Nguyễn Thị Lan", date_of_birth=date(1990, 2, 3))
        make_note(full_name="Nguyễn Thị Lan", date_of_birth=date(1985, 1, 1))
        make_note(full_name="Nguyễn Thị Lân", date_of_birth=date(1990, 5, 5))  # loose twin
        found = blind_index.find(db.session, notes, "name_birth_year", "nguyen thi lan", 1990)
        assert {n.id for n in found} >= {lan.id}
        assert all(n.date_of_birth.year == 1990 for n in found)
        assert len(found) == 2  # "Lân" folds to the same loose form, as designed
        assert blind_index.find(db.session, notes, "name_birth_year", "Nguyen Thi Lan", 1991) == []
        by_date = blind_index.find(db.session, notes, "name_birth_year", "NGUYỄN  THỊ LAN.",
                                   date(1990, 12, 31))
        assert lan in by_date

    @pytest.mark.parametrize("typed", ["+84 912 345 678", "0912.345.678", "84912345678"])
    def test_phone_in_any_format(self, notes: Any, make_note: Callable[..., Any],
                                 typed: str) -> None:
        note = make_note(phone="0912 345 678")
        make_note(phone="0987 000 111")
        assert blind_index.find(db.session, notes, "phone", typed) == [note]

    def test_national_id_and_scoped_search(self, notes: Any,
                                           make_note: Callable[..., Any]) -> None:
        note = make_note(national_id="001 190 012 345", category="general")
        assert blind_index.find(db.session, notes, "national_id", "001190012345") == [note]
        elsewhere = select(notes).where(notes.category == "other")
        assert blind_index.find(db.session, notes, "national_id", "001190012345",
                                within=elsewhere) == []

    def test_update_rewrites_the_index(self, notes: Any, make_note: Callable[..., Any]) -> None:
        note = make_note(phone="0912 345 678")
        note.phone = "0977 111 222"
        db.session.commit()
        assert blind_index.find(db.session, notes, "phone", "0912345678") == []
        assert blind_index.find(db.session, notes, "phone", "0977111222") == [note]
        rows = db.session.scalar(select(func.count()).select_from(BlindIndexEntry).where(
            BlindIndexEntry.row_id == note.id))
        assert rows == 3  # one per index

    def test_empty_terms_find_nothing(self, notes: Any, make_note: Callable[..., Any]) -> None:
        make_note(phone=None, national_id="")
        assert blind_index.find(db.session, notes, "phone", "") == []
        assert blind_index.find(db.session, notes, "national_id", "n/a") == []


def test_false_candidates_are_filtered_out(app_with_keys: Callable[..., Flask],
                                           notes_table: Callable[[], Any],
                                           make_many_notes: Callable[..., Any]) -> None:
    app = app_with_keys(index_bits=8)  # 256 buckets: coincidences are certain
    with app.app_context():
        model = notes_table()
        make_many_notes(400)
        values = db.session.scalars(select(BlindIndexEntry.value)).all()
        assert max(values) < 2**8
        for n in range(1000):
            phone = f"0300{n:06d}"  # never stored
            candidates = db.session.scalars(blind_index.candidates(model, "phone", phone)).all()
            if candidates:
                break
        assert candidates, "some bucket must be shared at 8 bits"
        assert blind_index.find(db.session, model, "phone", phone) == []
        stored = db.session.scalars(select(model).limit(1)).one()
        assert blind_index.find(db.session, model, "phone", stored.phone) == [stored]


def test_values_for_a_new_subject_are_written_in_one_flush(app: Flask, notes: Any) -> None:
    note = notes(subject=new_subject(), full_name="Phạm Hà", date_of_birth=date(2001, 1, 1),
                 phone="0911222333")
    db.session.add(note)
    db.session.commit()
    assert blind_index.find(db.session, notes, "phone", "0911 222 333") == [note]
