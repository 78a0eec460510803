from __future__ import annotations

import base64
import uuid
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from casework.authz import (
    Permission,
    can_restructure_unit,
    deny,
    load_managed_user_or_404,
    load_outbox_message_or_404,
    load_unit_in_scope_or_404,
    require_outbox_admin,
    requires,
    visible_users,
)
from casework.blueprints.admin.forms import (
    ConfirmForm,
    MoveUnitForm,
    RenameUnitForm,
    UnitForm,
    UserForm,
)
from casework.blueprints.listing import paginate
from casework.blueprints.work import Work, unit_of_work
from casework.crypto import CryptoError, app_open, app_seal
from casework.extensions import db
from casework.forms import options
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.user import User
from casework.outbox import worker as outbox_worker
from casework.outbox.contacts import CHANNEL_LABELS
from casework.outbox.render import title_of
from casework.services import account_links, accounts, mfa, org_units

bp = Blueprint("admin", __name__, url_prefix="/admin")

NONE_CHOICE = (0, _l("— none —"))


def _scoped_units() -> list[OrgUnit]:
    return org_units.units_in_scope(current_user.org_unit)


def _unit_choices(units: list[OrgUnit]) -> list[tuple[int, Any]]:
    return [(u.id, f"{'— ' * u.depth}{u.name}") for u in units]


def _load_user(user_id: int) -> User:
    return load_managed_user_or_404(current_user, user_id)


def _load_unit(unit_id: int) -> OrgUnit:
    return load_unit_in_scope_or_404(current_user, unit_id)


# --- Accounts --------------------------------------------------------------------------------


@bp.get("/users")
@requires(Permission.MANAGE_USERS)
def users():  # type: ignore[no-untyped-def]
    page = paginate(visible_users(current_user).order_by(User.active.desc(), User.username))
    return render_template("admin/users.html", users=page.items, page=page,
                           confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def new_user():  # type: ignore[no-untyped-def]
    form = UserForm()
    form.org_unit.choices = options([NONE_CHOICE, *_unit_choices(_scoped_units())])
    providers = db.session.scalars(
        select(ServiceProvider)
        .where(ServiceProvider.active.is_(True))
        .order_by(ServiceProvider.name)
    ).all()
    form.provider.choices = options([NONE_CHOICE, *[(p.id, p.name) for p in providers]])
    work = Work()
    if form.validate_on_submit():
        unit = db.session.get(OrgUnit, form.org_unit.data) if form.org_unit.data else None
        provider = (
            db.session.get(ServiceProvider, form.provider.data) if form.provider.data else None
        )
        with unit_of_work(form) as work:
            user = accounts.create_user(
                accounts.NewUser(
                    username=form.username.data or "",
                    display_name=form.display_name.data or "",
                    role=form.role.data or "",
                    org_unit=unit,
                    provider=provider,
                    email=form.email.data,
                ),
                actor=current_user,
            )
            token = account_links.issue_set_password_link(user, actor=current_user, reset=False)
        if work.done:
            _keep_link_for_display(user, token)
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), work.status


# The link is shown once, on the account's page right after it was issued: sealed (the session
# cookie is signed, not encrypted) and bound to this admin and this account, then dropped.
_LINK_KEY = "password_link_once"


def _link_context(target: User) -> str:
    return f"session.password_link:{current_user.id}:{target.id}"


def _keep_link_for_display(target: User, token: str) -> None:
    blob = app_seal(token.encode("ascii"), _link_context(target))
    session[_LINK_KEY] = base64.urlsafe_b64encode(blob).decode("ascii")


def _link_to_display(target: User) -> dict[str, Any] | None:
    sealed = session.pop(_LINK_KEY, None)
    if not isinstance(sealed, str):
        return None
    try:
        token = app_open(base64.urlsafe_b64decode(sealed), _link_context(target)).decode("ascii")
    except (ValueError, CryptoError):
        return None
    link = account_links.find_usable(token)
    if link is None or link.user_id != target.id:
        return None
    path = url_for("auth.set_password", token=token)
    return {"url": f"{current_app.config['CASEWORK_PUBLIC_URL']}{path}",
            "expires_at": link.expires_at}


@bp.get("/users/<id:user_id>")
@requires(Permission.MANAGE_USERS)
def user(user_id: int):  # type: ignore[no-untyped-def]
    target = _load_user(user_id)
    return render_template("admin/user.html", target=target, confirm=ConfirmForm(),
                           new_link=_link_to_display(target))


@bp.post("/users/<id:user_id>/password-link")
@requires(Permission.MANAGE_USERS)
def issue_password_link(user_id: int):  # type: ignore[no-untyped-def]
    """Reset: the old password stops working, her sessions end, a new one-time link is shown."""
    target = _load_user(user_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            token = account_links.issue_set_password_link(target, actor=current_user, reset=True)
        if work.done:
            _keep_link_for_display(target, token)
            flash(_("New set-password link issued. The old password no longer works, earlier "
                    "links are void and the person has been logged out."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<id:user_id>/deactivate")
@requires(Permission.MANAGE_USERS)
def deactivate_user(user_id: int):  # type: ignore[no-untyped-def]
    return _set_user_active(user_id, False)


@bp.post("/users/<id:user_id>/reactivate")
@requires(Permission.MANAGE_USERS)
def reactivate_user(user_id: int):  # type: ignore[no-untyped-def]
    return _set_user_active(user_id, True)


def _set_user_active(user_id: int, active: bool) -> Any:
    target = _load_user(user_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            accounts.set_active(target, active, actor=current_user)
        if work.done:
            flash(_("Account reactivated.") if active else _("Account deactivated."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<id:user_id>/two-factor/reset")
@requires(Permission.MANAGE_USERS)
def reset_two_factor(user_id: int):  # type: ignore[no-untyped-def]
    target = _load_user(user_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            mfa.reset(target, actor=current_user)
        flash(_("Two-factor login reset. The user sets it up again at next login."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


# --- Organisation units ----------------------------------------------------------------------


@bp.get("/units")
@requires(Permission.MANAGE_UNITS)
def units():  # type: ignore[no-untyped-def]
    rows = org_units.units_in_scope(current_user.org_unit, active_only=False)
    return render_template("admin/units.html", units=rows)


@bp.route("/units/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_UNITS)
def new_unit():  # type: ignore[no-untyped-def]
    form = UnitForm()
    form.parent.choices = options(_unit_choices(_scoped_units()))
    work = Work()
    if form.validate_on_submit():
        parent = _load_unit(form.parent.data)
        with unit_of_work(form) as work:
            unit = org_units.create_unit(
                code=form.code.data or "",
                name=form.name.data or "",
                kind=form.kind.data or "",
                parent=parent,
                actor=current_user,
            )
        if work.done:
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("admin.unit", unit_id=unit.id))
    return render_template("admin/unit_new.html", form=form), work.status


@bp.get("/units/<id:unit_id>")
@requires(Permission.MANAGE_UNITS)
def unit(unit_id: int):  # type: ignore[no-untyped-def]
    target = _load_unit(unit_id)
    return _render_unit(target)


def _render_unit(
    target: OrgUnit,
    rename: RenameUnitForm | None = None,
    move: MoveUnitForm | None = None,
    status: int = 200,
) -> Any:
    rename = rename or RenameUnitForm(name=target.name)
    move = move or MoveUnitForm(parent=target.parent_id)
    move.parent.choices = options(
        (u.id, f"{'— ' * u.depth}{u.name}") for u in _scoped_units() if not u.is_within(target)
    )
    return render_template(
        "admin/unit.html",
        unit=target,
        rename_form=rename,
        move_form=move,
        confirm=ConfirmForm(),
        restructurable=can_restructure_unit(current_user, target),
    ), status


@bp.post("/units/<id:unit_id>/rename")
@requires(Permission.MANAGE_UNITS)
def rename_unit(unit_id: int):  # type: ignore[no-untyped-def]
    target = _load_unit(unit_id)
    form = RenameUnitForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            org_units.rename_unit(target, form.name.data or "", actor=current_user)
        if work.done:
            flash(_("Unit renamed. Reports of earlier periods keep the old name."), "success")
            return redirect(url_for("admin.unit", unit_id=target.id))
    return _render_unit(target, rename=form, status=400)


@bp.post("/units/<id:unit_id>/move")
@requires(Permission.MANAGE_UNITS)
def move_unit(unit_id: int):  # type: ignore[no-untyped-def]
    target = _load_unit(unit_id)
    if not can_restructure_unit(current_user, target):
        deny("move_own_unit")
    form = MoveUnitForm()
    form.parent.choices = options((u.id, u.name) for u in _scoped_units())
    if form.validate_on_submit():
        new_parent = _load_unit(form.parent.data)
        with unit_of_work(form) as work:
            org_units.move_unit(target, new_parent, actor=current_user)
        if work.done:
            flash(_("Unit moved."), "success")
            return redirect(url_for("admin.unit", unit_id=target.id))
    return _render_unit(target, move=form, status=400)


@bp.post("/units/<id:unit_id>/deactivate")
@requires(Permission.MANAGE_UNITS)
def deactivate_unit(unit_id: int):  # type: ignore[no-untyped-def]
    return _set_unit_active(unit_id, False)


@bp.post("/units/<id:unit_id>/reactivate")
@requires(Permission.MANAGE_UNITS)
def reactivate_unit(unit_id: int):  # type: ignore[no-untyped-def]
    return _set_unit_active(unit_id, True)


def _set_unit_active(unit_id: int, active: bool) -> Any:
    target = _load_unit(unit_id)
    if not can_restructure_unit(current_user, target):
        deny("deactivate_own_unit")
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            org_units.set_unit_active(target, active, actor=current_user)
        if work.done:
            flash(_("Unit reactivated.") if active else _("Unit deactivated."), "success")
    return redirect(url_for("admin.unit", unit_id=target.id))


# --- Outbox: failed and given-up messages -------------------------------------------------------

@bp.get("/outbox")
@requires(Permission.MANAGE_OUTBOX)
def outbox():  # type: ignore[no-untyped-def]
    require_outbox_admin(current_user)
    return render_template("admin/outbox.html", messages=outbox_worker.problems(),
                           counts=outbox_worker.counts(), form=ConfirmForm(),
                           channel_labels=CHANNEL_LABELS, kind_label=title_of)


@bp.post("/outbox/<uuid:message_id>/retry")
@requires(Permission.MANAGE_OUTBOX)
def outbox_retry(message_id: uuid.UUID):  # type: ignore[no-untyped-def]
    message = load_outbox_message_or_404(current_user, message_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work(also_flash=True) as work:
            outbox_worker.retry(message, actor=current_user)
        if work.done:
            flash(_("The message is queued again."), "success")
    return redirect(url_for("admin.outbox"))
