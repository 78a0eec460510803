"""Service providers (partners): what they offer, where, and how fast they promise to answer.

Kinds come from ``domain.PROVIDER_KINDS``; service categories from ``domain.SERVICE_CATEGORIES``.
Coverage lists org units; a provider covering a unit covers its whole subtree. Contact details
are the organisation's (switchboard, office address), never a person's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow
from casework.models.org import OrgUnit

DEFAULT_RESPONSE_DAYS = 7
DEFAULT_FOLLOWUP_DAYS = 30


class ServiceProvider(Base):
    __tablename__ = "service_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="other")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Organisation contact (not a person's): shown to staff in the directory.
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    # How a partner without an account gets its one-time links: sms or zalo (to the phone
    # above) or email (to the e-mail above); see services/partner_links.py.
    link_channel: Mapped[str] = mapped_column(String(10), default="sms", server_default="sms")
    # Service terms: days to answer a referral; days from acceptance to the service starting.
    response_days: Mapped[int] = mapped_column(default=DEFAULT_RESPONSE_DAYS)
    followup_days: Mapped[int] = mapped_column(default=DEFAULT_FOLLOWUP_DAYS)

    category_links: Mapped[list[ProviderCategory]] = relationship(
        back_populates="provider", cascade="all, delete-orphan",
        order_by="ProviderCategory.category",
    )
    area_links: Mapped[list[ProviderArea]] = relationship(
        back_populates="provider", cascade="all, delete-orphan"
    )

    @property
    def categories(self) -> list[str]:
        return [link.category for link in self.category_links]

    @property
    def area_unit_ids(self) -> list[int]:
        return [link.org_unit_id for link in self.area_links]

    def __repr__(self) -> str:
        return f"<ServiceProvider {self.id} {self.code}>"


class ProviderCategory(Base):
    """One service category a provider offers."""

    __tablename__ = "provider_categories"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("service_providers.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)

    provider: Mapped[ServiceProvider] = relationship(back_populates="category_links")


class ProviderArea(Base):
    """One org unit (with its subtree) a provider serves."""

    __tablename__ = "provider_areas"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("service_providers.id", ondelete="CASCADE"), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True,
                                             index=True)

    provider: Mapped[ServiceProvider] = relationship(back_populates="area_links")
    org_unit: Mapped[OrgUnit] = relationship()
