"""Stored target-5 figures: the indicator's per-woman rows kept per period, always current.

Counting target 5 straight from the case tables joins every case, episode, custody row, need
and referral of the subtree: about 2 s for a province of 100,000 women on PostgreSQL. The
dashboard instead counts the per-woman rows of
:class:`casework.indicators.definition.WomanRows`, stored per period in ``indicator_women``,
``indicator_woman_categories`` and ``indicator_woman_partners`` (models in
``casework/models/indicator.py``): a few thousand narrow rows per unit, read from covering
indexes.

A build computes the per-woman facts ONCE, into a temporary table, and derives the three stored
tables from it (not three passes over the case tables); each period records the **fingerprint**
of the definition and of the database it was built from, so a changed definition (a new
release) or a dump restored into another database is rebuilt at its next read, without an
operator.

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
stored period has seen are pruned. ``flask indicators refresh`` builds the usual periods ahead
(nightly, so the first supervisor of the day does not wait for a build).

Figures are read in short transactions of their own (:func:`current_ids`, :func:`read`): a read
finding its period current writes and locks nothing; otherwise the period's row is locked while
it is brought up to date and committed before the figures are counted, so what is built is kept
even when the request itself only reads. Callers must not hold uncommitted writes to the
watched tables (on SQLite the refresh would wait for their write lock): the supervision views
and ``report_data`` compute before they write.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Uuid,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casework.db import utcnow
from casework.extensions import db
from casework.indicators.definition import (
    FACT_COLUMNS,
    WomanRows,
    facts,
    woman_rows,
    women_by_period,
)
from casework.indicators.periods import Period
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
# Bump when the stored rows change meaning in a way the compiled SQL does not show.
STORE_VERSION = "2"

# PostgreSQL advisory lock: builders of new periods share it, pruning takes it alone (below).
_BUILD_LOCK = 0x1CED_5

# Columns of each stored table in the order of its WomanRows select.
_TABLES: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (IndicatorWoman, ("case_id", "grp", "unit_id", "connected", "days", "stage")),
    (IndicatorWomanCategory, ("case_id", "grp", "unit_id", "category", "connected")),
    (IndicatorWomanPartner, ("case_id", "grp", "unit_id", "provider_id", "connected")),
)

# The per-woman facts of one period while it is built (one per connection, dropped after).
_FACTS = Table(
    "indicator_build_facts", MetaData(),
    Column("case_id", Uuid), Column("grp", String(30)), Column("unit_id", Integer),
    Column("category", String(30)), Column("open_need", SmallInteger),
    Column("provider_id", Integer), Column("made", SmallInteger), Column("up", SmallInteger),
    Column("days", Integer), Column("stage", SmallInteger),
    prefixes=["TEMPORARY"],
)
if tuple(_FACTS.columns.keys()) != FACT_COLUMNS:  # pragma: no cover - a definition change
    raise RuntimeError("the build table must hold the definition's fact columns")


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


_DEFINITION_HASHES: dict[str, str] = {}


def definition_hash(dialect: Any) -> str:
    """A hash of the compiled definition (the SQL every stored row comes from): a release that
    changes a rule changes it, so periods built under the old rules are rebuilt."""
    if dialect.name not in _DEFINITION_HASHES:
        sample = Period("fingerprint", "half", date(2000, 1, 1), date(2000, 6, 30))
        rows = woman_rows(facts(sample).cte("facts"))
        sql = "\n".join(str(s.compile(dialect=dialect))
                        for s in (rows.women, rows.categories, rows.partners))
        _DEFINITION_HASHES[dialect.name] = hashlib.sha256(
            f"{STORE_VERSION}\n{sql}".encode()).hexdigest()
    return _DEFINITION_HASHES[dialect.name]


def fingerprint(session: Session) -> str:
    """The definition's hash and, on PostgreSQL, the database's identity (its oid changes when a
    dump is restored into a new database): what a stored period must have been built under."""
    identity = ""
    if _is_postgres(session):
        identity = str(session.scalar(text(
            "SELECT oid FROM pg_database WHERE datname = current_database()")))
    digest = hashlib.sha256(f"{definition_hash(session.get_bind().dialect)}:{identity}"
                            .encode()).hexdigest()
    return digest[:40]


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


@contextmanager
def _hash_joins(session: Session) -> Iterator[None]:
    """On PostgreSQL the planner cannot estimate rows through the definition's CTEs (it guesses
    a few dozen women for tens of thousands) and picks nested loops that take minutes at
    province size: for a statement over every woman, hash joins are forced and aggregates get
    memory not to spill, then the settings are restored."""
    if not _is_postgres(session):
        yield
        return
    session.execute(text("SET LOCAL enable_nestloop = off"))
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    yield  # on error the rollback undoes the SET LOCALs
    session.execute(text("RESET enable_nestloop"))
    session.execute(text("RESET work_mem"))


def execute_hashed(session: Session, stmt: Any) -> Any:
    """Run a statement over every woman's facts with hash joins (see :func:`_hash_joins`)."""
    with _hash_joins(session):
        return session.execute(stmt)


def _insert_rows(session: Session, period_id: int, rows: WomanRows) -> None:
    for (model, columns), source in zip(_TABLES, (rows.women, rows.categories, rows.partners),
                                        strict=True):
        sub = source.subquery()
        session.execute(insert(model).from_select(
            ["period_id", *columns],
            select(literal(period_id), *(sub.c[name] for name in columns))))


def _delete_rows(session: Session, period_id: int, cases: Any = None) -> None:
    for model, _columns in _TABLES:
        stmt = delete(model).where(model.period_id == period_id)
        if cases is not None:
            stmt = stmt.where(model.case_id.in_(cases))
        session.execute(stmt)


def _fill(session: Session, row_id: int, period: Period, cases: Any = None) -> None:
    """Insert the rows of every woman (or of ``cases``, a few changed women): the facts
    computed once into a temporary table, the three stored tables counted from it."""
    connection = session.connection()
    _FACTS.create(connection, checkfirst=True)
    try:
        session.execute(delete(_FACTS))
        fill = insert(_FACTS).from_select(list(FACT_COLUMNS), facts(period, None, cases))
        if cases is None:
            execute_hashed(session, fill)
        else:  # a few women: index lookups are what the planner should pick
            session.execute(fill)
        _insert_rows(session, row_id, woman_rows(_FACTS))
    finally:
        _FACTS.drop(connection)


def _build(session: Session, row: IndicatorPeriod, period: Period) -> None:
    """Every woman's rows, afresh."""
    watermark = _watermark_now(session)
    _delete_rows(session, row.id)
    _fill(session, row.id, period)
    row.watermark = watermark
    row.fingerprint = fingerprint(session)
    row.built_at = row.refreshed_at = utcnow()
    if _is_postgres(session):  # fresh statistics, or the planner expects a handful of rows
        for model, _columns in _TABLES:
            session.execute(text(f"ANALYZE {model.__tablename__}"))


def _refresh(session: Session, row: IndicatorPeriod, period: Period) -> None:
    watermark = _watermark_now(session)
    if watermark < row.watermark:  # the database's history changed (a restored backup)
        _build(session, row, period)
        return
    changed = _changed_since(session, row.watermark)
    if len(changed) > REBUILD_ABOVE:
        _build(session, row, period)
        return
    if changed:
        _delete_rows(session, row.id, changed)
        _fill(session, row.id, period, changed)
        row.refreshed_at = utcnow()
    row.watermark = watermark
    if changed:
        _prune(session)


def _new_period(session: Session, start: date, end: date) -> None:
    """Insert the period's row unless it exists (a concurrent builder waits on the unique key,
    then finds it built)."""
    dialect = postgresql if _is_postgres(session) else sqlite
    now = utcnow()
    session.execute(dialect.insert(IndicatorPeriod).values(
        period_start=start, period_end=end, watermark=-1, built_at=now, refreshed_at=now,
        used_at=now, fingerprint="").on_conflict_do_nothing())


def _up_to_date(session: Session, period: Period) -> int | None:
    """The period's id when it is stored, current, built under this definition and database
    and recently marked read: nothing to write, so nothing is locked (most reads)."""
    row = session.execute(select(IndicatorPeriod.id, IndicatorPeriod.watermark,
                                 IndicatorPeriod.used_at, IndicatorPeriod.fingerprint).where(
        IndicatorPeriod.period_start == period.start,
        IndicatorPeriod.period_end == period.end)).first()
    if row is None or row.watermark < 0 or utcnow() - row.used_at > USE_RESOLUTION:
        return None
    if row.fingerprint != fingerprint(session) or _watermark_now(session) < row.watermark:
        return None
    if _changed_since(session, row.watermark, limit=1):
        return None
    return int(row.id)


def current_period(session: Session, period: Period) -> int:
    """The id of the stored ``period``, built or brought up to date now."""
    current = _up_to_date(session, period)
    if current is not None:
        return current
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _BUILD_LOCK})
    row = None
    while row is None:  # evicted between the insert and the lock: insert again
        _new_period(session, period.start, period.end)
        row = session.scalars(select(IndicatorPeriod).where(
            IndicatorPeriod.period_start == period.start,
            IndicatorPeriod.period_end == period.end).with_for_update()).one_or_none()
    if row.watermark < 0 or row.fingerprint != fingerprint(session):
        _build(session, row, period)
        _evict(session, keep=row.id)
    else:
        _refresh(session, row, period)
    now = utcnow()
    if now - row.used_at > USE_RESOLUTION:
        row.used_at = now
    session.flush()
    return row.id


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


def current_ids(periods: Sequence[Period]) -> list[int]:
    """The stored ids of ``periods``, each built or brought up to date in a short transaction
    of its own (committed: its lock, if any, is released before figures are counted)."""
    ids = []
    for period in periods:
        with own_session() as session:
            ids.append(current_period(session, period))
    return ids


def read(stmt: Any) -> list[Any]:
    """Run a figures statement over stored rows in a transaction of its own."""
    with own_session() as session:
        return list(session.execute(stmt).all())


# Trend figures per process: {(fingerprint, periods): (watermark, rows)}. Checked like a stored
# period before each use (no change since the watermark, same definition and database).
_TREND_LOCK = threading.Lock()
_TREND_CACHE: dict[tuple[str, tuple[tuple[date, date], ...]], tuple[int, list[Any]]] = {}


def trend_rows(periods: Sequence[Period]) -> list[Any]:
    """Rows ``(no, grp, unit_id, eligible, connected, awaiting answer, awaiting uptake)`` for
    every period of ``periods`` (``no`` its position) and every unit: ONE statement over the
    case tables (:func:`~casework.indicators.definition.women_by_period`), kept in this process
    until the next change to the watched tables."""
    bounds = tuple((p.start, p.end) for p in periods)
    with _TREND_LOCK, own_session() as session:  # one computation at a time per process;
        key = (fingerprint(session), bounds)     # the requests waiting for it reuse it
        watermark = _watermark_now(session)
        hit = _TREND_CACHE.get(key)
        if hit is not None and hit[0] <= watermark and not _changed_since(session, hit[0],
                                                                          limit=1):
            return hit[1]
        table = union_all(*(  # a VALUES list SQLite can name the columns of
            select(literal(n, Integer).label("no"), literal(s, Date).label("start"),
                   literal(e, Date).label("end")) for n, (s, e) in enumerate(bounds)
        )).subquery("periods")
        w = women_by_period(table).subquery("women")
        open_stage = w.c.connected == 0
        rows = list(execute_hashed(session, select(
            w.c.no, w.c.grp, w.c.unit_id, func.count(), func.sum(w.c.connected),
            func.count(case((and_(open_stage, w.c.stage == 1), 1))),
            func.count(case((and_(open_stage, w.c.stage == 2), 1))))
            .group_by(w.c.no, w.c.grp, w.c.unit_id)).all())
        if len(_TREND_CACHE) > 16:
            _TREND_CACHE.clear()
        _TREND_CACHE[key] = (watermark, rows)
    return rows


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
    """Rebuild every stored period at its next read (after a change the triggers cannot see)."""
    db.session.execute(update(IndicatorPeriod).values(watermark=-1))
