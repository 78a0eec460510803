"""The union's own activity (targets 1-4, 7, 8): records per unit, yearly counts, submissions.

These are facts about union units, never about women: no personal data lives here. One table
holds every kind of record (a plan, a communication activity, a programme that integrates the
task, a training, a post); the columns a kind does not use stay empty. A unit's half-year is
submitted to the level above, which approves or returns it; an approved half-year is locked
and later corrections carry an amendment note (``casework/activity/records.py``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow
from casework.models.org import OrgUnit
from casework.models.user import User

RECORD_KINDS = ("plan", "communication", "programme", "training", "post")
SUBMISSION_STATUSES = ("submitted", "approved", "returned")


class ActivityRecord(Base):
    """One thing a unit did: ``kind`` says which columns carry meaning.

    * plan: ``held_on`` = adopted on, ``title``;
    * communication: ``held_on``, ``form``, ``officers`` and ``members`` reached (members and
      women), ``partners`` (partner bodies), ``title`` (topic, optional);
    * programme: ``held_on`` = integrated from, ``ended_on`` (optional), ``title``;
    * training: ``held_on``, ``officers`` = concerned officers trained, ``title``;
    * post: ``held_on`` = posted on, ``form`` = website | fanpage, ``link``.
    """

    __tablename__ = "activity_records"
    __table_args__ = (Index("ix_activity_records_unit_kind_day", "org_unit_id", "kind",
                            "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(200), default="")
    form: Mapped[str | None] = mapped_column(String(20))
    officers: Mapped[int] = mapped_column(default=0)
    members: Mapped[int] = mapped_column(default=0)
    partners: Mapped[str] = mapped_column(String(300), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    amendment_note: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(10), default="form")  # form | import | demo
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User | None] = relationship()


class UnitYearCounts(Base):
    """A unit's counts for one year: the denominators of targets 2 and 7."""

    __tablename__ = "unit_year_counts"
    __table_args__ = (UniqueConstraint("org_unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    year: Mapped[int] = mapped_column()
    officers: Mapped[int] = mapped_column(default=0)
    concerned_officers: Mapped[int] = mapped_column(default=0)
    members: Mapped[int] = mapped_column(default=0)
    amendment_note: Mapped[str | None] = mapped_column(String(500))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ActivitySubmission(Base):
    """A unit's half-year, submitted to the level above: submitted, approved or returned.

    ``snapshot`` keeps the unit's own figures as submitted (JSON counts, no personal data), so a
    correction made after approval shows up as an amendment.
    """

    __tablename__ = "activity_submissions"
    __table_args__ = (UniqueConstraint("org_unit_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(8))  # a half-year: 2025H1
    status: Mapped[str] = mapped_column(String(10))
    snapshot: Mapped[str] = mapped_column(Text, default="{}")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    comment: Mapped[str] = mapped_column(String(500), default="")

    org_unit: Mapped[OrgUnit] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class ApiToken(Base):
    """A read-only API token: only its SHA-256 is stored; it sees ``org_unit``'s subtree."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()

    org_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User | None] = relationship()
