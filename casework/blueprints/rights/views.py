"""Her rights: thin views over ``services/access_history``, ``retention``, ``her_pack`` and
``impact_assessment``. Every page is audited and sent with ``Cache-Control: no-store``."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casework import audit
from casework.authz import (
    Permission,
    breach_accounts_in_scope,
    load_case_or_404,
    may_answer_for_partners,
    requires,
    visible_audit_events,
    visible_cases,
)
from casework.blueprints.rights import forms as f
from casework.blueprints.work import Work, unit_of_work
from casework.extensions import db
from casework.forms import options
from casework.models.provider import ServiceProvider
from casework.services import access_history, her_pack, impact_assessment, retention
from casework.services.effective_dates import LOCAL_ZONE, today
from casework.services.errors import DomainError

bp = Blueprint("rights", __name__, url_prefix="/rights")

MAX_WINDOW_DAYS = 400


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _words() -> dict[str, Any]:
    return her_pack.words()


# --- Who saw her file ---------------------------------------------------------------------------

@bp.get("/cases/<uuid:case_id>/access")
@requires(Permission.VIEW_CASE_ACCESS)
def access(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id)
    rows = access_history.case_access(case)
    with unit_of_work():
        audit.record("rights.access_viewed", target_type="case", target_id=case.id,
                     details={"rows": len(rows)})
    return render_template("rights/access.html", case=case, rows=rows, **_words())


# --- Her data, to take away ---------------------------------------------------------------------

@bp.get("/cases/<uuid:case_id>/pack.xlsx")
@requires(Permission.VIEW_CASES)
def pack_xlsx(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id)
    with unit_of_work():
        content = her_pack.workbook(case, actor=current_user)
    return Response(content, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="du-lieu-cua-toi-{case.case_number}.xlsx"'})


# --- The breach answer --------------------------------------------------------------------------

@bp.get("/breach")
@requires(Permission.BREACH_REPORT)
def breach():  # type: ignore[no-untyped-def]
    form = f.BreachForm(request.args)
    partners = may_answer_for_partners(current_user)
    providers = (db.session.scalars(select(ServiceProvider).order_by(ServiceProvider.name)).all()
                 if partners else [])
    form.provider.choices = options([(0, _("— none —")), *((p.id, p.name) for p in providers)])
    if not request.args:
        return render_template("rights/breach.html", form=form, answer=None, partners=partners)
    status = 200
    answer = None
    if not form.validate():
        status = 400
    else:
        try:
            answer = _breach_answer(form, providers)
        except DomainError as error:
            form.form_errors.append(str(error.message))
            status = 400
    return render_template("rights/breach.html", form=form, answer=answer,
                           partners=partners), status


def _breach_answer(form: f.BreachForm, providers: Any) -> dict[str, Any]:
    username = (form.username.data or "").strip()
    provider = next((p for p in providers if p.id == form.provider.data), None)
    if bool(username) == bool(provider):
        raise DomainError(_("Give either one account or one partner."))
    start_day, end_day = form.date_from.data, form.date_to.data
    if start_day is None or end_day is None:
        raise DomainError(_("Enter the first and the last day."))
    if start_day > end_day:
        raise DomainError(_("The first day must not be after the last day."))
    if end_day > today() or (end_day - start_day).days > MAX_WINDOW_DAYS:
        raise DomainError(_("Choose a window that ends by today and spans at most 400 days."))
    if provider is not None:
        accounts = access_history.accounts_of_provider(provider)
        who = provider.name
    else:
        account = db.session.scalar(breach_accounts_in_scope(current_user)
                                    .where(access_history.username_is(username)))
        if account is None:
            raise DomainError(_("No account with this user name in your area."))
        accounts, who = [account.id], account.username
    start = datetime.combine(start_day, time.min, tzinfo=LOCAL_ZONE)
    end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=LOCAL_ZONE)
    women = access_history.women_touched(visible_audit_events(current_user), accounts,
                                         start, end)
    with unit_of_work():
        audit.record("rights.breach_report", target_type="provider" if provider else "user",
                     target_id=provider.id if provider else accounts[0],
                     details={"from": start_day.isoformat(), "to": end_day.isoformat(),
                              "women": len(women), "accounts": len(accounts)})
    return {"who": who, "women": women, "start": start_day, "end": end_day,
            "accounts": len(accounts), "prepared_at": datetime.now(LOCAL_ZONE),
            **_words()}


# --- Retention ----------------------------------------------------------------------------------

def _retention_page(status: int = 200, **forms: Any) -> Any:
    visible = visible_cases(current_user, include_merged=True)
    rows = retention.proposals(visible)
    audit.defer("rights.retention_viewed", details={"due": len(rows)})
    is_province = current_user.org_unit is not None and current_user.org_unit.parent_id is None
    rules = retention.schedule()
    keep_form = forms.get("keep_form") or f.RetentionKeepForm()
    keep_form.reason.choices = options([("", _("— choose —")),
                                        *retention.KEEP_REASONS.items()])
    schedule_form = forms.get("schedule_form") or f.ScheduleForm(
        closed_case_years=rules.closed_case_years,
        withdrawn_record_days=rules.withdrawn_record_days)
    return render_template(
        "rights/retention.html", rows=rows, rules=rules, rule_labels=retention.RULES,
        confirm_form=forms.get("confirm_form") or f.RetentionConfirmForm(),
        keep_form=keep_form, schedule_form=schedule_form if is_province else None,
        month=retention.month_of(today())), status


@bp.get("/retention")
@requires(Permission.REVIEW_RETENTION)
def retention_list():  # type: ignore[no-untyped-def]
    return _retention_page()


@bp.post("/retention/erase")
@requires(Permission.REVIEW_RETENTION)
def retention_erase():  # type: ignore[no-untyped-def]
    form = f.RetentionConfirmForm()
    ids = []
    for raw in request.form.getlist("case")[:retention.MAX_PER_CONFIRMATION + 1]:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            count = retention.confirm(visible_cases(current_user, include_merged=True), ids,
                                      actor=current_user)
        if work.done:
            flash(_("%(n)s records erased. Each erasure is complete when the last backup "
                    "holding it expires.", n=count), "success")
            return redirect(url_for("rights.retention_list"))
    return _retention_page(work.status, confirm_form=form)


@bp.post("/retention/keep/<uuid:case_id>")
@requires(Permission.REVIEW_RETENTION)
def retention_keep(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id)
    form = f.RetentionKeepForm()
    form.reason.choices = options([("", ""), *retention.KEEP_REASONS.items()])
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            retention.keep(visible_cases(current_user, include_merged=True), case.id,
                           form.reason.data, actor=current_user)
        if work.done:
            flash(_("The record is kept this month; it comes back on next month's list."),
                  "success")
            return redirect(url_for("rights.retention_list"))
    else:
        flash(_("Choose why the record is kept."), "error")
    return _retention_page(work.status if work.error else 400)


@bp.post("/retention/schedule")
@requires(Permission.REVIEW_RETENTION)
def retention_schedule():  # type: ignore[no-untyped-def]
    if current_user.org_unit is None or current_user.org_unit.parent_id is not None:
        flash(_("Only the province sets the retention schedule."), "error")
        return redirect(url_for("rights.retention_list"))
    form = f.ScheduleForm()
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            retention.set_schedule(closed_case_years=form.closed_case_years.data,
                                   withdrawn_record_days=form.withdrawn_record_days.data,
                                   actor=current_user)
        if work.done:
            flash(_("Retention schedule saved."), "success")
            return redirect(url_for("rights.retention_list"))
    return _retention_page(400, schedule_form=form)


# --- The impact assessment ----------------------------------------------------------------------

@bp.get("/impact-assessment")
@requires(Permission.VIEW_IMPACT_DOSSIER)
def dossier():  # type: ignore[no-untyped-def]
    data = impact_assessment.dossier()
    with unit_of_work():
        audit.record("rights.dossier_viewed", details={"fields": len(data["inventory"])})
    return render_template("rights/dossier.html", d=data, today=today())
