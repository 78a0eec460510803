"""Target 5, computed by hand on a small province and checked against ``casework.indicators``.

Period 2024H1 = 01/01/2024 – 30/06/2024. Units: P → D1 (C1, C2); P → D2 (C3).
Partners X and Y. Every case below belongs to the target group unless its letter says otherwise.

=====  ====  =====================================================  ========  =========
case   unit  story                                                  eligible  connected
=====  ====  =====================================================  ========  =========
A      C1    need 2023, uptake via X on 10/02/2024 (346 days)        yes       yes
B      C1    intake 2024, need identified after the period           no        -
C      C1    uptake via X on 05/07/2024: after the period            yes       no (stage 2)
D      C2    closed on 31/12/2023, before the period                 no        -
E      C1→C3 transferred to C3 on 01/03/2024, no referral            yes (C3)  no
F      C2    two needs, three referrals, uptakes 20/01 and 01/03     yes once  yes (15 days)
G      C2    declined by Y, re-referred to X, uptake 15/04 (86 d)    yes       yes
H      C3    erased; uptake via Y on 01/05/2024 (61 days)            yes       yes
I      C1    trafficking returnee, connected                         other     other
J      C3    woman at high risk, no referral                         other     other
K      C2    only need ended 01/12/2023                              no        -
L      C1    referral sent to X, not answered                        yes       no (stage 1)
M      C1    referral accepted by Y, no uptake yet                   yes       no (stage 2)
N      C3→C2 transferred 01/02/2024, closed 30/04/2024               yes (C2)  no
O      C1    closed 31/03/2024, custody moved to C3 on 01/05/2024    yes (C1)  no
Q      C1    need identified before her intake                       no        -
R      C1    merged into A (a duplicate of the same woman)           no        -
=====  ====  =====================================================  ========  =========

Eligible 10 (D1: 8, D2: 2), connected 4 (D1: 3, D2: 1); median of 15, 61, 86, 346 = 73.5.
"""

from __future__ import annotations

from datetime import date

import pytest

from casework import indicators
from casework.extensions import db

H1 = indicators.parse_period("2024H1", today=date(2025, 1, 1))


def _ids(scope, period=H1):
    return {row.case_id for row in db.session.execute(indicators.eligible_case_ids(scope, period))
            if row.grp == "left_sex_work"}


def test_the_eligible_women_are_exactly_the_hand_counted_ones(scenario):
    s = scenario
    expected = {c.id for c in (s.a, s.c, s.e, s.f, s.g, s.h, s.l, s.m, s.n, s.o)}
    assert _ids(s.org.province) == expected


def test_province_totals_rate_and_pipeline(scenario):
    result = indicators.compute(scenario.org.province, H1)
    assert (result.total.eligible, result.total.connected) == (10, 4)
    assert result.total.rate == pytest.approx(0.4)
    assert result.total.below_target
    assert (result.total.awaiting_answer, result.total.awaiting_uptake) == (1, 2)


def test_drill_down_counts_each_woman_in_the_unit_that_held_her_at_the_end(scenario):
    s = scenario
    province = indicators.compute(s.org.province, H1)
    by_unit = {row.unit.code: (row.figures.eligible, row.figures.connected)
               for row in province.children}
    assert by_unit == {"D1": (8, 3), "D2": (2, 1)}
    district = indicators.compute(s.org.d1, H1)
    by_unit = {row.unit.code: (row.figures.eligible, row.figures.connected)
               for row in district.children}
    # E moved to C3 mid-period; N came from C3 to C2 and closed there; O closed in C1 before
    # its custody moved: each counts where she was on her last open day in the period.
    assert by_unit == {"C1": (5, 1), "C2": (3, 2)}
    assert _ids(s.org.c3) == {s.e.id, s.h.id}
    assert s.o.id in _ids(s.org.c1)


def test_other_groups_are_counted_separately_and_never_mixed(scenario):
    result = indicators.compute(scenario.org.province, H1)
    assert result.other_groups["trafficking_returnee"].as_dict()["eligible"] == 1
    assert result.other_groups["trafficking_returnee"].connected == 1
    assert (result.other_groups["high_risk"].eligible,
            result.other_groups["high_risk"].connected) == (1, 0)
    assert result.total.eligible == 10


def test_breakdown_by_service_category(scenario):
    result = indicators.compute(scenario.org.province, H1)
    got = {b.key: (b.eligible, b.connected) for b in result.categories}
    assert got == {"vocational_training": (3, 2), "loans": (3, 2), "jobs": (3, 0),
                   "legal_aid": (1, 0), "health_hiv": (1, 1)}


def test_breakdown_by_partner(scenario):
    s = scenario
    result = indicators.compute(s.org.province, H1)
    got = {b.key: (b.eligible, b.connected) for b in result.partners}
    assert got == {s.x.id: (5, 3), s.y.id: (4, 2)}


def test_median_days_from_need_identified_to_uptake(scenario):
    result = indicators.compute(scenario.org.province, H1)
    assert result.median_n == 4
    assert result.median_days == pytest.approx(73.5)
    district2 = indicators.compute(scenario.org.d2, H1)
    assert (district2.median_days, district2.median_n) == (61.0, 1)


def test_an_earlier_half_year_sees_the_uptake_that_came_later_as_not_yet_connected(scenario):
    s = scenario
    h2 = indicators.parse_period("2023H2", today=date(2025, 1, 1))
    assert _ids(s.org.province, h2) == {s.a.id, s.d.id, s.e.id, s.k.id, s.n.id, s.o.id}
    assert indicators.totals(s.org.province, h2).connected == 0
    result = indicators.compute(s.org.d2, h2)
    assert result.total.eligible == 1  # N was still held by C3 then


def test_cumulative_and_as_of(scenario):
    s = scenario
    cumulative = indicators.parse_period("cum", date(2024, 6, 30))
    assert cumulative.start == date(2021, 1, 1)
    assert _ids(s.org.province, cumulative) == {
        c.id for c in (s.a, s.c, s.d, s.e, s.f, s.g, s.h, s.k, s.l, s.m, s.n, s.o)}
    as_of_march = indicators.parse_period("2024H1", date(2024, 3, 15))
    assert as_of_march.end == date(2024, 3, 15)
    figures = indicators.totals(s.org.province, as_of_march)
    # By 15/03: A and F connected; G (15/04) and H (01/05) not yet; L and M not yet open.
    assert (figures.eligible, figures.connected) == (8, 2)


def test_year_and_half_year_periods(scenario):
    year = indicators.parse_period("2024", today=date(2025, 1, 1))
    assert (year.start, year.end) == (date(2024, 1, 1), date(2024, 12, 31))
    figures = indicators.totals(scenario.org.province, year)
    # B's need (08/2024) opens within the year; C's uptake (07/2024) now counts.
    assert (figures.eligible, figures.connected) == (11, 5)


def test_trend_has_one_point_per_half_year(scenario):
    points = indicators.trend(scenario.org.province, date(2024, 6, 30))
    assert [p.key for p, _f in points] == ["2021H1", "2021H2", "2022H1", "2022H2", "2023H1",
                                          "2023H2", "2024H1"]
    assert points[-1][1].eligible == 10


@pytest.mark.parametrize("key", ["2024H3", "1999", "abc", "2020H1", "2031"])
def test_bad_periods_are_refused(key):
    with pytest.raises(ValueError, match="period"):
        indicators.parse_period(key, today=date(2025, 1, 1))
