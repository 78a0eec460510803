"""Partner portal pages: phone first, only the provider's referrals, only the shared fields.

Every page loads through ``authz.visible_referrals_for_partner`` / ``load_partner_referral_or_404``
(consent and status checked at each request); partners never reach case pages or search.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case as sql_case

from casework import audit
from casework.authz import (
    PARTNER_VISIBLE_STATUSES,
    Permission,
    load_partner_referral_or_404,
    requires,
    visible_referrals_for_partner,
)
from casework.blueprints.referrals.forms import ActionForm, ConfirmForm, version_of
from casework.blueprints.work import unit_of_work
from casework.domain import REFERRAL_STATUSES, SERVICE_CATEGORIES
from casework.extensions import db
from casework.forms import options
from casework.models.referral import Referral
from casework.services import notifications, referrals
from casework.services import referral_flow as flow
from casework.services.effective_dates import today

bp = Blueprint("partner", __name__, url_prefix="/partner")

INBOX_GROUPS = ("overdue", "new", "accepted", "in_service")


@bp.get("/")
@requires(Permission.PARTNER_PORTAL)
def inbox():  # type: ignore[no-untyped-def]
    overdue = referrals.overdue_filter()
    rows = db.session.scalars(
        visible_referrals_for_partner(current_user)
        .where(Referral.status.in_(referrals.LIVE_STATUSES))
        .order_by(sql_case((overdue, 0), else_=1), Referral.referred_on)).all()
    groups: dict[str, list[Referral]] = {name: [] for name in INBOX_GROUPS}
    for referral in rows:
        if referrals.is_overdue(referral):
            groups["overdue"].append(referral)
        elif referral.status == "sent":
            groups["new"].append(referral)
        elif referral.status in ("accepted", "on_hold"):
            groups["accepted"].append(referral)
        else:
            groups["in_service"].append(referral)
    # Notices about referrals the partner may no longer see (consent withdrawn, cancelled)
    # are left out with them.
    visible_ids = set(db.session.scalars(
        visible_referrals_for_partner(current_user).with_only_columns(Referral.id)))
    notices = [n for n in notifications.for_user(current_user, limit=20)
               if n.referral_id in visible_ids][:10]
    return render_template("partner/inbox.html", groups=groups, statuses=REFERRAL_STATUSES,
                           categories=SERVICE_CATEGORIES, notices=notices,
                           label=notifications.label, read_form=ConfirmForm())


def _forms(referral: Referral) -> dict[str, ActionForm]:
    forms = {}
    for step in referrals.available_actions(referral, current_user):
        form = ActionForm(prefix=step.action)
        form.version.data = str(referral.version)
        form.reason_code.choices = options([("", _("— choose —")),
                                            *(step.reasons or {}).items()])
        form.outcome_code.choices = options([("", _("— choose —")),
                                             *(step.outcomes or {}).items()])
        if form.effective_date.data is None:
            form.effective_date.data = today()
        forms[step.action] = form
    return forms


def _render(referral: Referral, *, forms: dict[str, ActionForm] | None = None,
            status: int = 200) -> Any:
    with unit_of_work():
        shown = referrals.partner_copy(referral)
        audit.record("referral.partner_viewed", target_type="referral", target_id=referral.id,
                     fields=tuple(shown), details={"status": referral.status})
        page = render_template(
            "partner/referral.html", referral=referral, shown=shown,
            share_options=referrals.SHARE_OPTIONS, forms={**_forms(referral), **(forms or {})},
            actions=referrals.available_actions(referral, current_user),
            overdue=referrals.is_overdue(referral), statuses=REFERRAL_STATUSES,
            categories=SERVICE_CATEGORIES)
    return page, status


@bp.get("/referrals/<uuid:referral_id>")
@requires(Permission.PARTNER_PORTAL)
def referral(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    item = load_partner_referral_or_404(current_user, referral_id)
    with unit_of_work():  # opened: the partner's notices about it are read
        notifications.mark_read_for_referral(current_user, item.id)
    return _render(item)


@bp.post("/referrals/<uuid:referral_id>/"
         "<any(accept,decline,hold,confirm_uptake,complete,not_complete):action>")
@requires(Permission.PARTNER_PORTAL)
def act(referral_id: uuid.UUID, action: str):  # type: ignore[no-untyped-def]
    item = load_partner_referral_or_404(current_user, referral_id)
    step = flow.transition(action)
    if step is None or step.side != flow.PARTNER:
        abort(404)
    form = ActionForm(prefix=action)
    form.reason_code.choices = options((step.reasons or {}).items())
    form.outcome_code.choices = options((step.outcomes or {}).items())
    if not form.validate_on_submit():
        flash(_("Please correct the fields marked below."), "error")
        return _render(item, forms={action: form}, status=400)
    with unit_of_work(form, also_flash=True) as work:
        referrals.act(item, action, referrals.ActionInput(
            effective_date=form.effective_date.data, reason_code=form.reason_code.data or None,
            outcome_code=form.outcome_code.data or None, note=form.note.data),
            actor=current_user, version=version_of(form))
    if not work.done:
        item = load_partner_referral_or_404(current_user, referral_id)
        return _render(item, forms={action: form}, status=work.status)
    flash(_("Saved. The caseworker has been notified."), "success")
    if item.status not in PARTNER_VISIBLE_STATUSES:  # ended: her data leaves the portal now
        flash(_("This referral is closed and no longer shown here."), "info")
        return redirect(url_for("partner.inbox"))
    return redirect(url_for("partner.referral", referral_id=referral_id))


@bp.get("/performance")
@requires(Permission.PARTNER_PORTAL)
def performance():  # type: ignore[no-untyped-def]
    provider = current_user.provider
    since = today() - timedelta(days=365)
    return render_template("partner/performance.html", provider=provider,
                           last_year=referrals.performance(provider, since=since),
                           all_time=referrals.performance(provider))


@bp.post("/notices/read")
@requires(Permission.PARTNER_PORTAL)
def notices_read():  # type: ignore[no-untyped-def]
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            notifications.mark_all_read(current_user)
    return redirect(url_for("partner.inbox"))
