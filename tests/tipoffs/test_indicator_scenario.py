"""A hand-counted scenario for target 6: 18 items over 2025's two half-years in three units.

Holidays entered: 30/04, 01/05, 01/09 and 02/09/2025. Deadlines: DOMAIN.md defaults (crime
tip-off 1 working day; classification 10 days; settling/forwarding 30 days).

item unit (held) | received | what happens | deadline | counts
--------------------------------------------------------------------------------------------
A1 | C1 | Tue 04/03 | crime, forwarded 05/03 | 05/03 | in time, 05/03
A2 | C1 | Fri 07/03 | crime, forwarded Tue 11/03 | Mon 10/03 | late, 10/03
A3 | C1 | Tue 29/04 | crime, forwarded Fri 02/05 (hol.) | 02/05 | in time, 02/05
A4 | C1 | 10/06 | complaint cl. 15/06, settled 05/07 | 10/07 | in time, 05/07
A5 | C1 (anonymous) | Fri 29/08 | crime, forwarded Wed 03/09 (hol.) | 03/09 | in time, 03/09
A6 | C1 | 20/12 | complaint cl. 22/12, never settled | 19/01/2026 | overdue, 19/01/2026
B1 | C2 → C3 on 05/02 | 03/02 | other auth. cl. 06/02, fwd 20/02 | 05/03 | in time, 20/02 @C3
B2 | C2 | 04/02 | duplicate of B1 (verified 07/02), filed | 14/02 | in time, 07/02
B3 | C2 | 02/05 | no content found 20/05 (late), filed | 12/05 | late, 12/05
B4 | C2 | 25/06 | complaint cl. 01/07, settled 30/07 | 25/07 | late, 25/07
B5 | C2 | Wed 01/10 | crime cl. 02/10, never forwarded | Thu 02/10 | overdue, 02/10
B6 | C2 (anonymous) | 03/11 | outside subject cl. 05/11, filed | 13/11 | in time, 05/11
C1 | C3 | Wed 15/01 | crime, forwarded 16/01 | 16/01 | in time, 16/01
C2 | C3 | Fri 27/06 | crime, fwd 01/07 | 30/06 | late, 30/06
C3 | C3 → C1 on 20/07 | 10/07 | complaint cl. 12/07, settled 05/08 | 09/08 | in time, 05/08 @C1
C4 | C3 | 10/09 | never classified | 20/09 | overdue, 20/09
C5 | C3 | Mon 29/12 | crime, forwarded Tue 30/12 | 30/12 | in time, 30/12
C6 | C3 (anonymous) | 20/03 | complaint cl. 25/03, settled 10/04 | 19/04 | in time, 10/04

Expected figures (due / in time / in progress / overdue), written by hand from the table:
"""

from __future__ import annotations

from datetime import date

import pytest

from casework.extensions import db
from casework.indicators import parse_period
from casework.tipoffs import indicator, service

KNOWN = date(2026, 1, 31)

# period key, as-of date -> unit code -> (due, in_time, in_progress, overdue)
EXPECTED = {
    ("2025H1", KNOWN): {"C1": (3, 2, 1, 0), "C2": (2, 1, 1, 0), "C3": (4, 3, 0, 0),
                        "D1": (5, 3, 2, 0), "D2": (4, 3, 0, 0), "P": (9, 6, 2, 0)},
    ("2025H2", KNOWN): {"C1": (3, 3, 1, 0), "C2": (3, 1, 0, 1), "C3": (2, 1, 0, 1),
                        "D1": (6, 4, 1, 1), "D2": (2, 1, 0, 1), "P": (8, 5, 1, 2)},
    ("2025", KNOWN): {"C1": (6, 5, 1, 0), "C2": (5, 2, 0, 1), "C3": (6, 4, 0, 1),
                      "D1": (11, 7, 1, 1), "D2": (6, 4, 0, 1), "P": (17, 11, 1, 2)},
    ("cum", KNOWN): {"C1": (7, 5, 0, 1), "C2": (5, 2, 0, 1), "C3": (6, 4, 0, 1),
                     "P": (18, 11, 0, 3)},
    # The first half-year as it stood on its last day: A4, B4 and C2 (deadline that very day)
    # were still in progress.
    ("2025H1", date(2025, 6, 30)): {"C1": (3, 2, 1, 0), "C2": (2, 1, 1, 0), "C3": (3, 3, 1, 0),
                                    "P": (8, 6, 3, 0)},
    # A6 falls due in 2026's first half, overdue.
    ("2026H1", KNOWN): {"C1": (1, 0, 0, 1), "C2": (0, 0, 0, 0), "C3": (0, 0, 0, 0),
                        "P": (1, 0, 0, 1)},
}


@pytest.fixture
def scenario(org, make_tipoff, in_request):
    for day, name in ((date(2025, 4, 30), "Giải phóng miền Nam"), (date(2025, 5, 1), "Lao động"),
                      (date(2025, 9, 1), "Quốc khánh"), (date(2025, 9, 2), "Quốc khánh")):
        service.add_holiday(day, name, actor=None)
    db.session.commit()
    d = date
    c1, c2, c3 = org.c1, org.c2, org.c3
    make_tipoff(c1, d(2025, 3, 4), classify=("crime", d(2025, 3, 4)),
                handle=("forwarded_police", d(2025, 3, 5)))
    make_tipoff(c1, d(2025, 3, 7), classify=("crime", d(2025, 3, 7)),
                handle=("forwarded_police", d(2025, 3, 11)))
    make_tipoff(c1, d(2025, 4, 29), classify=("crime", d(2025, 4, 29)),
                handle=("forwarded_police", d(2025, 5, 2)))
    make_tipoff(c1, d(2025, 6, 10), classify=("union_complaint", d(2025, 6, 15)),
                handle=("settled", d(2025, 7, 5)))
    make_tipoff(c1, d(2025, 8, 29), anonymous=True, classify=("crime", d(2025, 8, 29)),
                handle=("forwarded_police", d(2025, 9, 3)))
    make_tipoff(c1, d(2025, 12, 20), classify=("union_complaint", d(2025, 12, 22)))
    b1 = make_tipoff(c2, d(2025, 2, 3), transfer=(c3, d(2025, 2, 5)),
                     classify=("other_authority", d(2025, 2, 6)),
                     handle=("forwarded_authority", d(2025, 2, 20)))
    make_tipoff(c2, d(2025, 2, 4), verify=(d(2025, 2, 7), True, b1),
                handle=("filed", d(2025, 2, 7)))
    make_tipoff(c2, d(2025, 5, 2), verify=(d(2025, 5, 20), False, None),
                handle=("filed", d(2025, 5, 20)))
    make_tipoff(c2, d(2025, 6, 25), classify=("union_complaint", d(2025, 7, 1)),
                handle=("settled", d(2025, 7, 30)))
    make_tipoff(c2, d(2025, 10, 1), classify=("crime", d(2025, 10, 2)))
    make_tipoff(c2, d(2025, 11, 3), anonymous=True, classify=("outside_subject", d(2025, 11, 5)),
                handle=("filed", d(2025, 11, 5)))
    make_tipoff(c3, d(2025, 1, 15), classify=("crime", d(2025, 1, 15)),
                handle=("forwarded_police", d(2025, 1, 16)))
    make_tipoff(c3, d(2025, 6, 27), classify=("crime", d(2025, 6, 27)),
                handle=("forwarded_police", d(2025, 7, 1)))
    make_tipoff(c3, d(2025, 7, 10), classify=("union_complaint", d(2025, 7, 12)),
                transfer=(c1, d(2025, 7, 20)), handle=("settled", d(2025, 8, 5)))
    make_tipoff(c3, d(2025, 9, 10))
    make_tipoff(c3, d(2025, 12, 29), classify=("crime", d(2025, 12, 29)),
                handle=("forwarded_police", d(2025, 12, 30)))
    make_tipoff(c3, d(2025, 3, 20), anonymous=True, classify=("union_complaint", d(2025, 3, 25)),
                handle=("settled", d(2025, 4, 10)))
    return org


CASES = [(key, as_of, code, want) for (key, as_of), units in EXPECTED.items()
         for code, want in units.items()]


def test_the_hand_counted_figures(scenario):
    units = {"P": scenario.province, "D1": scenario.d1, "D2": scenario.d2, "C1": scenario.c1,
             "C2": scenario.c2, "C3": scenario.c3}
    wrong = []
    for key, as_of, code, want in CASES:
        period = parse_period(key, as_of, today=as_of)
        got = indicator.figures(units[code], period, as_of=as_of)
        if (got.due, got.in_time, got.in_progress, got.overdue) != want:
            wrong.append((key, as_of, code, want, got.as_dict()))
    assert wrong == []


def test_drill_down_and_breakdowns_add_up(scenario):
    period = parse_period("2025", KNOWN, today=KNOWN)
    result = indicator.compute(scenario.province, period, as_of=KNOWN)
    assert result.total.as_dict() == {"due": 17, "in_time": 11, "in_progress": 1, "overdue": 2}
    assert round(result.total.rate or 0, 4) == round(11 / 17, 4)
    assert result.units[0].direct
    assert result.units[0].unit.code == "P"
    assert {r.unit.code: r.figures.due for r in result.units} == {"P": 0, "D1": 11, "D2": 6}
    assert sum(f.due for f in result.by_class.values()) == 17
    assert sum(f.due for f in result.by_channel.values()) == 17
    assert result.by_class["crime"].as_dict() == {"due": 8, "in_time": 5, "in_progress": 0,
                                                  "overdue": 1}
    assert result.by_class["duplicate"].due == 1
    assert result.by_class["unclassified"].overdue == 1


def test_each_item_is_due_in_exactly_one_half_year(scenario):
    from collections import Counter

    seen: Counter[object] = Counter()
    for key in ("2025H1", "2025H2", "2026H1"):
        period = parse_period(key, KNOWN, today=KNOWN)
        for state in indicator.item_states(period, as_of=KNOWN):
            if state.due:
                seen[state.id] += 1
    assert len(seen) == 18
    assert set(seen.values()) == {1}


def test_overdue_items_for_reminders(scenario):
    late = indicator.overdue_items(KNOWN)
    assert len(late) == 3  # B5, C4, A6
    assert [o.deadline for o in late] == [date(2025, 9, 20), date(2025, 10, 2),
                                          date(2026, 1, 19)]
    assert {o.org_unit_id for o in late} == {scenario.c1.id, scenario.c2.id, scenario.c3.id}


def test_the_all_targets_report_shows_target_6_from_the_register(scenario):
    """The plan's report (issue 16) takes target 6 from this register, not a copy: the same
    hand-counted 2025 figures, with the drill-down by district."""
    from casework.activity import targets

    period = parse_period("2025", KNOWN, today=KNOWN)
    target6 = targets.target6_figures(scenario.province, period)
    assert target6.recorded
    assert [(m.numerator, m.denominator) for m in target6.measures] == [(11, 17)]
    assert target6.met is False
    by_unit = {row.unit.code: (row.measures[0].numerator, row.measures[0].denominator)
               for row in target6.rows if not row.own}
    assert by_unit == {scenario.d1.code: (7, 11), scenario.d2.code: (4, 6)}
    assert [t.number for t in targets.all_targets(scenario.province, period)] == list(range(1, 9))
