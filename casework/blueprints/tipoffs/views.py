"""Tip-offs and complaints (target 6): thin views over ``casework.tipoffs``.

Staff pages need a login and the scope rules of ``casework.authz``; the public form and the
status page (``send``, ``status``) are public, CSRF-protected and rate-limited per address.
Every decrypted field shown is audited by the request's "viewed" collector.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casework import audit
from casework.authz import (
    Permission,
    case_in_scope,
    deny,
    load_holiday_or_404,
    load_tipoff_or_404,
    may_manage_tipoff_settings,
    public,
    requires,
    visible_tipoffs,
)
from casework.blueprints.cases.forms import version_of
from casework.blueprints.tipoffs import forms as f
from casework.blueprints.tipoffs import report
from casework.blueprints.work import Work, unit_of_work
from casework.extensions import db, limiter
from casework.forms import options
from casework.models.case import Case
from casework.models.org import OrgUnit
from casework.models.tipoff import PublicHoliday, TipOff
from casework.services.effective_dates import LOCAL_ZONE, today
from casework.services.errors import DomainError
from casework.tipoffs import indicator, service
from casework.tipoffs.codes import (
    CHANNELS,
    CLASSES,
    EVENT_KINDS,
    FILE_REASONS,
    HANDLING_FOR_CLASS,
    HANDLINGS,
    STATUSES,
)

bp = Blueprint("tipoffs", __name__, url_prefix="/tipoffs")
PAGE = 100


def _labels() -> dict[str, Any]:
    return {"channels": CHANNELS, "classes": CLASSES, "handlings": HANDLINGS,
            "event_kinds": EVENT_KINDS, "statuses": STATUSES, "file_reasons": FILE_REASONS}


# --- Worklist ------------------------------------------------------------------------------------

@bp.get("/")
@requires(Permission.VIEW_TIPOFFS)
def index():  # type: ignore[no-untyped-def]
    """The unit's items (and its subtree's), overdue first; no decrypted field is shown."""
    only_overdue = request.args.get("overdue") == "1"
    rule_set = service.rules()
    items = db.session.scalars(visible_tipoffs(current_user)
                               .order_by(TipOff.handled_on.is_not(None), TipOff.received_on.desc())
                               .limit(PAGE * 5)).all()
    rows = []
    now = today()
    for item in items:
        due = service.deadline_of(item, rule_set)
        overdue = item.handled_on is None and due < now
        if only_overdue and not overdue:
            continue
        rows.append({"item": item, "deadline": due, "overdue": overdue,
                     "status": service.status(item)})
    rows.sort(key=lambda r: (not r["overdue"], r["item"].handled_on is not None, r["deadline"]))
    return render_template("tipoffs/index.html", rows=rows[:PAGE], only_overdue=only_overdue,
                           overdue_count=sum(1 for r in rows if r["overdue"]), **_labels())


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.RECORD_TIPOFFS)
def new():  # type: ignore[no-untyped-def]
    form = f.ReceiveForm()
    if request.method == "GET":
        form.received_at.data = _now_local()
    work = Work()
    if form.validate_on_submit():
        item = None
        with unit_of_work(form) as work:
            unit = current_user.org_unit
            if unit is None:
                raise DomainError(_("Your account has no unit."))
            item = service.receive(_received(form, form.channel.data), unit=unit,
                                   actor=current_user)
        if work.done and item is not None:
            flash(_("Item %(ref)s recorded.", ref=item.reference), "success")
            return redirect(url_for("tipoffs.view", tipoff_id=item.id))
    return render_template("tipoffs/new.html", form=form), work.status


def _now_local() -> Any:
    from datetime import datetime

    return datetime.now(LOCAL_ZONE).replace(second=0, microsecond=0, tzinfo=None)


def _received(form: Any, channel: str) -> service.Received:
    return service.Received(
        channel=channel, received_at=getattr(form, "received_at", None) and form.received_at.data,
        summary=form.summary.data, anonymous=bool(form.anonymous.data),
        not_to_be_named=bool(form.not_to_be_named.data), reporter_name=form.reporter_name.data,
        reporter_contact=form.reporter_contact.data, persons_named=form.persons_named.data,
        note=getattr(form, "note", None) and form.note.data)


# --- The item page -------------------------------------------------------------------------------

def _step_forms(item: TipOff) -> dict[str, Any]:
    version = str(item.version)
    verify = f.VerifyForm(prefix="verify", version=version)
    classify = f.ClassifyForm(prefix="classify", version=version)
    handle = f.HandleForm(prefix="handle", version=version)
    acknowledge = f.AcknowledgeForm(prefix="ack", version=version)
    for form in (verify, classify, handle):
        if form.on.data is None:
            form.on.data = today()
    if item.classification:
        handle.action.data = HANDLING_FOR_CLASS[item.classification]
        if item.classification in FILE_REASONS:
            handle.file_reason.data = item.classification
    return {"verify_form": verify, "classify_form": classify, "handle_form": handle,
            "ack_form": acknowledge}


def _item_page(item: TipOff, status: int = 200, **forms: Any) -> Any:
    rule_set = service.rules()
    duplicates = service.possible_duplicates(item, visible_tipoffs(current_user))
    case = db.session.get(Case, item.case_id) if item.case_id else None
    if case is not None and not case_in_scope(current_user, case):
        case = None
    page_forms = {**_step_forms(item), **forms}
    return render_template(
        "tipoffs/view.html", item=item, deadline=service.deadline_of(item, rule_set),
        overdue=service.is_overdue(item, rule_set), status=service.status(item),
        duplicates=duplicates, case=case, details=_details,
        acknowledged=service.is_acknowledged(item),
        may_act=current_user.role == "caseworker" and item.handled_on is None,
        original=db.session.scalar(visible_tipoffs(current_user).where(
            TipOff.id == item.duplicate_of_id)) if item.duplicate_of_id else None,
        **page_forms, **_labels()), status


def _details(event: Any) -> dict[str, Any]:
    try:
        value = json.loads(event.details or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@bp.get("/<uuid:tipoff_id>")
@requires(Permission.VIEW_TIPOFFS)
def view(tipoff_id: uuid.UUID):  # type: ignore[no-untyped-def]
    item = load_tipoff_or_404(current_user, tipoff_id)
    return _item_page(item)


def _after(item: TipOff, work: Work, message: str, forms: dict[str, Any]) -> Any:
    if work.done:
        flash(message, "success")
        return redirect(url_for("tipoffs.view", tipoff_id=item.id))
    return _item_page(item, work.status, **forms)


@bp.post("/<uuid:tipoff_id>/verify")
@requires(Permission.RECORD_TIPOFFS)
def verify(tipoff_id: uuid.UUID):  # type: ignore[no-untyped-def]
    item = load_tipoff_or_404(current_user, tipoff_id, for_edit=True)
    form = f.VerifyForm(prefix="verify")
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form, also_flash=True) as work:
            original = None
            if form.duplicate_of.data:
                original = db.session.scalar(visible_tipoffs(current_user).where(
                    TipOff.reference == form.duplicate_of.data.strip().upper()))
                if original is None:
                    raise DomainError(_("No item with this number in your unit."),
                                      "duplicate_of")
            service.verify(item, on=form.on.data, has_content=form.has_content.data != "no",
                           duplicate_of=original, note=form.note.data, actor=current_user,
                           expected_version=version_of(form))
    return _after(item, work, _("Verification recorded."), {"verify_form": form})


@bp.post("/<uuid:tipoff_id>/classify")
@requires(Permission.RECORD_TIPOFFS)
def classify(tipoff_id: uuid.UUID):  # type: ignore[no-untyped-def]
    item = load_tipoff_or_404(current_user, tipoff_id, for_edit=True)
    form = f.ClassifyForm(prefix="classify")
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form, also_flash=True) as work:
            service.classify(item, classification=form.classification.data, on=form.on.data,
                             note=form.note.data, actor=current_user,
                             expected_version=version_of(form))
    return _after(item, work, _("Item classified."), {"classify_form": form})


@bp.post("/<uuid:tipoff_id>/handle")
@requires(Permission.RECORD_TIPOFFS)
def handle(tipoff_id: uuid.UUID):  # type: ignore[no-untyped-def]
    item = load_tipoff_or_404(current_user, tipoff_id, for_edit=True)
    form = f.HandleForm(prefix="handle")
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form, also_flash=True) as work:
            service.handle(item, form.action.data or "", service.Handling(
                on=form.on.data, note=form.note.data, police_office=form.police_office.data,
                acknowledged_on=form.acknowledged_on.data, authority=form.authority.data,
                sender_told=bool(form.sender_told.data), file_reason=form.file_reason.data),
                actor=current_user, expected_version=version_of(form))
    return _after(item, work, _("Handling recorded."), {"handle_form": form})


@bp.post("/<uuid:tipoff_id>/acknowledge")
@requires(Permission.RECORD_TIPOFFS)
def acknowledge(tipoff_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The police acknowledged a forwarding recorded earlier."""
    item = load_tipoff_or_404(current_user, tipoff_id, for_edit=True)
    form = f.AcknowledgeForm(prefix="ack")
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form, also_flash=True) as work:
            service.acknowledge(item, acknowledged_on=form.acknowledged_on.data,
                                actor=current_user, expected_version=version_of(form))
    return _after(item, work, _("Acknowledgment recorded."), {"ack_form": form})


def _unit_choices(item: TipOff) -> list[Any]:
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True),
                                                     OrgUnit.id != item.org_unit_id)
                               .order_by(OrgUnit.path)).all()
    return options((u.id, ("— " * u.depth) + u.name) for u in units)


@bp.route("/<uuid:tipoff_id>/transfer", methods=["GET", "POST"])
@requires(Permission.RECORD_TIPOFFS)
def transfer(tipoff_id: uuid.UUID):  # type: ignore[no-untyped-def]
    item = load_tipoff_or_404(current_user, tipoff_id, for_edit=True)
    form = f.TransferForm()
    form.to_unit.choices = _unit_choices(item)
    if request.method == "GET":
        form.version.data = str(item.version)
        form.on.data = today()
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            unit = db.session.get(OrgUnit, form.to_unit.data) if form.to_unit.data else None
            service.transfer(item, unit, on=form.on.data, note=form.note.data,
                             actor=current_user, expected_version=version_of(form))
        if work.done:
            flash(_("Item transferred."), "success")
            if load_visible(item.id):
                return redirect(url_for("tipoffs.view", tipoff_id=item.id))
            return redirect(url_for("tipoffs.index"))
    return render_template("tipoffs/transfer.html", form=form, item=item), work.status


def load_visible(tipoff_id: Any) -> bool:
    return db.session.scalar(visible_tipoffs(current_user).where(TipOff.id == tipoff_id)) \
        is not None


# --- Settings ------------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.TIPOFF_SETTINGS)
def settings():  # type: ignore[no-untyped-def]
    if not may_manage_tipoff_settings(current_user):
        deny("tipoff_settings_not_province")
    row = service.current_settings()
    form = f.SettingsForm(obj=row if request.method == "GET" else None)
    holiday_form = f.HolidayForm(prefix="holiday")
    work = Work()
    if request.method == "POST" and form.validate_on_submit():
        with unit_of_work(form) as work:
            service.update_settings(crime_working_days=form.crime_working_days.data or 0,
                                    classify_days=form.classify_days.data or 0,
                                    settle_days=form.settle_days.data or 0, actor=current_user)
        if work.done:
            flash(_("Deadlines saved."), "success")
            return redirect(url_for("tipoffs.settings"))
    return _settings_page(form, holiday_form, work.status)


def _settings_page(form: Any, holiday_form: Any, status: int) -> Any:
    holidays = db.session.scalars(select(PublicHoliday).order_by(PublicHoliday.day.desc())).all()
    return render_template("tipoffs/settings.html", form=form, holiday_form=holiday_form,
                           holidays=holidays, delete_form=f.DeleteForm()), status


@bp.post("/settings/holidays")
@requires(Permission.TIPOFF_SETTINGS)
def add_holiday():  # type: ignore[no-untyped-def]
    if not may_manage_tipoff_settings(current_user):
        deny("tipoff_settings_not_province")
    holiday_form = f.HolidayForm(prefix="holiday")
    work = Work()
    if holiday_form.validate_on_submit():
        with unit_of_work(holiday_form) as work:
            service.add_holiday(holiday_form.day.data, holiday_form.name.data,
                                actor=current_user)
        if work.done:
            flash(_("Holiday added."), "success")
            return redirect(url_for("tipoffs.settings"))
    return _settings_page(f.SettingsForm(obj=service.current_settings()), holiday_form,
                          work.status if work.error or work.stale else 400)


@bp.post("/settings/holidays/<id:holiday_id>/delete")
@requires(Permission.TIPOFF_SETTINGS)
def delete_holiday(holiday_id: int):  # type: ignore[no-untyped-def]
    holiday = load_holiday_or_404(current_user, holiday_id)
    form = f.DeleteForm()
    if form.validate_on_submit():
        with unit_of_work() as work:
            service.remove_holiday(holiday, actor=current_user)
        if work.done:
            flash(_("Holiday removed."), "success")
    else:
        flash(_("The form expired; please try again."), "error")
    return redirect(url_for("tipoffs.settings"))


# --- The indicator -------------------------------------------------------------------------------

def _indicator(endpoint: str, printable: bool) -> Any:
    unit, period, as_of = report.context()
    result = indicator.compute(unit, period, as_of=as_of)
    # Inside the union the figures show in full; the printable report leaves the union and
    # hides small counts like target 5's.
    t = int(current_app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"]) if printable else 1
    with unit_of_work():
        audit.record("tipoff_report.viewed", target_type="org_unit", target_id=unit.id,
                     details={"period": period.key, "format": "print" if printable else "html"})
    return render_template("tipoffs/indicator.html", result=result,
                           shown=report.protect(result, t), rate=report.rate,
                           endpoint=endpoint, printable=printable,
                           **report.common(unit, period, as_of), **_labels())


@bp.get("/indicator")
@requires(Permission.VIEW_INDICATORS)
def indicator_page():  # type: ignore[no-untyped-def]
    return _indicator("tipoffs.indicator_page", printable=False)


@bp.get("/report")
@requires(Permission.VIEW_INDICATORS)
def report_page():  # type: ignore[no-untyped-def]
    return _indicator("tipoffs.report_page", printable=True)


@bp.get("/indicator.xlsx")
@requires(Permission.VIEW_INDICATORS)
def indicator_xlsx():  # type: ignore[no-untyped-def]
    unit, period, as_of = report.context()
    result = indicator.compute(unit, period, as_of=as_of)
    content = report.workbook(result, int(current_app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"]))
    with unit_of_work():
        audit.record("tipoff_report.exported", target_type="org_unit", target_id=unit.id,
                     details={"period": period.key, "format": "xlsx"})
    filename = f"bao-cao-muc-tieu-6-{unit.code}-{period.code}.xlsx"
    return current_app.response_class(content, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


# --- The public form and status page -------------------------------------------------------------

def _public_limit() -> str:
    return str(current_app.config.get("CASEWORK_TIPOFF_FORM_RATE_LIMIT", "5 per hour"))


def _status_limit() -> str:
    return str(current_app.config.get("CASEWORK_TIPOFF_STATUS_RATE_LIMIT", "20 per hour"))


def _public_units() -> list[Any]:
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True),
                                                     OrgUnit.depth <= 1)
                               .order_by(OrgUnit.depth, OrgUnit.name)).all()
    return options((u.id, u.name) for u in units)


@bp.route("/send", methods=["GET", "POST"])
@public
@limiter.limit(_public_limit, methods=["POST"])
def send():  # type: ignore[no-untyped-def]
    """The union's online form: no account, nothing about who is on file is ever shown."""
    form = f.PublicForm()
    form.unit.choices = _public_units()
    work = Work()
    if form.validate_on_submit():
        code = None
        with unit_of_work(form) as work:
            unit = db.session.get(OrgUnit, form.unit.data)
            if unit is None or not unit.active or unit.depth > 1:
                raise DomainError(_("Choose a unit from the list."), "unit")
            _item, code = service.submit_online(_received(form, "online"), unit=unit)
        if work.done and code is not None:
            return render_template("tipoffs/sent.html", code=code)
    return render_template("tipoffs/send.html", form=form), work.status


@bp.route("/status", methods=["GET", "POST"])
@public
@limiter.limit(_status_limit, methods=["POST"])
def status():  # type: ignore[no-untyped-def]
    """The sender's receipt code gives the status only, never the content."""
    form = f.StatusForm()
    found: str | None = None
    received_on: date | None = None
    code = 200
    if form.validate_on_submit():
        item = service.status_for_receipt(form.code.data or "")
        if item is None:
            form.code.errors = [_("No item matches this code. Check it and try again.")]
            code = 400
        else:
            found, received_on = service.public_status(item), item.received_on
            audit.defer("tipoff.status_read", target_type="tipoff", target_id=item.id)
    elif request.method == "POST":
        code = 400
    return render_template("tipoffs/status.html", form=form, found=found,
                           received_on=received_on), code
