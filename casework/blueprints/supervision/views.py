"""Supervision views: thin; figures come from ``casework.indicators`` and the services."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import audit, indicators
from casework.audit import anchor as audit_anchor
from casework.authz import (
    Permission,
    case_in_scope,
    deny,
    indicator_scope_or_404,
    load_outcome_sample_or_404,
    may_verify_audit_chain,
    requires,
    unit_in_scope,
    visible_audit_events,
    visible_cases,
)
from casework.blueprints.supervision import labels, reporting
from casework.blueprints.supervision.forms import (
    AccessLogFilter,
    DrawSampleForm,
    ScopeForm,
    VerdictForm,
    VerifyLogForm,
)
from casework.blueprints.work import Work, unit_of_work
from casework.domain import CASE_GROUPS, SERVICE_CATEGORIES, UPTAKE_PROVENANCES, label
from casework.extensions import db, limiter
from casework.forms import options, parse_local_date
from casework.models.audit import AuditEvent
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.supervision import OutcomeSample, UptakeVerification
from casework.models.user import User
from casework.services import access_history
from casework.services import supervision as service
from casework.services.effective_dates import LOCAL_ZONE, today
from casework.services.errors import DomainError
from casework.text import ascii_digits

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

LOG_PAGE = 50


class BadParameters(Exception):
    """A period or date in the URL that makes no sense: answered 400 with a message."""


@bp.errorhandler(BadParameters)
def bad_parameters(error: BadParameters):  # type: ignore[no-untyped-def]
    return render_template("supervision/bad_request.html", message=str(error)), 400


def _int_arg(name: str) -> int | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    if not ascii_digits(raw) or len(raw) > 9:
        raise BadParameters(_("The unit in the address is not valid."))
    return int(raw)


def _as_of() -> date:
    raw = (request.values.get("as_of") or "").strip()
    now = today()
    if not raw:
        return now
    value = parse_local_date(raw)  # dd/mm/yyyy as typed, or yyyy-mm-dd from our own links
    if value is None:
        raise BadParameters(_("Enter the date as dd/mm/yyyy."))
    if value > now or value < indicators.PLAN_START:
        raise BadParameters(_("Choose a date between 01/01/2021 and today."))
    return value


def _context() -> tuple[OrgUnit, indicators.Period, date]:
    unit = indicator_scope_or_404(current_user, _int_arg("unit"))
    as_of = _as_of()
    try:
        period = indicators.parse_period(request.values.get("period"), as_of)
    except ValueError:
        raise BadParameters(_("This period does not exist or has not started yet.")) from None
    return unit, period, as_of


def _breadcrumbs(unit: OrgUnit) -> list[OrgUnit]:
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    return [units[i] for i in ids if i in units and unit_in_scope(current_user, units[i])]


def _period_label(period: indicators.Period) -> str:
    return reporting.period_label(period.key, period.start, period.end,
                                  cut="@" in period.key and period.code != "cum")


def _common(unit: OrgUnit, period: indicators.Period, as_of: date) -> dict[str, Any]:
    return {
        "unit": unit, "period": period, "as_of": as_of, "period_label": _period_label(period),
        "period_options": [(k, _period_label(indicators.parse_period(k, as_of)))
                           for k in indicators.period_choices(as_of)],
        "breadcrumbs": _breadcrumbs(unit), "target": indicators.TARGET_RATE,
        "args": {"unit": unit.id, "period": period.code,
                 **({"as_of": as_of.isoformat()} if as_of != today() else {})},
        "group_label": lambda g: label(CASE_GROUPS, g),
        "category_label": lambda c: label(SERVICE_CATEGORIES, c),
        "percent": reporting.percent, "decimal": reporting.decimal,
    }


@bp.get("/")
@requires(Permission.VIEW_INDICATORS)
def dashboard():  # type: ignore[no-untyped-def]
    unit, period, as_of = _context()
    result = indicators.compute(unit, period)
    providers = {p.id: p.name for p in db.session.scalars(select(ServiceProvider))}
    return render_template("supervision/dashboard.html", result=result, providers=providers,
                           provenance=indicators.connected_by_provenance(unit, period),
                           provenance_labels=UPTAKE_PROVENANCES,
                           overdue=service.overdue_by_unit([r.unit for r in result.children],
                                                           today()),
                           **_common(unit, period, as_of))


@bp.get("/chart.svg")
@requires(Permission.VIEW_INDICATORS)
def chart():  # type: ignore[no-untyped-def]
    unit, _period, as_of = _context()
    points = [(p.code, f.rate) for p, f in indicators.trend(unit, as_of)]
    svg = reporting.trend_svg(points, title=_("Rate per half-year, %(unit)s", unit=unit.name))
    return Response(str(svg), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


def _report(unit: OrgUnit, period: indicators.Period, as_of: date) -> tuple[dict[str, Any],
                                                                             Any, list[Any]]:
    """The figures to show: the signed snapshot when signed off (with amendments), else now."""
    current = service.report_data(unit, period, as_of, actor=current_user)
    signed = service.signed_off(unit, period)
    if signed is None:
        return current, None, []
    data = json.loads(signed.snapshot)
    return data, signed, service.amendments(data, current)


@bp.get("/report")
@requires(Permission.VIEW_INDICATORS)
def report():  # type: ignore[no-untyped-def]
    unit, period, as_of = _context()
    data, signed, changes = _report(unit, period, as_of)
    t = current_app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"]
    shown = reporting.protect(data, t)
    points = [(row["key"], None if e.hidden or c.hidden or not e.value else c.value / e.value)
              for row, e, c in shown["trend"]]
    chart_svg = reporting.trend_svg(points, title=_("Rate per half-year, %(unit)s",
                                                    unit=data["unit"]["name"]))
    with unit_of_work():
        audit.record("report.viewed", target_type="org_unit", target_id=unit.id,
                     details={"period": period.key, "format": "html"})
    return render_template("supervision/report.html", data=data, shown=shown, signed=signed,
                           changes=changes, chart_svg=chart_svg, rate=reporting.rate_text,
                           share=reporting.share_text,
                           sign_form=ScopeForm(unit=unit.id, period=period.code),
                           **_common(unit, period, as_of))


@bp.get("/report.xlsx")
@requires(Permission.VIEW_INDICATORS)
def report_xlsx():  # type: ignore[no-untyped-def]
    unit, period, as_of = _context()
    data, signed, _changes = _report(unit, period, as_of)
    meta = None
    if signed is not None:
        meta = {"signed_at": signed.signed_at.strftime("%d/%m/%Y %H:%M UTC"),
                "signed_by": signed.signed_by.display_name if signed.signed_by else ""}
    content = reporting.workbook(data, current_app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"],
                                 signed=meta)
    with unit_of_work():
        audit.record("report.exported", target_type="org_unit", target_id=unit.id,
                     details={"period": period.key, "format": "xlsx"})
    filename = f"bao-cao-muc-tieu-5-{unit.code}-{period.code}.xlsx"
    return Response(content, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@bp.post("/report/sign-off")
@requires(Permission.SIGN_OFF_REPORTS)
def sign_off():  # type: ignore[no-untyped-def]
    form = ScopeForm()
    unit, period, _as_of = _context()
    target = url_for("supervision.report", unit=unit.id, period=period.code)
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(target)
    with unit_of_work() as work:
        service.sign_off(unit, period, today(), actor=current_user)
    if work.done:
        flash(_("The report is signed off; its figures are now locked."), "success")
    return redirect(target)


@bp.get("/export.csv")
@requires(Permission.EXPORT_DEIDENTIFIED)
def export_csv():  # type: ignore[no-untyped-def]
    unit, period, _as_of = _context()
    with unit_of_work():
        content = service.deidentified_csv(
            unit, period, actor=current_user,
            threshold=max(int(current_app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"]), 1))
    return Response(content, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition":
            f'attachment; filename="du-lieu-khu-dinh-danh-{unit.code}-{period.code}.csv"',
        "Cache-Control": "no-store"})


@bp.get("/partners")
@requires(Permission.VIEW_INDICATORS)
def partners():  # type: ignore[no-untyped-def]
    unit, period, as_of = _context()
    rows = service.partner_performance(unit, period, today())
    return render_template("supervision/partners.html", rows=rows,
                           **_common(unit, period, as_of))


# --- Outcome audit ------------------------------------------------------------------------------

@bp.route("/outcomes", methods=["GET", "POST"])
@requires(Permission.AUDIT_OUTCOMES)
def outcomes():  # type: ignore[no-untyped-def]
    unit, period, as_of = _context()
    summary = service.audit_summary(unit, period, actor=current_user)
    form = DrawSampleForm(unit=unit.id, period=period.code)
    form.provider.choices = options([(row["id"], row["name"]) for row in summary
                                     if row["confirmed"] or row["imported"]])
    work = Work()
    if form.validate_on_submit():
        provider = db.session.get(ServiceProvider, form.provider.data)
        with unit_of_work(form) as work:
            if provider is None:
                raise DomainError(_("Choose one of the partners listed."), "provider")
            sample = service.draw_sample(unit, period, provider, form.size.data,
                                         actor=current_user)
        if work.done:
            if len(sample.items) < sample.requested_size:
                flash(_("Only %(n)s confirmed uptakes of this partner had not been sampled in "
                        "this period: all of them were drawn.", n=len(sample.items)), "info")
            return redirect(url_for("supervision.sample", sample_id=sample.id))
    samples = db.session.scalars(
        select(OutcomeSample)
        .where(OutcomeSample.org_unit_id == unit.id,
               OutcomeSample.period_start == period.start,
               OutcomeSample.period_end == period.end)
        .order_by(OutcomeSample.drawn_at.desc())).all()
    return render_template("supervision/outcomes.html", summary=summary, form=form,
                           samples=samples, **_common(unit, period, as_of)), work.status


@bp.get("/outcomes/<int(max=999999999):sample_id>")
@requires(Permission.AUDIT_OUTCOMES)
def sample(sample_id: int):  # type: ignore[no-untyped-def]
    record = load_outcome_sample_or_404(current_user, sample_id)
    forms = {item.id: VerdictForm(prefix=f"v{item.position}",
                                  status=item.status if item.status != "pending" else "verified")
             for item in record.items}
    return render_template("supervision/sample.html", sample=record, forms=forms,
                           status_label=service.status_label,
                           source=service.uptake_source,
                           may_open=lambda case: case_in_scope(current_user, case),
                           category_label=lambda c: label(SERVICE_CATEGORIES, c))


@bp.post("/outcomes/<int(max=999999999):sample_id>/items/<uuid:item_id>")
@requires(Permission.AUDIT_OUTCOMES)
def verdict(sample_id: int, item_id: Any):  # type: ignore[no-untyped-def]
    record = load_outcome_sample_or_404(current_user, sample_id)
    item = db.session.get(UptakeVerification, item_id)
    if item is None or item.sample_id != record.id:
        deny("verification_out_of_scope")
    form = VerdictForm(prefix=f"v{item.position}")
    if form.validate_on_submit():
        with unit_of_work() as work:
            service.record_verdict(item, form.status.data, form.note.data or "",
                                   actor=current_user)
        if work.done:
            flash(_("Verdict saved."), "success")
    else:
        flash(_("Please correct the fields marked below.") + " "
              + " ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("supervision.sample", sample_id=record.id))


# --- Access log ---------------------------------------------------------------------------------

def _verify_limit() -> str:
    return str(current_app.config.get("CASEWORK_AUDIT_VERIFY_RATE_LIMIT", "5 per hour"))


def _user_key() -> str:
    return f"user:{getattr(current_user, 'id', 'anon')}"


def _log_page(verified: Any = None, status: int = 200) -> Any:
    form = AccessLogFilter(request.args)
    form.action.choices = options([("", _("All actions")), *labels.action_choices()])
    query = visible_audit_events(current_user)
    if request.args and not form.validate():
        status = 400
    else:
        if form.user.data:
            query = query.where(AuditEvent.actor_user_id.in_(
                access_history.users_matching(form.user.data) or [-1]))
        if form.case.data:
            matched = access_history.cases_matching(
                visible_cases(current_user, include_merged=True), form.case.data)
            targets = access_history.targets_of_cases(matched)
            query = query.where(AuditEvent.target_id.in_(sorted(targets) or ["-"]))
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data)
        if form.date_from.data:
            start = datetime.combine(form.date_from.data, time.min, tzinfo=LOCAL_ZONE)
            query = query.where(AuditEvent.occurred_at >= start)
        if form.date_to.data:
            end = datetime.combine(form.date_to.data + timedelta(days=1), time.min,
                                   tzinfo=LOCAL_ZONE)
            query = query.where(AuditEvent.occurred_at < end)
    before = _int_arg("before")
    if before:
        query = query.where(AuditEvent.seq < before)
    events = db.session.scalars(query.order_by(AuditEvent.seq.desc()).limit(LOG_PAGE + 1)).all()
    more = len(events) > LOG_PAGE
    events = events[:LOG_PAGE]
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({e.actor_user_id for e in events if e.actor_user_id})))}
    places = access_history.actor_places(events, users)
    objects = access_history.object_names(events)
    audit.defer("access_log.viewed", details={"filtered": bool(request.args)})
    next_args = {k: v for k, v in request.args.items() if k != "before"}
    return render_template(
        "supervision/access_log.html", form=form, events=events, users=users,
        verified=verified, more=more, next_args=next_args, json=json, places=places,
        objects=objects,
        anchor_time=_anchor_time(verified),
        verify_form=VerifyLogForm() if may_verify_audit_chain(current_user) else None,
        action_label=labels.action_label, object_label=labels.object_label,
        field_label=labels.field_label, outcome_label=labels.outcome_label), status


def _anchor_time(verified: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(verified.anchor_at).replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


@bp.get("/access-log")
@requires(Permission.VIEW_ACCESS_LOG)
def access_log():  # type: ignore[no-untyped-def]
    return _log_page()


@bp.post("/access-log/verify")
@requires(Permission.VIEW_ACCESS_LOG)
@limiter.limit(_verify_limit, key_func=_user_key, methods=["POST"])
def verify_access_log():  # type: ignore[no-untyped-def]
    """A full verification of the audit chain: POST with CSRF, province level only, limited."""
    if not may_verify_audit_chain(current_user):
        deny("audit_verify_not_province")
    form = VerifyLogForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("supervision.access_log"))
    with Session(db.engine) as session:  # verify() expunges: keep it off the request's session
        try:
            verified = audit_anchor.verify_and_anchor(
                session, audit_anchor.anchor_path(), source="page")
        except audit_anchor.AnchorError:
            verified = audit.VerifyResult(False, 0, None, "anchor_unusable")
    details: dict[str, str | int | bool | None] = {
        "count": verified.count, "intact": bool(verified.ok)}
    if not verified.ok:
        details.update(problem=verified.problem, first_bad=verified.first_bad_seq,
                       missing_from=verified.missing_from, missing_to=verified.missing_to)
    with unit_of_work():
        audit.record("audit_log.verified", target_type="audit_log",
                     outcome="ok" if verified.ok else "failed", details=details)
    return _log_page(verified)
