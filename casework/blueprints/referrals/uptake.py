"""A caseworker's report of uptake and the supervisor's verdict (DOMAIN.md, "Uptake provenance").

The caseworker reports that she started (date, how it is known); the report sits in the
pipeline until a supervisor of a unit above the case verifies it (then it counts) or does not
(the referral is back to accepted, with the supervisor's note). Both moves are the referral
table's (``referral_flow``), run by ``referrals.act``.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casework.authz import Permission, load_referral_or_404, requires, visible_referrals
from casework.blueprints.referrals.forms import ActionForm, ReviewForm, version_of
from casework.blueprints.referrals.views import _action_input, _render_view, bp
from casework.blueprints.work import unit_of_work
from casework.domain import SERVICE_CATEGORIES, UPTAKE_CASEWORKER_REPORT
from casework.extensions import db
from casework.forms import options
from casework.models.referral import Referral
from casework.services import referral_flow as flow
from casework.services import referrals


@bp.post("/<uuid:referral_id>/report-uptake")
@requires(Permission.SEND_REFERRALS)
def report_uptake(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    form = ActionForm(prefix="report_uptake")
    form.reason_code.choices = options(flow.UPTAKE_EVIDENCE.items())
    form.outcome_code.choices = options([("", "")])
    if not form.validate_on_submit():
        flash(_("Please correct the fields marked below."), "error")
        return _render_view(referral, status=400)
    with unit_of_work(also_flash=True) as work:
        referrals.act(referral, "report_uptake", _action_input(form), actor=current_user,
                      version=version_of(form))
    if not work.done:
        return _render_view(load_referral_or_404(current_user, referral_id), status=work.status)
    flash(_("Uptake reported. It counts once a supervisor verifies it."), "success")
    return redirect(url_for("referrals.view", referral_id=referral_id))


@bp.post("/<uuid:referral_id>/verify-uptake")
@requires(Permission.AUDIT_OUTCOMES)
def verify_uptake(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    form = ReviewForm()
    action = {"verify": "verify_uptake", "reject": "reject_uptake"}.get(
        request.form.get("decision", ""))
    if not form.validate_on_submit() or action is None:
        flash(_("Choose whether you verify the reported uptake."), "error")
        return _render_view(referral, status=400)
    with unit_of_work(also_flash=True) as work:
        referrals.act(referral, action, referrals.ActionInput(note=form.note.data),
                      actor=current_user, version=version_of(form))
    if not work.done:
        return _render_view(load_referral_or_404(current_user, referral_id), status=work.status)
    flash(_("Uptake verified: it now counts.") if action == "verify_uptake"
          else _("Not verified: the referral is back to accepted and the caseworker is told."),
          "success")
    return redirect(url_for("referrals.uptake_reports"))


@bp.get("/uptake-reports")
@requires(Permission.AUDIT_OUTCOMES)
def uptake_reports():  # type: ignore[no-untyped-def]
    """The supervisor's queue: reported uptakes of cases in scope that wait for a verdict."""
    rows = db.session.scalars(
        visible_referrals(current_user)
        .where(Referral.uptake_provenance == UPTAKE_CASEWORKER_REPORT,
               Referral.uptake_on.is_not(None), Referral.uptake_verified_at.is_(None))
        .order_by(Referral.uptake_on)).all()
    return render_template("referrals/uptake_reports.html", referrals=rows,
                           evidence=flow.UPTAKE_EVIDENCE, categories=SERVICE_CATEGORIES)
