"""Stored target-5 figures: per-woman results of the indicator for a period, kept current.

The definition lives in ``casework/indicators/definition.py``; these tables only hold what it
computed,
so the dashboard reads a few thousand narrow rows instead of joining every case, need and
referral of the province (``casework/indicators/store.py`` builds and refreshes them).

* ``indicator_periods``: one per period ``[start, end]`` asked for, with the change-log
  watermark it is current to and when it was last read (unread periods are dropped).
* ``indicator_women`` (one row per eligible woman), ``indicator_woman_categories`` (per woman
  and category of a need open in the period) and ``indicator_woman_partners`` (per woman and
  partner she was referred to by the end): counts, unit ids, days and codes; no personal data.
* ``indicator_changes``: the change log. Database triggers (migration 0008) append the case id
  of every row written in ``cases``, ``case_episodes``, ``case_custody``, ``needs`` and
  ``referrals``, whichever code path writes it (ORM, bulk import, a hand-run UPDATE); on
  PostgreSQL with the writing transaction's id, which is what the watermark is compared with.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from casework.db import Base, utcnow


class IndicatorPeriod(Base):
    __tablename__ = "indicator_periods"
    __table_args__ = (UniqueConstraint("period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    # PostgreSQL: the oldest transaction still running when last refreshed (pg_snapshot_xmin);
    # SQLite (one writer at a time): the last change id seen.
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The definition and database the rows were built under (store.fingerprint): a period
    # built by another release or restored from another database is rebuilt at its next read.
    fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")


def _period_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("indicator_periods.id", ondelete="CASCADE"),
                         primary_key=True)


class IndicatorWoman(Base):
    __tablename__ = "indicator_women"
    __table_args__ = (
        # What the dashboard aggregates, readable from the index alone.
        Index("ix_indicator_women_figures", "period_id", "unit_id", "grp", "connected",
              "stage", "days"),
    )

    period_id: Mapped[int] = _period_fk()
    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    grp: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(Integer)
    connected: Mapped[int] = mapped_column(SmallInteger)
    days: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[int] = mapped_column(SmallInteger)


class IndicatorWomanCategory(Base):
    __tablename__ = "indicator_woman_categories"
    __table_args__ = (
        Index("ix_indicator_woman_categories_figures", "period_id", "unit_id", "grp",
              "category", "connected"),
    )

    period_id: Mapped[int] = _period_fk()
    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    grp: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(Integer)
    connected: Mapped[int] = mapped_column(SmallInteger)


class IndicatorWomanPartner(Base):
    __tablename__ = "indicator_woman_partners"
    __table_args__ = (
        Index("ix_indicator_woman_partners_figures", "period_id", "unit_id", "grp",
              "provider_id", "connected"),
    )

    period_id: Mapped[int] = _period_fk()
    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grp: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(Integer)
    connected: Mapped[int] = mapped_column(SmallInteger)


class IndicatorChange(Base):
    """Written by database triggers only (migration 0008); read and pruned by the store."""

    __tablename__ = "indicator_changes"
    # AUTOINCREMENT on SQLite: ids are never reused after pruning, so "id > watermark" holds.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column()
    txid: Mapped[int | None] = mapped_column(BigInteger, index=True)
