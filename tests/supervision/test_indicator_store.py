"""Stored target-5 figures equal the direct count, and stay equal whatever writes the data.

``casework/indicators/store.py`` keeps each period's per-woman rows; triggers log every written
case, need, referral, episode and custody row. Each test reads the figures once (so they are
stored), writes through one path, and reads again: the stored figures must have moved exactly
as the count straight from the case tables did. The hand-counted story is the one of
``test_indicator.py`` (2024H1: eligible 10, connected 4).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from casework import indicators
from casework.extensions import db
from casework.indicators import store as indicator_store
from casework.models.indicator import (
    IndicatorChange,
    IndicatorPeriod,
    IndicatorWoman,
    IndicatorWomanCategory,
    IndicatorWomanPartner,
)

TODAY = date(2025, 1, 1)
H1 = indicators.parse_period("2024H1", today=TODAY)


def _current(org, period=H1):
    """Stored figures of every unit, checked against the direct count; the province's."""
    for scope in (org.province, org.d1, org.d2, org.c1, org.c2, org.c3):
        stored = indicators.compute(scope, period).snapshot()
        direct = indicators.compute(scope, period, stored=False).snapshot()
        assert stored == direct, scope.name
    return indicators.compute(org.province, period)


def _pair(result):
    return result.total.eligible, result.total.connected


def _need(case):
    from casework.models.need import Need

    return db.session.scalars(sa.select(Need).where(Need.case_id == case.id)).first()


def _referral(case):
    from casework.models.referral import Referral

    return db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)).first()


def _stored_periods():
    return db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorPeriod))


@pytest.mark.parametrize("key", ["2024H1", "2024H2", "2024", "2023H2", "cum"])
def test_stored_figures_equal_the_direct_count_in_every_period_and_unit(scenario, key):
    _current(scenario.org, indicators.parse_period(key, TODAY))


def test_a_period_is_stored_once_and_read_again(scenario):
    first = _current(scenario.org)
    assert _pair(first) == (10, 4)
    assert _stored_periods() == 1
    assert _pair(indicators.compute(scenario.org.province, H1)) == (10, 4)
    assert _stored_periods() == 1


def test_a_new_need_counts_at_the_next_read(scenario, make_need):
    assert _pair(_current(scenario.org)) == (10, 4)
    make_need(scenario.b, "loans", identified_on=date(2024, 3, 1))
    assert _pair(_current(scenario.org)) == (11, 4)


def test_a_read_recomputes_only_the_changed_women_without_rebuilding(scenario, make_need):
    _current(scenario.org)
    built = db.session.scalar(sa.select(IndicatorPeriod.built_at))
    _current(scenario.org)  # nothing changed
    make_need(scenario.b, "loans", identified_on=date(2024, 3, 1))
    _current(scenario.org)  # one woman changed, and the change log was pruned since
    make_need(scenario.q, "loans", identified_on=date(2024, 3, 1))
    assert _pair(_current(scenario.org)) == (12, 4)
    db.session.expire_all()
    period = db.session.scalars(sa.select(IndicatorPeriod)).one()
    assert period.built_at == built
    assert period.refreshed_at > built


def test_the_change_log_triggers_are_installed_on_every_watched_table(app):
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        query = ("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                 "WHERE t.tgname = 'indicator_changes'")
    else:
        query = ("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                 "AND name LIKE 'indicator_changes_%'")
    tables = db.session.scalars(sa.text(query)).all()
    watched = {"cases", "case_episodes", "case_custody", "needs", "referrals"}
    assert set(tables) == watched
    assert len(tables) == (5 if dialect == "postgresql" else 15)


def test_an_uptake_confirmed_after_the_first_read_counts(scenario):
    assert _pair(_current(scenario.org)) == (10, 4)
    referral = _referral(scenario.l)
    referral.status, referral.uptake_on = "in_service", date(2024, 6, 1)
    db.session.commit()
    result = _current(scenario.org)
    assert _pair(result) == (10, 5)
    assert result.total.awaiting_answer == 0


def test_a_transfer_moves_her_to_the_unit_holding_her_at_the_end(scenario, make_user):
    from casework.services.case_lifecycle import transfer_case

    s = scenario
    before = {r.unit.id: r.figures.eligible for r in _current(s.org).children}
    transfer_case(s.a, s.org.c3, on=date(2024, 5, 1), actor=None,
                  backdate_reason="recorded late")
    db.session.commit()
    after = {r.unit.id: r.figures.eligible for r in _current(s.org).children}
    assert after[s.org.d1.id] == before[s.org.d1.id] - 1
    assert after[s.org.d2.id] == before[s.org.d2.id] + 1


def test_a_merge_moving_rows_in_bulk_is_seen(scenario):
    """merge_cases moves needs and referrals with one UPDATE each, unseen by the ORM."""
    from casework.services.case_lifecycle import merge_cases

    assert _pair(_current(scenario.org)) == (10, 4)
    merge_cases(scenario.a, scenario.m, actor=None)
    db.session.commit()
    result = _current(scenario.org)
    assert _pair(result) == (9, 4)  # M now counts once, as A
    assert result.total.awaiting_uptake == 1


def test_a_write_outside_the_application_is_seen(scenario):
    """A hand-run UPDATE and DELETE (a data fix by a database administrator)."""
    assert _pair(_current(scenario.org)) == (10, 4)
    need_id = _need(scenario.e).id
    db.session.execute(sa.text("UPDATE needs SET ended_on = :day WHERE id = :id")
                       .bindparams(sa.bindparam("id", type_=sa.Uuid)),
                       {"day": date(2023, 12, 1), "id": need_id})
    referral_id = _referral(scenario.a).id
    db.session.execute(sa.text("DELETE FROM referrals WHERE id = :id")
                       .bindparams(sa.bindparam("id", type_=sa.Uuid)), {"id": referral_id})
    db.session.commit()
    assert _pair(_current(scenario.org)) == (9, 3)


def test_closing_a_case_before_the_period_takes_her_out(scenario):
    assert _pair(_current(scenario.org)) == (10, 4)
    episode = scenario.l.episodes[0]
    db.session.execute(sa.update(type(episode)).where(type(episode).id == episode.id)
                       .values(opened_on=date(2024, 7, 1)))
    db.session.commit()
    assert _pair(_current(scenario.org)) == (9, 4)


def test_many_changes_rebuild_the_period(scenario, make_need, monkeypatch):
    assert _pair(_current(scenario.org)) == (10, 4)
    built = db.session.scalar(sa.select(IndicatorPeriod.built_at))
    monkeypatch.setattr(indicator_store, "REBUILD_ABOVE", 1)
    make_need(scenario.b, "loans", identified_on=date(2024, 3, 1))
    make_need(scenario.q, "loans", identified_on=date(2024, 3, 1))
    assert _pair(_current(scenario.org)) == (12, 4)
    db.session.expire_all()
    assert db.session.scalar(sa.select(IndicatorPeriod.built_at)) > built


def test_changes_seen_by_every_stored_period_are_pruned(scenario, make_need):
    _current(scenario.org)
    make_need(scenario.b, "loans", identified_on=date(2024, 3, 1))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorChange)) > 0
    _current(scenario.org)
    db.session.commit()
    # Every change below the watermark is gone (on PostgreSQL the watermark is cluster-wide:
    # a transaction running elsewhere keeps newer changes until it ends).
    watermark = db.session.scalar(sa.select(IndicatorPeriod.watermark))
    column = IndicatorChange.txid if db.engine.dialect.name == "postgresql" else IndicatorChange.id
    seen = column < watermark if db.engine.dialect.name == "postgresql" else column <= watermark
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorChange)
                             .where(seen)) == 0
    if db.engine.dialect.name == "sqlite":
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorChange)) == 0


def test_periods_unread_for_days_are_dropped_when_another_is_built(scenario):
    _current(scenario.org)
    db.session.execute(sa.update(IndicatorPeriod).values(
        used_at=datetime.now(UTC) - indicator_store.UNUSED_AFTER - timedelta(hours=1)))
    db.session.commit()
    indicators.compute(scenario.org.province, indicators.parse_period("2023H2", TODAY))
    db.session.expire_all()
    kept = db.session.scalars(sa.select(IndicatorPeriod.period_start)).all()
    assert kept == [date(2023, 7, 1)]
    left = db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorWoman)
                             .where(IndicatorWoman.period_id.not_in(
                                 sa.select(IndicatorPeriod.id))))
    assert left == 0
    # The dropped period is built again, correctly, when asked for.
    assert _pair(_current(scenario.org)) == (10, 4)


def test_a_period_marked_stale_is_rebuilt(scenario):
    _current(scenario.org)
    indicator_store.mark_all_stale()
    db.session.commit()
    assert _pair(_current(scenario.org)) == (10, 4)


def test_stored_rows_hold_codes_and_counts_only():
    """No personal field may ever be added to the stored figures (SECURITY.md: aggregates)."""
    allowed = {"period_id", "case_id", "grp", "unit_id", "connected", "days", "stage",
               "category", "provider_id"}
    for model in (IndicatorWoman, IndicatorWomanCategory, IndicatorWomanPartner):
        assert set(model.__table__.columns.keys()) <= allowed, model.__tablename__


def test_a_watermark_ahead_of_the_database_rebuilds_the_period(scenario):
    """A dump restored elsewhere starts transaction ids again: the stored rows are rebuilt."""
    _current(scenario.org)
    built = db.session.scalar(sa.select(IndicatorPeriod.built_at))
    db.session.execute(sa.update(IndicatorPeriod).values(watermark=2**62))
    db.session.commit()
    assert _pair(_current(scenario.org)) == (10, 4)
    db.session.expire_all()
    assert db.session.scalar(sa.select(IndicatorPeriod.built_at)) > built
    assert db.session.scalar(sa.select(IndicatorPeriod.watermark)) < 2**62


def test_the_nightly_command_builds_the_usual_periods(app, scenario):
    result = app.test_cli_runner().invoke(args=["indicators", "refresh", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "2024H1" in result.output
    from casework.services.effective_dates import today

    assert _stored_periods() == len(indicators.usual_periods(today()))
    assert _pair(_current(scenario.org)) == (10, 4)


@pytest.mark.postgres_only
def test_a_writer_still_running_during_a_refresh_is_caught_up_later(scenario):
    """A transaction that began before a refresh and commits after it: the refresh's
    watermark stays below it, so the next read recomputes her."""
    assert _pair(_current(scenario.org)) == (10, 4)
    need_id = _need(scenario.b).id
    with db.engine.connect() as writer:
        writer.execute(sa.text("UPDATE needs SET identified_on = :day WHERE id = :id")
                       .bindparams(sa.bindparam("id", type_=sa.Uuid)),
                       {"day": date(2024, 3, 1), "id": need_id})
        assert _pair(_current(scenario.org)) == (10, 4)  # not committed yet: not seen
        writer.commit()
    assert _pair(_current(scenario.org)) == (11, 4)


def test_a_period_built_under_another_definition_or_database_is_rebuilt(scenario):
    """Each period keeps the fingerprint of the definition and database it was built from: a
    release with another rule, or a dump restored elsewhere, rebuilds it at the next read."""
    _current(scenario.org)
    built = db.session.scalar(sa.select(IndicatorPeriod.built_at))
    db.session.execute(sa.update(IndicatorPeriod).values(fingerprint="another definition"))
    db.session.commit()
    assert _pair(_current(scenario.org)) == (10, 4)
    db.session.expire_all()
    assert db.session.scalar(sa.select(IndicatorPeriod.built_at)) > built
    assert db.session.scalar(sa.select(IndicatorPeriod.fingerprint)) == \
        indicator_store.fingerprint(db.session())


def test_the_trend_equals_each_half_year_and_follows_writes(scenario, make_need):
    """The trend counts every half-year in one statement: each point equals that half-year's
    own figures, in every unit, and a write is seen at the next read."""
    org = scenario.org
    until = date(2024, 12, 31)
    for scope in (org.province, org.d1, org.c3):
        for period, figures in indicators.trend(scope, until):
            assert figures == indicators.totals(scope, period, stored=False), (scope.code,
                                                                                period.key)
    assert dict((p.code, f.eligible) for p, f in indicators.trend(org.province, until))[
        "2024H1"] == 10
    make_need(scenario.b, "loans", identified_on=date(2024, 3, 1))
    assert dict((p.code, f.eligible) for p, f in indicators.trend(org.province, until))[
        "2024H1"] == 11
