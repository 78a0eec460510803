"""The provider directory: create and edit partners, and find who serves a category in an area.

A provider covering an org unit serves that unit's whole subtree, so a provider listed for the
province serves every commune, and one listed for Hải Hậu district serves Thịnh Long town.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, literal, select

from casework import audit
from casework.authz import may_manage_provider
from casework.domain import PROVIDER_KINDS, SERVICE_CATEGORIES
from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.provider import ProviderArea, ProviderCategory, ServiceProvider
from casework.services.effective_dates import clean_text
from casework.services.errors import DomainError

MAX_DAYS = 365


@dataclass
class ProviderInput:
    code: str
    name: str
    kind: str
    categories: Iterable[str] = ()
    area_unit_ids: Iterable[int] = ()
    contact_phone: str | None = None
    contact_email: str | None = None
    address: str | None = None
    response_days: int | None = 7
    followup_days: int | None = 30
    active: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    link_channel: str = "sms"  # how one-time links reach it without an account (issue 12)


#: Channels a provider without an account may choose for its one-time links.
LINK_CHANNELS: dict[str, Any] = {
    "sms": _l("SMS to the office phone"),
    "zalo": _l("Zalo to the office phone"),
    "email": _l("E-mail to the office address"),
}


def _validate(data: ProviderInput, current: ServiceProvider | None) -> tuple[list[str], list[int]]:
    code = clean_text(data.code, limit=40, field="code")
    if not code:
        raise DomainError(_l("This field is required."), "code")
    taken = db.session.scalar(select(ServiceProvider.id).where(ServiceProvider.code == code))
    if taken is not None and (current is None or taken != current.id):
        raise DomainError(_l("Another partner already uses this code."), "code")
    if not clean_text(data.name, limit=200, field="name"):
        raise DomainError(_l("This field is required."), "name")
    if data.kind not in PROVIDER_KINDS:
        raise DomainError(_l("Choose a type."), "kind")
    categories = sorted(set(data.categories))
    if not categories or any(c not in SERVICE_CATEGORIES for c in categories):
        raise DomainError(_l("Choose at least one service category."), "categories")
    unit_ids = sorted({int(u) for u in data.area_unit_ids})
    if not unit_ids:
        raise DomainError(_l("Choose at least one area served."), "areas")
    found = db.session.scalar(select(func.count()).select_from(OrgUnit)
                              .where(OrgUnit.id.in_(unit_ids)))
    if found != len(unit_ids):
        raise DomainError(_l("Choose areas from the list."), "areas")
    if data.link_channel not in LINK_CHANNELS:
        raise DomainError(_l("Choose a channel from the list."), "link_channel")
    for name in ("response_days", "followup_days"):
        value = getattr(data, name)
        if value is None or not 1 <= value <= MAX_DAYS:
            raise DomainError(_l("Enter a number of days from 1 to %(n)s.", n=MAX_DAYS), name)
    return categories, unit_ids


def _apply(provider: ServiceProvider, data: ProviderInput, categories: list[str],
           unit_ids: list[int]) -> None:
    provider.code = clean_text(data.code, limit=40) or provider.code
    provider.name = clean_text(data.name, limit=200) or provider.name
    provider.kind = data.kind
    provider.contact_phone = clean_text(data.contact_phone, limit=40, field="contact_phone")
    provider.contact_email = clean_text(data.contact_email, limit=254, field="contact_email")
    provider.address = clean_text(data.address, limit=300, field="address")
    provider.response_days = int(data.response_days or 7)
    provider.followup_days = int(data.followup_days or 30)
    provider.active = bool(data.active)
    provider.link_channel = data.link_channel
    set_categories(provider, categories)
    set_areas(provider, unit_ids)


def set_categories(provider: ServiceProvider, categories: Iterable[str]) -> None:
    wanted = set(categories)
    provider.category_links = [link for link in provider.category_links if link.category in wanted]
    have = set(provider.categories)
    for category in sorted(wanted - have):
        provider.category_links.append(ProviderCategory(category=category))


def set_areas(provider: ServiceProvider, unit_ids: Iterable[int]) -> None:
    wanted = set(unit_ids)
    provider.area_links = [link for link in provider.area_links if link.org_unit_id in wanted]
    have = set(provider.area_unit_ids)
    for unit_id in sorted(wanted - have):
        provider.area_links.append(ProviderArea(org_unit_id=unit_id))


def _check_scope(actor: Any, unit_ids: Iterable[int]) -> None:
    if not may_manage_provider(actor, list(unit_ids)):
        raise DomainError(_l("You can only manage partners whose areas all lie within your "
                             "unit."), "areas")


def create_provider(data: ProviderInput, *, actor: Any) -> ServiceProvider:
    """Add a partner to the directory. Raises DomainError for a taken code, an unknown kind or
    category, no area, or deadlines outside 1–365 days."""
    categories, unit_ids = _validate(data, None)
    _check_scope(actor, unit_ids)
    provider = ServiceProvider(code="", name="", kind=data.kind)
    _apply(provider, data, categories, unit_ids)
    db.session.add(provider)
    db.session.flush()
    audit.record("provider.created", target_type="provider", target_id=provider.id, actor=actor,
                 details={"code": provider.code, "kind": provider.kind})
    return provider


def update_provider(provider: ServiceProvider, data: ProviderInput, *, actor: Any) -> None:
    """Change a partner's details, categories, areas, terms or active flag. Raises DomainError
    when the actor may not manage this partner or the areas chosen."""
    _check_scope(actor, provider.area_unit_ids)
    categories, unit_ids = _validate(data, provider)
    _check_scope(actor, unit_ids)
    _apply(provider, data, categories, unit_ids)
    db.session.flush()
    audit.record("provider.updated", target_type="provider", target_id=provider.id, actor=actor,
                 details={"code": provider.code, "active": provider.active})


def covers_unit(unit: OrgUnit) -> Any:
    """SQL condition: the provider serves ``unit`` (one of its areas is ``unit`` or above it)."""
    area_unit = OrgUnit.__table__.alias("area_unit")
    return exists(
        select(ProviderArea.provider_id)
        .join(area_unit, area_unit.c.id == ProviderArea.org_unit_id)
        .where(ProviderArea.provider_id == ServiceProvider.id,
               literal(unit.path).startswith(area_unit.c.path))
    )


def offers(category: str) -> Any:
    return exists(select(ProviderCategory.provider_id).where(
        and_(ProviderCategory.provider_id == ServiceProvider.id,
             ProviderCategory.category == category)))


def search(*, category: str | None = None, unit: OrgUnit | None = None,
           active_only: bool = True, text: str | None = None) -> list[ServiceProvider]:
    """Partners offering ``category`` that serve ``unit`` (either may be omitted)."""
    query = select(ServiceProvider)
    if active_only:
        query = query.where(ServiceProvider.active.is_(True))
    if category:
        query = query.where(offers(category))
    if unit is not None:
        query = query.where(covers_unit(unit))
    if text:
        pattern = f"%{text.strip()[:60]}%"
        query = query.where(ServiceProvider.name.ilike(pattern)
                            | ServiceProvider.code.ilike(pattern))
    return list(db.session.scalars(query.order_by(ServiceProvider.name)))


def serves(provider: ServiceProvider, category: str, unit: OrgUnit) -> bool:
    """Whether ``provider`` is active, offers ``category`` and serves ``unit``."""
    return provider.active and category in provider.categories and any(
        unit.is_within(link.org_unit) for link in provider.area_links)


def get_by_code(code: str) -> ServiceProvider | None:
    return db.session.scalar(select(ServiceProvider).where(ServiceProvider.code == code))
