"""Case pages. Thin: load through authz, validate, call one service, commit once, redirect.

On a DomainError the transaction is rolled back and the page is shown again with what was
typed and the message on its field (HTTP 400); nothing is half-written.
"""

from __future__ import annotations

import json
import uuid
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
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from casework import audit, domain
from casework.authz import (
    Permission,
    case_accepts_entries,
    case_in_scope,
    deny,
    has_permission,
    load_case_or_404,
    load_tipoff_or_404,
    merge_survivor_in_scope,
    requires,
    visible_cases,
    visible_tipoffs,
)
from casework.blueprints.cases import forms as f
from casework.blueprints.listing import paginate
from casework.blueprints.work import Work, unit_of_work
from casework.extensions import db, limiter
from casework.forms import options
from casework.models.case import Case
from casework.models.consent import Consent
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.timeline import FollowUp
from casework.models.tipoff import TipOff
from casework.services import (
    case_lifecycle,
    case_search,
    cases,
    consents,
    form_tokens,
    her_pack,
    journey,
    needs,
    notifications,
    subject_rights,
    timeline,
)
from casework.services.effective_dates import local_date, today
from casework.services.errors import DomainError
from casework.services.org_units import units_in_scope
from casework.text import ascii_digits
from casework.tipoffs import service as tipoff_service

bp = Blueprint("cases", __name__, url_prefix="/cases")

STALE_EDIT = _l("Someone else saved this case while you were editing. Your changes are below: "
                 "check them against the saved record and save again.")


def _user_key() -> str:
    return f"user:{getattr(current_user, 'id', 'anon')}"


def _search_limit() -> str:
    return str(current_app.config.get("CASEWORK_SEARCH_RATE_LIMIT", "30 per minute"))


def _render(template: str, status: int = 200, **context: Any) -> Any:
    return render_template(f"cases/{template}", **context), status


def _editable(case: Case) -> bool:
    """A merged or erased case is kept for history and statistics; it takes no more entries
    (the shared rule, :func:`casework.authz.case_accepts_entries`; services check it too)."""
    if not case_accepts_entries(case):
        flash(str(cases.CLOSED_TO_ENTRIES), "error")
        return False
    return True


def _closed_to_entries(case: Case) -> Any:
    """The answer to a write on a case that takes no more entries: 409 on a POST, else back to
    the case page with the message."""
    if request.method == "POST":
        return _render("closed.html", 409, case=case)
    return _to_case(case)


def _child(model: Any, case: Case, child_id: uuid.UUID) -> Any:
    row = db.session.get(model, child_id)
    if row is None or row.case_id != case.id:
        deny("case_child_mismatch")
    return row


def _to_case(case: Case, anchor: str = "") -> Any:
    return redirect(url_for("cases.view", case_id=case.id) + anchor)


def _unit_choices() -> list[Any]:
    units = units_in_scope(current_user.org_unit)
    return options([(u.id, f"{'— ' * max(u.depth - current_user.org_unit.depth, 0)}{u.name}")
                    for u in units])


# --- Lists -----------------------------------------------------------------------------------

@bp.get("/worklist")
@requires(Permission.VIEW_CASES)
def worklist():  # type: ignore[no-untyped-def]
    work = timeline.worklist(visible_cases(current_user))
    return _render("worklist.html", work=work, today=today(),
                   notices=notifications.unread_for(current_user),
                   notice_label=notifications.label)


def _searching() -> bool:
    return request.method == "POST"


@bp.route("", methods=["GET", "POST"])
@requires(Permission.VIEW_CASES)
@limiter.limit(_search_limit, key_func=_user_key, methods=["POST"])
def index():  # type: ignore[no-untyped-def]
    """Recent cases (GET) and search (POST with CSRF, results rendered from the POST).

    Search terms never go into a URL, a redirect or a ``next=`` parameter; the audit event
    names the kind of search and the number of results only.
    """
    form = f.SearchForm()
    visible = visible_cases(current_user)
    if request.method == "POST":
        results: list[Case] = []
        kind = ""
        if form.validate_on_submit():
            year_text = (form.birth_year.data or "").strip()
            year = int(year_text) if ascii_digits(year_text) else None
            if year_text and year is None:
                form.birth_year.errors = [_("Enter a year.")]
            else:
                with unit_of_work(form):
                    kind, results = case_search.search(
                        visible, case_search.SearchTerms(form.q.data, form.name.data, year),
                        actor=current_user)
        return _render("index.html", 400 if form.errors else 200, form=form, cases=results,
                       searched=True, kind=kind)
    # No count: the busiest page reads one page of rows and a "next" link says whether there
    # is more. Open cases first as an expression, not ``status DESC``: SQLite would otherwise
    # walk every case of the province through ix_cases_status instead of looking the area's
    # cases up through ix_cases_list (migration 0019_perf).
    page = paginate(visible.options(selectinload(Case.org_unit))
                    .order_by(sql_case((Case.status == "open", 0), else_=1),
                              Case.created_at.desc(), Case.id),
                    count=False)
    return _render("index.html", form=form, cases=page.items, searched=False, page=page)


# --- Intake and correction -------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
@limiter.limit(_search_limit, key_func=_user_key, methods=["POST"])
def new():  # type: ignore[no-untyped-def]
    form = f.CaseForm()
    form.org_unit.choices = _unit_choices()
    source = _tipoff_source()
    if request.method == "GET":
        form.intake_date.data = today()
        form.org_unit.data = current_user.org_unit_id
        if source is not None:  # a tip-off about a woman in need (issue 15)
            form.org_unit.data = source.org_unit_id
            form.referral_source.data = "union"
            form.history.data = source.summary
    duplicates: list[cases.Duplicate] = []
    work = Work()
    if form.validate_on_submit():
        unit = db.session.get(OrgUnit, form.org_unit.data)
        data = form.case_input()
        case = None
        try:
            with unit_of_work(form, reraise=(form_tokens.AlreadySaved,)) as work:
                if unit is None:
                    raise DomainError(_("Choose a unit from the list."), "org_unit")
                form_tokens.check(form.form_token.data, actor=current_user)
                duplicates = cases.possible_duplicates(data.clean(check_intake=True),
                                                         actor=current_user)
                if not duplicates or form.confirm_duplicate.data:
                    case = cases.open_case(data, unit=unit, actor=current_user)
                    if source is not None:
                        tipoff_service.link_case(source, case, actor=current_user)
                    db.session.flush()
                    form_tokens.claim(form.form_token.data, actor=current_user,
                                      target=url_for("cases.view", case_id=case.id))
        except form_tokens.AlreadySaved as saved:
            return _already_saved(saved)
        if case is not None and work.done:
            flash(_("Case %(number)s opened.", number=case.case_number), "success")
            return _to_case(case)
        if work.done:
            return _render("new.html", 409, form=form, duplicates=duplicates, source=source)
    return _render("new.html", work.status, form=form, duplicates=duplicates, source=source)


def _tipoff_source() -> TipOff | None:
    """The tip-off named by ``?tipoff=`` that the case is opened from (404 unless the user may
    act on it); None when there is none or it already has a case."""
    raw = (request.args.get("tipoff") or "").strip()
    if not raw:
        return None
    try:
        tipoff_id = uuid.UUID(raw[:40])
    except ValueError:
        tipoff_id = None
    item = load_tipoff_or_404(current_user, tipoff_id, for_edit=True)
    return None if item.case_id is not None else item


@bp.route("/<uuid:case_id>/edit", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def edit(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id, for_edit=True)
    if not _editable(case):
        return _closed_to_entries(case)
    form = f.EditCaseForm(obj=None if request.method == "POST" else case)
    form.org_unit.choices = options([(case.org_unit_id, case.org_unit.name)])
    form.org_unit.data = case.org_unit_id
    form.intake_date.data = case.intake_date
    if request.method == "GET":
        form.version.data = str(case.version)
    duplicates: list[cases.Duplicate] = []
    work = Work()
    if form.validate_on_submit():
        data = form.case_input()
        version = int(form.version.data) if ascii_digits(form.version.data or "") else None
        saved = False
        with unit_of_work(form, stale_message=STALE_EDIT) as work:
            values = data.clean()
            identity_changed = any(values[k] != getattr(case, k)
                                   for k in ("national_id", "phone", "full_name",
                                             "date_of_birth"))
            if identity_changed:
                duplicates = cases.possible_duplicates(values, exclude=case, actor=current_user)
            if not duplicates or form.confirm_duplicate.data:
                cases.update_case(case, data, expected_version=version, actor=current_user)
                saved = True
        if work.done and saved:
            flash(_("Corrections saved."), "success")
            return _to_case(case)
        if work.done:
            return _render("edit.html", 409, form=form, case=case, duplicates=duplicates)
        if work.stale:
            duplicates = []
    return _render("edit.html", work.status, form=form, case=case, duplicates=duplicates,
                   stale=work.stale)


# --- The case page ---------------------------------------------------------------------------

@bp.get("/<uuid:case_id>")
@requires(Permission.VIEW_CASES)
def view(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id)
    can_edit = has_permission(current_user, Permission.EDIT_CASES)
    survivor = merge_survivor_in_scope(current_user, case)
    return _render(
        "view.html", case=case, can_edit=can_edit, survivor=survivor,
        erasure=subject_rights.erasure_state(case),
        consents=consents.consents_for(case), needs=needs.needs_for(case),
        follow_ups=timeline.open_follow_ups(case), entries=timeline.timeline(case),
        today=today(), confirm=f.ConfirmForm(), status_form=f.NeedStatusForm(),
        next_step=journey.next_step(case, today()) if can_edit else None,
        can_merge=has_permission(current_user, Permission.MERGE_CASES),
        can_erase=has_permission(current_user, Permission.ERASE_CASES),
        tipoffs=db.session.scalars(visible_tipoffs(current_user)
                                   .where(TipOff.case_id == case.id)).all())


def _simple_form_view(case_id: uuid.UUID, form_class: Any, template: str,
                      action: Any, success: str, anchor: str = "",
                      prepare: Any = None, guided: bool = False) -> Any:
    case = load_case_or_404(current_user, case_id, for_edit=True)
    if not _editable(case):
        return _closed_to_entries(case)
    form = form_class()
    if prepare is not None:
        prepare(form, case)
    if request.method == "GET" and hasattr(form, "on") and form.on.data is None:
        form.on.data = today()
    if request.method == "GET" and hasattr(form, "version"):
        form.version.data = str(case.version)
    work = Work()
    if form.validate_on_submit():
        try:
            with unit_of_work(form, stale_message=case_lifecycle.STALE_CASE,
                              reraise=(form_tokens.AlreadySaved,)) as work:
                action(case, form)
                if hasattr(form, "form_token"):  # a create form saves once
                    form_tokens.claim(form.form_token.data, actor=current_user,
                                      target=url_for("cases.view", case_id=case.id) + anchor)
        except form_tokens.AlreadySaved as saved:
            return _already_saved(saved, case)
        if work.done:
            flash(success, "success")
            if guided and journey.next_step(case, today()) is not None:
                anchor = "#next-step"  # the journey's next step, with the confirmation above
            return _to_case(case, anchor)
    return _render(template, work.status, form=form, case=case, stale=work.stale)


def _already_saved(saved: form_tokens.AlreadySaved, case: Case | None = None) -> Any:
    """A form submitted again: nothing new was written; show where the first one led."""
    flash(str(saved.message), "info")
    if saved.target and saved.target.startswith("/"):
        return redirect(saved.target)
    return _to_case(case) if case is not None else redirect(url_for("cases.worklist"))


@bp.route("/<uuid:case_id>/consents/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new_consent(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    def prepare(form: Any, case: Case) -> None:
        form.intake_date = case.intake_date
        if request.method == "GET":
            form.given_on.data = today()
            # The journey's "consent to share for <service>" link fills in what it knows.
            if request.args.get("purpose") in domain.CONSENT_PURPOSES:
                form.purpose.data = request.args["purpose"]
            if request.args.get("category") in domain.SERVICE_CATEGORIES:
                form.service_category.data = [request.args["category"]]

    def action(case: Case, form: Any) -> None:
        consents.record_consents(case, form.consent_input(), actor=current_user)

    return _simple_form_view(case_id, f.ConsentForm, "consent_new.html", action,
                             _("Consent recorded."), "#consents", prepare, guided=True)


@bp.post("/<uuid:case_id>/consents/<uuid:consent_id>/withdraw")
@requires(Permission.EDIT_CASES)
def withdraw_consent(case_id: uuid.UUID, consent_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id, for_edit=True)
    consent = _child(Consent, case, consent_id)
    if not _editable(case):
        return _closed_to_entries(case)
    if f.ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            consents.withdraw_consent(consent, actor=current_user)
        if work.done:
            flash(_("Consent withdrawn. It no longer applies from today."), "success")
    return _to_case(case, "#consents")


@bp.get("/<uuid:case_id>/consent-form")
@requires(Permission.VIEW_CASES)
def consent_form(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The printable Vietnamese consent form for her signature."""
    case = load_case_or_404(current_user, case_id)
    with unit_of_work():
        audit.record("case.consent_form_printed", target_type="case", target_id=case.id,
                     actor=current_user)
    categories, fields = consents.sharing_on_paper(case, today())
    return _render("consent_form.html", case=case, today=today(),
                   version=consents.CURRENT_TEXT_VERSION, share_categories=categories,
                   share_fields=fields, shareable=consents.SHAREABLE_FIELDS)


@bp.route("/<uuid:case_id>/needs/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new_need(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    def prepare(form: Any, case: Case) -> None:
        if request.method == "GET":
            form.identified_on.data = today()

    def action(case: Case, form: Any) -> None:
        needs.add_need(case, needs.NeedInput(form.category.data, form.identified_on.data,
                                             form.note.data, form.backdate_reason.data),
                       actor=current_user)

    return _simple_form_view(case_id, f.NeedForm, "need_new.html", action, _("Need added."),
                             "#needs", prepare, guided=True)


@bp.post("/<uuid:case_id>/needs/<uuid:need_id>/status")
@requires(Permission.EDIT_CASES)
def need_status(case_id: uuid.UUID, need_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id, for_edit=True)
    need = _child(Need, case, need_id)
    form = f.NeedStatusForm()
    if not _editable(case):
        return _closed_to_entries(case)
    if form.validate_on_submit():
        with unit_of_work(stale_message=needs.STALE_NEED) as work:
            needs.set_status(need, form.status.data, on=form.on.data, actor=current_user,
                             backdate_reason=form.backdate_reason.data,
                             expected_version=f.version_of(form))
        if work.stale:
            return _to_case(case, "#needs"), 409
        if work.done:
            flash(_("Need status changed."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    return _to_case(case, "#needs")


@bp.route("/<uuid:case_id>/notes/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new_note(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    def action(case: Case, form: Any) -> None:
        timeline.add_note(case, kind=form.kind.data, on=form.on.data, body=form.body.data,
                          actor=current_user, backdate_reason=form.backdate_reason.data)

    return _simple_form_view(case_id, f.NoteForm, "note_new.html", action, _("Note saved."),
                             "#timeline")


@bp.route("/<uuid:case_id>/follow-ups/new", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def new_follow_up(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    def action(case: Case, form: Any) -> None:
        timeline.add_follow_up(case, due_on=form.due_on.data, title=form.title.data,
                               actor=current_user)

    return _simple_form_view(case_id, f.FollowUpForm, "follow_up_new.html", action,
                             _("Follow-up added."), "#follow-ups")


@bp.post("/<uuid:case_id>/follow-ups/<uuid:task_id>/done")
@requires(Permission.EDIT_CASES)
def complete_follow_up(case_id: uuid.UUID, task_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id, for_edit=True)
    task = _child(FollowUp, case, task_id)
    if not _editable(case):
        return _closed_to_entries(case)
    if f.ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            timeline.complete_follow_up(task, actor=current_user)
        if work.done:
            flash(_("Follow-up done."), "success")
    return _to_case(case, "#follow-ups")


# --- Lifecycle -------------------------------------------------------------------------------

@bp.route("/<uuid:case_id>/transfer", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def transfer(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id, for_edit=True)
    if not _editable(case):
        return _closed_to_entries(case)
    form = f.TransferForm()
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True),
                                                     OrgUnit.id != case.org_unit_id)
                               .order_by(OrgUnit.path)).all()
    form.to_unit.choices = options([(u.id, f"{'— ' * u.depth}{u.name}") for u in units])
    if request.method == "GET":
        form.on.data = today()
        form.version.data = str(case.version)
    work = Work()
    if form.validate_on_submit():
        target = db.session.get(OrgUnit, form.to_unit.data)
        with unit_of_work(form, stale_message=case_lifecycle.STALE_CASE) as work:
            if target is None:
                raise DomainError(_("Choose a unit from the list."), "to_unit")
            case_lifecycle.transfer_case(case, target, on=form.on.data, actor=current_user,
                                         backdate_reason=form.backdate_reason.data,
                                         expected_version=f.version_of(form))
        if work.done:
            flash(_("Case %(number)s transferred to %(unit)s.", number=case.case_number,
                    unit=target.name if target else ""), "success")
            if case_in_scope(current_user, case):
                return _to_case(case)
            return redirect(url_for("cases.worklist"))
    return _render("transfer.html", work.status, form=form, case=case, stale=work.stale)


@bp.route("/<uuid:case_id>/close", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def close(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    def action(case: Case, form: Any) -> None:
        case_lifecycle.close_case(case, on=form.on.data, reason_code=form.reason.data,
                                  actor=current_user, backdate_reason=form.backdate_reason.data,
                                  expected_version=f.version_of(form))

    return _simple_form_view(case_id, f.CloseForm, "close.html", action, _("Case closed."))


@bp.route("/<uuid:case_id>/reopen", methods=["GET", "POST"])
@requires(Permission.EDIT_CASES)
def reopen(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    def action(case: Case, form: Any) -> None:
        case_lifecycle.reopen_case(case, on=form.on.data, actor=current_user,
                                   backdate_reason=form.backdate_reason.data,
                                   expected_version=f.version_of(form))

    return _simple_form_view(case_id, f.ReopenForm, "reopen.html", action, _("Case reopened."))


@bp.route("/<uuid:case_id>/merge", methods=["GET", "POST"])
@requires(Permission.MERGE_CASES)
def merge(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A supervisor merges a duplicate (by case number, within scope) into this case."""
    case = load_case_or_404(current_user, case_id)
    form = f.MergeForm()
    work = Work()
    if form.validate_on_submit():
        number = (form.other.data or "").strip().upper()
        other = db.session.scalar(visible_cases(current_user).where(
            func.upper(Case.case_number) == number))
        with unit_of_work(form) as work:
            if other is None:
                raise DomainError(_("No case with this number in your area."), "other")
            case_lifecycle.merge_cases(case, other, actor=current_user)
        if work.done:
            flash(_("Case %(number)s merged into this case.", number=number), "success")
            return _to_case(case)
    return _render("merge.html", work.status, form=form, case=case)


# --- Her rights ------------------------------------------------------------------------------

@bp.get("/<uuid:case_id>/data")
@requires(Permission.VIEW_CASES)
def data_print(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Everything held about her, as a page to print for her."""
    case = load_case_or_404(current_user, case_id)
    with unit_of_work():
        content = her_pack.pack(case, actor=current_user, fmt="print")
    return _render("data.html", case=case, data=content["data"], rows=content["access"],
                   today=today(), pack=her_pack, **her_pack.words())


@bp.get("/<uuid:case_id>/data.json")
@requires(Permission.VIEW_CASES)
def data_download(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id)
    with unit_of_work():
        data = subject_rights.export_data(case, actor=current_user, fmt="json")
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{case.case_number}.json"'})


@bp.route("/<uuid:case_id>/erase", methods=["GET", "POST"])
@requires(Permission.ERASE_CASES)
def erase(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    case = load_case_or_404(current_user, case_id)
    form = f.EraseForm()
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            receipt = subject_rights.erase_case(case, actor=current_user,
                                                reason=form.reason.data)
        if work.done:
            flash(_("Her data was erased. The erasure is complete on %(day)s, when the last "
                    "backup holding it expires.",
                    day=local_date(receipt.complete_at).strftime("%d/%m/%Y")), "success")
            return _to_case(case)
    return _render("erase.html", work.status, form=form, case=case,
                   erasure=subject_rights.erasure_state(case))


@bp.app_template_global()
def case_label(codes_name: str, code: str | None) -> Any:
    """Label of a domain code in templates: ``case_label('CASE_GROUPS', case.group)``."""
    return domain.label(getattr(domain, codes_name), code)
