"""Organisation units: create, rename (keeping name history), move (re-parent), deactivate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from casework import audit
from casework.db import utcnow
from casework.extensions import db
from casework.models.org import UNIT_KINDS, UNIT_LEVEL, OrgUnit, OrgUnitName
from casework.models.user import User
from casework.services.errors import DomainError

NAME_MAX = 200
CODE_MAX = 40


def subtree_filter(unit: OrgUnit):  # type: ignore[no-untyped-def]
    """A SQL condition selecting ``unit`` and every unit below it (one indexed prefix match)."""
    return OrgUnit.path.startswith(unit.path, autoescape=True)


def subtree_ids(unit: OrgUnit):  # type: ignore[no-untyped-def]
    """A scalar subquery of the ids in ``unit``'s subtree, for ``X.org_unit_id.in_(...)``."""
    return select(OrgUnit.id).where(subtree_filter(unit)).scalar_subquery()


def _check_parent(kind: str, parent: OrgUnit | None) -> None:
    if kind not in UNIT_KINDS:
        raise DomainError(_l("Unknown unit type."), "kind")
    if parent is None:
        if kind != "province":
            raise DomainError(_l("Only a province can stand at the top."), "parent")
        return
    if UNIT_LEVEL[parent.kind] >= UNIT_LEVEL[kind]:
        raise DomainError(_l("This unit type cannot be placed under that unit."), "parent")
    if not parent.active:
        raise DomainError(_l("The parent unit is deactivated."), "parent")


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise DomainError(_l("Enter a name of 1 to 200 characters."), "name")
    return name


def create_unit(
    *, code: str, name: str, kind: str, parent: OrgUnit | None, actor: User | None
) -> OrgUnit:
    code = code.strip().upper()
    if not code or len(code) > CODE_MAX or not all(c.isalnum() or c in "-_." for c in code):
        raise DomainError(_l("Enter a code of letters, digits, '-', '_' or '.'."), "code")
    if db.session.scalar(select(func.count()).where(OrgUnit.code == code)):
        raise DomainError(_l("This code is already used by another unit."), "code")
    name = _clean_name(name)
    _check_parent(kind, parent)
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = (parent.depth + 1) if parent else 0
    unit.names.append(OrgUnitName(name=name, valid_from=unit.created_at))
    db.session.flush()
    audit.record("org_unit.created", target_type="org_unit", target_id=str(unit.id), actor=actor)
    return unit


def rename_unit(unit: OrgUnit, new_name: str, *, actor: User) -> None:
    """Rename from now on; the old name stays in the history for past periods."""
    new_name = _clean_name(new_name)
    if new_name == unit.name:
        return
    now = utcnow()
    for entry in unit.names:
        if entry.valid_to is None:
            entry.valid_to = now
    unit.names.append(OrgUnitName(name=new_name, valid_from=now))
    unit.name = new_name
    db.session.flush()
    audit.record("org_unit.renamed", target_type="org_unit", target_id=str(unit.id), actor=actor)


def move_unit(unit: OrgUnit, new_parent: OrgUnit, *, actor: User) -> None:
    """Re-parent ``unit`` with its whole subtree, rewriting paths in one UPDATE."""
    if new_parent.is_within(unit):
        raise DomainError(_l("A unit cannot be moved under itself or its own sub-units."), "parent")
    _check_parent(unit.kind, new_parent)
    old_prefix = unit.path
    new_prefix = f"{new_parent.path}{unit.id}/"
    depth_delta = new_parent.depth + 1 - unit.depth
    db.session.flush()
    db.session.execute(
        update(OrgUnit)
        .where(OrgUnit.path.startswith(old_prefix, autoescape=True))
        .values(
            path=new_prefix + func.substr(OrgUnit.path, len(old_prefix) + 1),
            depth=OrgUnit.depth + depth_delta,
        )
        .execution_options(synchronize_session=False)
    )
    unit.parent_id = new_parent.id
    db.session.flush()
    db.session.expire_all()
    audit.record(
        "org_unit.moved",
        target_type="org_unit",
        target_id=str(unit.id),
        actor=actor,
        details={"new_parent": new_parent.id},
    )


def set_unit_active(unit: OrgUnit, active: bool, *, actor: User) -> None:
    """Deactivate (refused while active sub-units or active users remain) or reactivate."""
    if not active:
        children = db.session.scalar(
            select(func.count()).where(OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True))
        )
        if children:
            raise DomainError(_l("Deactivate or move its active sub-units first."))
        users = db.session.scalar(
            select(func.count()).where(User.org_unit_id == unit.id, User.active.is_(True))
        )
        if users:
            raise DomainError(_l("Deactivate or move the active accounts of this unit first."))
        from casework.models.case import Case  # cases depend on units, not the other way

        open_cases = db.session.scalar(
            select(func.count()).where(Case.org_unit_id == unit.id, Case.status == "open")
        )
        if open_cases:
            raise DomainError(_l("Transfer the open cases of this unit to another unit first."))
    elif unit.parent is not None and not unit.parent.active:
        raise DomainError(_l("The parent unit is deactivated."))
    unit.active = active
    audit.record(
        "org_unit.activated" if active else "org_unit.deactivated",
        target_type="org_unit",
        target_id=str(unit.id),
        actor=actor,
    )


def units_in_scope(unit: OrgUnit, *, active_only: bool = True) -> list[OrgUnit]:
    stmt = select(OrgUnit).where(subtree_filter(unit)).order_by(OrgUnit.path)
    if active_only:
        stmt = stmt.where(OrgUnit.active.is_(True))
    return list(db.session.scalars(stmt))


def all_units() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).order_by(OrgUnit.path)))
