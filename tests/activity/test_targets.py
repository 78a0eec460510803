"""Every activity target, hand-counted over two half-years and three levels (see conftest)."""

from __future__ import annotations

import pytest

from casework.activity import records, targets
from casework.extensions import db
from casework.indicators import parse_period
from casework.services.errors import DomainError


def _figures(scope, key, today):
    return {t.number: t for t in targets.all_targets(scope, parse_period(key, today))}


def _m(target):
    return [(m.key, m.numerator, m.denominator, m.met) for m in target.measures]


# (period, target) -> [(measure, numerator, denominator, met)] for the province
PROVINCE = {
    "2025H1": {
        1: [("units", 3, 6, False)],
        2: [("officers", 30, 38, False), ("members", 1150, 1600, True)],
        3: [("districts", 1, 2, False), ("grassroots", 1, 3, False)],
        4: [("districts", 1, 2, False), ("grassroots", 1, 3, False)],
        7: [("trained", 7, 11, False)],
        8: [("units", 3, 6, False)],
    },
    "2025H2": {
        1: [("units", 4, 6, False)],
        2: [("officers", 28, 39, False), ("members", 910, 1800, False)],
        3: [("districts", 1, 2, False), ("grassroots", 2, 3, False)],
        4: [("districts", 1, 2, False), ("grassroots", 0, 3, False)],
        7: [("trained", 2, 11, False)],
        8: [("units", 2, 6, False)],
    },
    "2025": {
        1: [("units", 5, 6, False)],
        2: [("officers", 45, 59, False), ("members", 1980, 2800, True)],
        3: [("districts", 2, 2, True), ("grassroots", 2, 3, False)],
        4: [("districts", 2, 2, True), ("grassroots", 1, 3, False)],
        7: [("trained", 9, 16, False)],
        8: [("units", 2, 6, False)],
    },
}


@pytest.mark.parametrize("key", sorted(PROVINCE))
def test_the_province_figures_are_the_hand_counted_ones(activity_world, key):
    figures = _figures(activity_world.org.province, key, activity_world.today)
    assert {n: _m(figures[n]) for n in PROVINCE[key]} == PROVINCE[key]
    assert figures[5].measures[0].denominator == 0
    assert figures[5].met is None
    assert figures[6].recorded  # from the tip-off register, which holds nothing in this world
    assert [(m.numerator, m.denominator) for m in figures[6].measures] == [(0, 0)]
    assert figures[6].met is None


def test_the_province_breakdown_is_own_records_then_each_district(activity_world):
    t3 = _figures(activity_world.org.province, "2025", activity_world.today)[3]
    assert [(r.unit.code, r.own, [(m.numerator, m.denominator) for m in r.measures])
            for r in t3.rows] == [
        ("P", True, [(0, 0), (0, 0)]),
        ("D2", False, [(1, 1), (0, 1)]),  # Huyện Hai: its commune C3 was returned
        ("D1", False, [(1, 1), (2, 2)]),
    ]


def test_a_district_counts_its_own_records_and_its_approved_communes(activity_world):
    figures = _figures(activity_world.org.d1, "2025H2", activity_world.today)
    assert _m(figures[1]) == [("units", 3, 3, True)]
    assert _m(figures[3]) == [("districts", 0, 1, False), ("grassroots", 2, 2, True)]
    assert _m(figures[8]) == [("units", 1, 3, False)]


def test_a_returned_half_year_counts_once_approved(activity_world):
    world = activity_world
    c3 = world.org.c3
    found = records.submit(c3, "2025H1", world.today, actor=world.officer[c3])
    records.review(found, "approved", "", world.today, actor=world.sup[world.org.d2])
    db.session.commit()
    figures = _figures(world.org.province, "2025H1", world.today)
    assert _m(figures[3]) == [("districts", 1, 2, False), ("grassroots", 2, 3, False)]
    assert _m(figures[7]) == [("trained", 8, 12, False)]


def test_an_amendment_after_approval_is_counted_and_listed(activity_world):
    world = activity_world
    found = records.submission(world.org.c1, "2025H2")
    assert found.status == "approved"
    changes = {c["figure"]: (c["approved"], c["now"]) for c in
               records.amendments(found, world.today)}
    assert changes == {"communications": (1, 2), "members_reached": (50, 70)}


def test_a_submitted_half_year_refuses_changes_and_an_approved_one_wants_a_note(
        activity_world):
    world = activity_world
    with pytest.raises(DomainError) as waiting:
        records.save_record(world.org.d1, "communication", records.RecordInput(
            held_on=targets.date(2025, 10, 1), form="meeting", members=5), world.today,
            actor=None)
    assert waiting.value.field == "held_on"
    with pytest.raises(DomainError) as locked:
        records.save_record(world.org.c2, "communication", records.RecordInput(
            held_on=targets.date(2025, 10, 1), form="meeting", members=5), world.today,
            actor=None)
    assert locked.value.field == "amendment_note"


def test_what_is_missing_is_said_in_words(activity_world):
    gaps = records.missing(activity_world.org.d1, "2025H2", activity_world.today)
    assert any("Xã Một A" not in g and "Xã Một B" not in g for g in gaps)
    assert not any("Xã Một" in g for g in gaps)  # both communes approved
    gaps = records.missing(activity_world.org.d2, "2025H1", activity_world.today)
    assert any("Xã Hai A" in g for g in gaps)


def test_the_tipoff_register_maps_onto_target_6():
    from types import SimpleNamespace

    mapped = targets.from_target6(SimpleNamespace(due=4, in_time=3, in_progress=1, overdue=0,
                                                  rate=0.75))
    assert [(m.key, m.numerator, m.denominator, m.met) for m in mapped.measures] == [
        ("tipoffs", 3, 4, False)]
    assert mapped.recorded is True
