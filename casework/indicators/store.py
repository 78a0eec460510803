"""Stored target-5 figures: the indicator's per-woman rows kept per period, always current.

Counting target 5 straight from the case tables joins every case, episode, custody row, need
and referral of the subtree: about 2 s for a province of 100,000 women on PostgreSQL. The
dashboard instead counts the per-woman rows of :class:`casework.indicators.WomanRows`, stored
per period in ``indicator_women``, ``indicator_woman_categories`` and
``indicator_woman_partners`` (models in ``casework/models/indicator.py``): a few thousand
narrow rows per unit, read from covering indexes.

Stored rows are never stale. Database triggers (migration 0008) log the case id of every row
written in ``cases``, ``case_episodes``, ``case_custody``, ``needs`` and ``referrals`` to
``indicator_changes``, whichever code path wrote it. Before its figures are read, a stored
period recomputes the women changed since its **watermark**, in the same transaction:

* PostgreSQL: changes carry the writing transaction's id; the watermark is the oldest
  transaction still running when the period was last refreshed (``pg_snapshot_xmin``), read
  *before* the changes, so a change committed later by a transaction that was already running
  is still ahead of it. Changes at or above the watermark are recomputed (again, harmlessly,
  if they were seen before).
* SQLite admits one writer at a time, so change ids grow in commit order: the watermark is
  the last change id seen (ids are AUTOINCREMENT, never reused after pruning).

More than :data:`REBUILD_ABOVE` changed women (a bulk import, a key rotation) rebuild the
period instead; so does a watermark ahead of the database (restored from a dump: the
transaction ids started again). Periods unread for :data:`UNUSED_AFTER`, or beyond the
:data:`KEEP_PERIODS` most recently read, are dropped when a new one is built; changes every
stored period has seen are pruned. ``flask indicators refresh`` builds the usual periods
ahead (nightly, so the first supervisor of the day does not wait for a build).

Figures are read in short transactions of their own (``stored_figures``): a read finding its
period current writes and locks nothing; otherwise the period's row is locked while it is
brought up to date and committed before the figures are counted, so what is built is kept
even when the request itself only reads. Callers must not hold uncommitted writes to the
watched tables (on SQLite the refresh would wait for their write lock): the supervision
views and ``report_data`` compute before they write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casework.db import utcnow
from casework.extensions import db
from casework.models.indicator import (
    IndicatorChange,
    IndicatorPeriod,
    IndicatorWoman,
    IndicatorWomanCategory,
    IndicatorWomanPartner,
)

REBUILD_ABOVE = 5_000  # changed women above which a full rebuild is cheaper than a refresh
UNUSED_AFTER = timedelta(days=3)
KEEP_PERIODS = 32
USE_RESOLUTION = timedelta(minutes=10)  # how often "last read" is written back

# PostgreSQL advisory lock: builders of new periods share it, pruning takes it alone (below).
_BUILD_LOCK = 0x1CED_5

# Columns of each stored table in the order of its WomanRows select.
_TABLES: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (IndicatorWoman, ("case_id", "grp", "unit_id", "connected", "days", "stage")),
    (IndicatorWomanCategory, ("case_id", "grp", "unit_id", "category", "connected")),
    (IndicatorWomanPartner, ("case_id", "grp", "unit_id", "provider_id", "connected")),
)

# Build the WomanRows selects for a period, for every woman (None) or a select of case ids.
RowsFor = Callable[[Any], Any]


@contextmanager
def own_session() -> Iterator[Session]:
    """A short transaction on its own connection, committed on success."""
    session = Session(db.engine)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _watermark_now(session: Session) -> int:
    """Read BEFORE the rows it vouches for (see the module docstring)."""
    if _is_postgres(session):
        return int(session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"
                                        "::bigint")))
    # The highest id ever issued (pruning empties the table; the sequence stays).
    return int(session.scalar(text(
        "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'indicator_changes'"))
        or 0)


def _changed_since(session: Session, watermark: int, limit: int | None = None) -> list[Any]:
    """The women changed since ``watermark``, at most REBUILD_ABOVE + 1 of them (fetched once:
    the rows deleted and the rows recomputed must be for the same women)."""
    if _is_postgres(session):
        newer = IndicatorChange.txid >= watermark
    else:
        newer = IndicatorChange.id > watermark
    return list(session.scalars(select(IndicatorChange.case_id).where(newer).distinct()
                                .limit(limit or REBUILD_ABOVE + 1)))


def execute_hashed(session: Session, stmt: Any) -> Any:
    """Run a statement over every woman's facts. On PostgreSQL the planner cannot estimate rows
    through the CTEs (it guesses a few dozen women for tens of thousands) and picks nested
    loops that take minutes at province size; for this statement hash joins are forced and
    aggregates get memory not to spill, then the settings are restored."""
    if not _is_postgres(session):
        return session.execute(stmt)
    session.execute(text("SET LOCAL enable_nestloop = off"))
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    result = session.execute(stmt)  # on error the rollback undoes the SET LOCALs
    session.execute(text("RESET enable_nestloop"))
    session.execute(text("RESET work_mem"))
    return result


def _insert_rows(session: Session, period_id: int, rows: Any, *, everyone: bool) -> None:
    for (model, columns), source in zip(_TABLES, (rows.women, rows.categories, rows.partners),
                                        strict=True):
        sub = source.subquery()
        stmt = insert(model).from_select(
            ["period_id", *columns],
            select(literal(period_id), *(sub.c[name] for name in columns)))
        if everyone:
            execute_hashed(session, stmt)
        else:  # a few women: index lookups are what the planner should pick
            session.execute(stmt)


def _delete_rows(session: Session, period_id: int, cases: Any = None) -> None:
    for model, _columns in _TABLES:
        stmt = delete(model).where(model.period_id == period_id)
        if cases is not None:
            stmt = stmt.where(model.case_id.in_(cases))
        session.execute(stmt)


def _build(session: Session, period: IndicatorPeriod, rows_for: RowsFor) -> None:
    watermark = _watermark_now(session)
    _delete_rows(session, period.id)
    _insert_rows(session, period.id, rows_for(None), everyone=True)
    period.watermark = watermark
    period.built_at = period.refreshed_at = utcnow()
    if _is_postgres(session):  # fresh statistics, or the planner expects a handful of rows
        for model, _columns in _TABLES:
            session.execute(text(f"ANALYZE {model.__tablename__}"))


def _refresh(session: Session, period: IndicatorPeriod, rows_for: RowsFor) -> None:
    watermark = _watermark_now(session)
    if watermark < period.watermark:  # the database's history changed (a restored backup)
        _build(session, period, rows_for)
        return
    changed = _changed_since(session, period.watermark)
    if len(changed) > REBUILD_ABOVE:
        _build(session, period, rows_for)
        return
    if changed:
        _delete_rows(session, period.id, changed)
        _insert_rows(session, period.id, rows_for(changed), everyone=False)
        period.refreshed_at = utcnow()
    period.watermark = watermark
    if changed:
        _prune(session)


def _new_period(session: Session, start: date, end: date) -> None:
    """Insert the period's row unless it exists (a concurrent builder waits on the unique key,
    then finds it built)."""
    dialect = postgresql if _is_postgres(session) else sqlite
    now = utcnow()
    session.execute(dialect.insert(IndicatorPeriod).values(
        period_start=start, period_end=end, watermark=-1, built_at=now, refreshed_at=now,
        used_at=now).on_conflict_do_nothing())


def _up_to_date(session: Session, start: date, end: date) -> int | None:
    """The period's id when it is stored, current and recently marked read: nothing to write,
    so nothing is locked (most reads)."""
    period = session.execute(select(IndicatorPeriod.id, IndicatorPeriod.watermark,
                                    IndicatorPeriod.used_at).where(
        IndicatorPeriod.period_start == start, IndicatorPeriod.period_end == end)).first()
    if period is None or period.watermark < 0 or utcnow() - period.used_at > USE_RESOLUTION:
        return None
    if _watermark_now(session) < period.watermark:
        return None
    if _changed_since(session, period.watermark, limit=1):
        return None
    return int(period.id)


def current_period(session: Session, start: date, end: date, rows_for: RowsFor) -> int:
    """The id of the stored period ``[start, end]``, built or brought up to date now."""
    current = _up_to_date(session, start, end)
    if current is not None:
        return current
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _BUILD_LOCK})
    period = None
    while period is None:  # evicted between the insert and the lock: insert again
        _new_period(session, start, end)
        period = session.scalars(select(IndicatorPeriod).where(
            IndicatorPeriod.period_start == start, IndicatorPeriod.period_end == end)
            .with_for_update()).one_or_none()
    if period.watermark < 0:
        _build(session, period, rows_for)
        _evict(session, keep=period.id)
    else:
        _refresh(session, period, rows_for)
    now = utcnow()
    if now - period.used_at > USE_RESOLUTION:
        period.used_at = now
    session.flush()
    return period.id


def _evict(session: Session, *, keep: int) -> None:
    """Drop periods unread for a while or beyond the most recently read ones."""
    recent = select(IndicatorPeriod.id).order_by(IndicatorPeriod.used_at.desc()).limit(
        KEEP_PERIODS)
    stale = select(IndicatorPeriod.id).where(
        IndicatorPeriod.id != keep,
        (IndicatorPeriod.used_at < utcnow() - UNUSED_AFTER)
        | IndicatorPeriod.id.not_in(recent.scalar_subquery()))
    # A period being read right now is locked: skip it (it was just used anyway).
    ids = list(session.scalars(stale.with_for_update(skip_locked=True)))
    if ids:  # its stored rows go with it (ON DELETE CASCADE)
        session.execute(delete(IndicatorPeriod).where(IndicatorPeriod.id.in_(ids)))
    _prune(session)


def _prune(session: Session) -> None:
    """Delete the changes every stored period has seen. A period being built is not visible
    yet, so on PostgreSQL pruning waits for no builder (it skips when one is running)."""
    # Our own shared hold does not conflict with us; anyone else's does.
    if _is_postgres(session) and not session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _BUILD_LOCK}):
        return
    lowest = session.scalar(select(func.min(IndicatorPeriod.watermark))
                            .where(IndicatorPeriod.watermark >= 0))
    if lowest is None:
        lowest = _watermark_now(session)
    if _is_postgres(session):
        session.execute(delete(IndicatorChange).where(IndicatorChange.txid < lowest))
    else:
        session.execute(delete(IndicatorChange).where(IndicatorChange.id <= lowest))


def stored_figures(start: date, end: date, rows_for: RowsFor,
                   figures: Callable[[int], Any]) -> list[Any]:
    """Bring the stored period up to date and run ``figures(period_id)`` over it, in one short
    transaction of its own."""
    with own_session() as session:
        period_id = current_period(session, start, end, rows_for)
    # Committed: the lock (if any) is released before the figures are counted.
    with own_session() as session:
        return list(session.execute(figures(period_id)).all())


def tidy() -> None:
    """PostgreSQL: VACUUM ANALYZE the stored tables, so their figures are read from the
    indexes alone (autovacuum does the same, later). Runs outside any transaction."""
    with db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for model, _columns in _TABLES:
            connection.execute(text(f"VACUUM ANALYZE {model.__tablename__}"))


def mark_all_stale() -> None:
    """Rebuild every stored period at its next read (after a change the triggers cannot see,
    e.g. a restore from backup)."""
    db.session.execute(update(IndicatorPeriod).values(watermark=-1))
