"""Activity views: a unit's records for a half-year, its submission, the level above's review.

Thin: the services in ``casework.activity.records`` validate, flush and audit; each view
commits once through ``unit_of_work``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from casework.activity import records
from casework.activity.targets import half_key
from casework.authz import (
    Permission,
    activity_unit_or_404,
    load_activity_record_or_404,
    may_review_unit,
    requires,
    review_unit_or_404,
)
from casework.blueprints.activity import forms as f
from casework.blueprints.supervision import reporting
from casework.blueprints.work import Work, unit_of_work
from casework.extensions import db
from casework.indicators import Period, half_years
from casework.models.activity import ActivityRecord
from casework.models.org import OrgUnit
from casework.services.effective_dates import today
from casework.services.errors import DomainError
from casework.services.org_units import subtree_filter

bp = Blueprint("activity", __name__, url_prefix="/activity")

KIND = "any(plan,communication,programme,training,post)"


class BadPeriod(Exception):
    """A period in the URL that is not a started half-year: answered 400 with a message."""


@bp.errorhandler(BadPeriod)
def bad_period(error: BadPeriod):  # type: ignore[no-untyped-def]
    return render_template("supervision/bad_request.html", message=str(error)), 400


def _half() -> Period:
    key = (request.values.get("period") or "").strip() or half_key(today())
    try:
        return records.half_period(key[:10], today())  # type: ignore[no-any-return]
    except ValueError:
        raise BadPeriod(_("This period does not exist or has not started yet.")) from None


def _halves() -> list[tuple[str, str]]:
    return [(p.code, reporting.half_year_label(p.code)) for p in reversed(half_years(today()))]


def _labels() -> dict[str, Any]:
    return {"kind_label": f.KIND_LABELS, "forms_label": dict(f.COMMUNICATION_FORMS),
            "channel_label": dict(f.POST_CHANNELS), "half_label": reporting.half_year_label,
            "status_label": STATUS_LABELS}


STATUS_LABELS = {
    None: _l("Not submitted"), "submitted": _l("Waiting for approval"),
    "approved": _l("Approved"), "returned": _l("Returned for correction"),
}


@bp.get("/")
@requires(Permission.RECORD_ACTIVITY)
def index():  # type: ignore[no-untyped-def]
    unit = activity_unit_or_404(current_user)
    period = _half()
    found = records.submission(unit, period.code)
    return render_template(
        "activity/index.html", unit=unit, period=period, halves=_halves(), submission=found,
        items=records.records_of(unit, period.start, period.end),
        counts=records.counts_for(unit, period.end.year),
        missing=records.missing(unit, period.code, today()),
        submit_form=f.PeriodForm(period=period.code), **_labels())


def _record_input(form: Any) -> records.RecordInput:
    return records.RecordInput(
        held_on=form.held_on.data, ended_on=getattr(form, "ended_on", None) and
        form.ended_on.data, title=form.title.data or "" if hasattr(form, "title") else "",
        form=form.form.data if hasattr(form, "form") else None,
        officers=form.officers.data if hasattr(form, "officers") else 0,
        members=form.members.data if hasattr(form, "members") else 0,
        partners=form.partners.data or "" if hasattr(form, "partners") else "",
        link=form.link.data or "" if hasattr(form, "link") else "",
        amendment_note=form.amendment_note.data or "")


def _save(kind: str, record: ActivityRecord | None):  # type: ignore[no-untyped-def]
    unit = activity_unit_or_404(current_user)
    form = f.FORMS[kind](obj=record if request.method == "GET" else None)
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            saved = records.save_record(unit, kind, _record_input(form), today(),
                                        actor=current_user, record=record)
        if work.done:
            flash(_("Saved."), "success")
            return redirect(url_for("activity.index", period=half_key(saved.held_on)))
    return render_template("activity/record.html", form=form, kind=kind, record=record,
                           unit=unit, delete_form=f.PeriodForm(), **_labels()), work.status


@bp.route(f"/new/<{KIND}:kind>", methods=["GET", "POST"])
@requires(Permission.RECORD_ACTIVITY)
def new(kind: str):  # type: ignore[no-untyped-def]
    return _save(kind, None)


@bp.route("/records/<int(max=999999999):record_id>", methods=["GET", "POST"])
@requires(Permission.RECORD_ACTIVITY)
def edit(record_id: int):  # type: ignore[no-untyped-def]
    record = load_activity_record_or_404(current_user, record_id)
    return _save(record.kind, record)


@bp.post("/records/<int(max=999999999):record_id>/delete")
@requires(Permission.RECORD_ACTIVITY)
def delete(record_id: int):  # type: ignore[no-untyped-def]
    record = load_activity_record_or_404(current_user, record_id)
    key = half_key(record.held_on)
    if f.PeriodForm().validate_on_submit():
        with unit_of_work() as work:
            records.delete_record(record, actor=current_user)
        if work.done:
            flash(_("Deleted."), "success")
    else:
        flash(_("The form expired; please try again."), "error")
    return redirect(url_for("activity.index", period=key))


@bp.route("/counts", methods=["GET", "POST"])
@requires(Permission.RECORD_ACTIVITY)
def counts():  # type: ignore[no-untyped-def]
    unit = activity_unit_or_404(current_user)
    period = _half()
    year = period.end.year
    row = records.counts_for(unit, year)
    form = f.CountsForm(obj=row if request.method == "GET" else None)
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            records.save_counts(unit, year, form.officers.data, form.concerned_officers.data,
                                form.members.data, today(), actor=current_user,
                                note=form.amendment_note.data or "")
        if work.done:
            flash(_("Saved."), "success")
            return redirect(url_for("activity.index", period=period.code))
    return render_template("activity/counts.html", form=form, unit=unit, year=year,
                           period=period), work.status


@bp.post("/submit")
@requires(Permission.RECORD_ACTIVITY)
def submit():  # type: ignore[no-untyped-def]
    unit = activity_unit_or_404(current_user)
    period = _half()
    if f.PeriodForm().validate_on_submit():
        with unit_of_work() as work:
            records.submit(unit, period.code, today(), actor=current_user)
        if work.done:
            flash(_("Sent to the level above for approval."), "success")
    else:
        flash(_("The form expired; please try again."), "error")
    return redirect(url_for("activity.index", period=period.code))


# --- The level above ------------------------------------------------------------------------------

@bp.get("/reviews")
@requires(Permission.REVIEW_ACTIVITY)
def reviews():  # type: ignore[no-untyped-def]
    """Every unit of the reviewer's subtree and where its half-year stands."""
    scope = current_user.org_unit
    period = _half()
    units = db.session.scalars(select(OrgUnit).where(subtree_filter(scope),
                                                     OrgUnit.active.is_(True))
                               .order_by(OrgUnit.path)).all()
    found = records.statuses(scope, period.code)
    tally: dict[Any, int] = {}
    for u in units:
        status = found[u.id].status if u.id in found else None
        tally[status] = tally.get(status, 0) + 1
    return render_template("activity/reviews.html", units=units, found=found, period=period,
                           halves=_halves(), tally=tally, scope=scope,
                           may_review=lambda u: may_review_unit(current_user, u), **_labels())


@bp.route("/reviews/<int(max=999999999):unit_id>", methods=["GET", "POST"])
@requires(Permission.REVIEW_ACTIVITY)
def review(unit_id: int):  # type: ignore[no-untyped-def]
    unit = review_unit_or_404(current_user, unit_id)
    period = _half()
    found = records.submission(unit, period.code)
    form = f.ReviewForm()
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            if found is None:
                raise DomainError(_("This half-year has not been submitted."),
                                          "decision")
            records.review(found, form.decision.data, form.comment.data or "", today(),
                           actor=current_user)
        if work.done:
            flash(_("Approved.") if form.decision.data == "approved"
                  else _("Returned for correction."), "success")
            return redirect(url_for("activity.reviews", period=period.code))
    return render_template(
        "activity/review.html", unit=unit, period=period, submission=found, form=form,
        items=records.records_of(unit, period.start, period.end),
        counts=records.counts_for(unit, period.end.year),
        missing=records.missing(unit, period.code, today()),
        changes=records.amendments(found, today()) if found else [],
        **_labels()), work.status
