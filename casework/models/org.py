"""Organisation units: province → district/city → commune/ward/town, stored as data.

The hierarchy uses a materialised path (``/1/12/57/``) with an index, so a subtree is one indexed
``LIKE 'prefix%'`` and never a recursion in Python. Names have a history so that a rename does not
rewrite what past reports said.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow

UNIT_KINDS = ("province", "city", "district", "ward", "commune", "town")
# Level of each kind: 0 province, 1 district level, 2 grassroots level.
UNIT_LEVEL = {"province": 0, "city": 1, "district": 1, "ward": 2, "commune": 2, "town": 2}


class OrgUnit(Base):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    path: Mapped[str] = mapped_column(String(400), default="")
    depth: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])
    names: Mapped[list[OrgUnitName]] = relationship(
        back_populates="unit", order_by="OrgUnitName.valid_from", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_org_units_path", "path"),)

    def is_within(self, other: OrgUnit) -> bool:
        """True when this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)

    def name_on(self, when: datetime) -> str:
        """The unit's name as it was at ``when`` (reports of past periods use this)."""
        for entry in self.names:
            if entry.valid_from <= when and (entry.valid_to is None or when < entry.valid_to):
                return entry.name
        return self.name

    def __repr__(self) -> str:
        return f"<OrgUnit {self.id} {self.code}>"


class OrgUnitName(Base):
    """One name a unit carried, and when; renames add rows, never rewrite them."""

    __tablename__ = "org_unit_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column()

    unit: Mapped[OrgUnit] = relationship(back_populates="names")
