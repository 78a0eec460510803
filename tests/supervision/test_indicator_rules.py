"""Each rule of the target-5 definition (DOMAIN.md "Precise rules"), on its own.

``casework/indicators/definition.py`` writes each rule as one SQL expression; here each is
evaluated alone over the hand-counted story of ``test_indicator.py`` (2024H1), so a change to
one rule fails its own test, whatever the totals do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from casework.extensions import db
from casework.indicators import definition as rules
from casework.indicators import parse_period
from casework.models.case import Case, CaseEpisode
from casework.models.need import Need
from casework.models.referral import Referral

H1 = parse_period("2024H1", today=date(2025, 1, 1))


def test_open_in_the_period_means_an_episode_overlapping_it(scenario):
    s = scenario
    open_ids = set(db.session.scalars(sa.select(CaseEpisode.case_id)
                                      .where(rules.case_open_in(H1))))
    assert s.d.id not in open_ids  # closed on 31/12/2023
    assert {s.a.id, s.n.id, s.o.id} <= open_ids  # N and O closed inside the period


def test_the_anchor_is_her_last_open_day_in_the_period(scenario):
    s = scenario
    anchors = dict(db.session.execute(
        sa.select(CaseEpisode.case_id, rules.anchor_day(H1))
        .where(CaseEpisode.case_id.in_([s.a.id, s.n.id, s.o.id]))).all())
    assert anchors == {s.a.id: date(2024, 6, 30), s.n.id: date(2024, 4, 30),
                       s.o.id: date(2024, 3, 31)}


def test_a_merged_away_case_never_counts(scenario):
    s = scenario
    counted = set(db.session.scalars(sa.select(Case.id).where(rules.counts_once())))
    assert s.r.id not in counted
    assert s.a.id in counted  # the surviving case


def test_a_need_counts_only_if_open_in_the_period_and_identified_after_intake(scenario):
    s = scenario
    counting = set(db.session.scalars(
        sa.select(Need.case_id).join(Case, Case.id == Need.case_id)
        .where(rules.need_counts(H1, Case.intake_date))))
    assert s.q.id not in counting  # identified before her intake
    assert s.b.id not in counting  # identified after the period
    assert s.k.id not in counting  # ended before the period
    assert {s.a.id, s.c.id, s.e.id} <= counting


def test_she_counts_where_her_case_was_held_on_the_anchor_day(scenario):
    s, org = scenario, scenario.org
    placed = rules.placed_cases(H1)
    where = dict(db.session.execute(sa.select(placed.c.case_id, placed.c.unit_id)).all())
    assert where[s.e.id] == org.c3.id  # transferred to C3 on 01/03, still open at the end
    assert where[s.n.id] == org.c2.id  # came from C3 to C2, closed there
    assert where[s.o.id] == org.c1.id  # closed in C1 before custody moved
    assert s.r.id not in where
    assert s.d.id not in where


def test_a_caseworker_report_counts_only_once_a_supervisor_verified_it(scenario, make_need,
                                                                        make_referral, make_case):
    s = scenario
    case = make_case(s.org.c1, intake_date=date(2024, 1, 10))
    need = make_need(case, "jobs", identified_on=date(2024, 1, 10))
    reported = make_referral(need, s.x, "in_service", uptake_on=date(2024, 2, 1),
                             uptake_provenance="caseworker_report")

    def counted() -> bool:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Referral).where(
            Referral.id == reported.id, rules.counted_uptake())) == 1

    assert not counted()
    reported.uptake_verified_at = datetime(2024, 2, 3, tzinfo=UTC)
    db.session.commit()
    assert counted()
    a_paper_one = db.session.scalar(sa.select(Referral.id).where(Referral.case_id == s.a.id))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.id == a_paper_one, rules.counted_uptake())) == 1


def test_connected_means_a_counted_uptake_by_the_end_of_the_period(scenario):
    s = scenario
    by_end = set(db.session.scalars(sa.select(Referral.case_id).where(rules.uptake_by(H1))))
    assert s.a.id in by_end
    assert s.c.id not in by_end  # uptake on 05/07/2024, after the period


def test_the_pipeline_stage_of_a_referral_made_by_the_end(scenario):
    s = scenario
    stages = dict(db.session.execute(
        sa.select(Referral.case_id, rules.referral_stage(H1))
        .where(Referral.case_id.in_([s.l.id, s.m.id, s.c.id]))).all())
    assert stages == {s.l.id: 1, s.m.id: 2, s.c.id: 2}  # sent; accepted; uptake after the end


def test_the_woman_rows_are_counted_from_the_facts_alone(scenario):
    """Every figure reduces the same facts: the women rows are eligible women only."""
    rows = rules.woman_rows_for(H1)
    women = {r.case_id: r for r in db.session.execute(rows.women)}
    s = scenario
    assert set(women) == {c.id for c in (s.a, s.c, s.e, s.f, s.g, s.h, s.i, s.j, s.l, s.m,
                                         s.n, s.o)}
    assert (women[s.a.id].connected, women[s.f.id].days) == (1, 15)
