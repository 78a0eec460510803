"""API tokens: admins and supervisors create them for a unit of their subtree, and revoke them."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casework.activity import api_tokens
from casework.authz import (
    Permission,
    load_api_token_or_404,
    requires,
    unit_in_scope,
    visible_api_tokens,
)
from casework.blueprints.activity import forms as f
from casework.blueprints.activity.views import bp
from casework.blueprints.work import Work, unit_of_work
from casework.extensions import db
from casework.forms import options
from casework.models.activity import ApiToken
from casework.models.org import OrgUnit
from casework.services.errors import DomainError
from casework.services.org_units import subtree_filter


@bp.route("/tokens", methods=["GET", "POST"])
@requires(Permission.MANAGE_API_TOKENS)
def tokens():  # type: ignore[no-untyped-def]
    scope = current_user.org_unit
    form = f.TokenForm()
    units = [] if scope is None else db.session.scalars(
        select(OrgUnit).where(subtree_filter(scope), OrgUnit.active.is_(True))
        .order_by(OrgUnit.path)).all()
    form.unit.choices = options([(u.id, u.name) for u in units])
    work, plaintext = Work(), None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            unit = db.session.get(OrgUnit, form.unit.data)
            if unit is None or not unit_in_scope(current_user, unit):
                raise DomainError(_("Choose one of the units listed."), "unit")
            _token, plaintext = api_tokens.create(unit, form.name.data or "", actor=current_user)
    rows = db.session.scalars(visible_api_tokens(current_user)
                              .order_by(ApiToken.created_at.desc())).all()
    return render_template("activity/tokens.html", form=form, rows=rows, plaintext=plaintext,
                           revoke_form=f.PeriodForm()), 200 if work.done else work.status


@bp.post("/tokens/<int(max=999999999):token_id>/revoke")
@requires(Permission.MANAGE_API_TOKENS)
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    token = load_api_token_or_404(current_user, token_id)
    if f.PeriodForm().validate_on_submit():
        with unit_of_work() as work:
            api_tokens.revoke(token, actor=current_user)
        if work.done:
            flash(_("The token no longer works."), "success")
    else:
        flash(_("The form expired; please try again."), "error")
    return redirect(url_for("activity.tokens"))
