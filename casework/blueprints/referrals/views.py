"""Staff referral pages. Views validate, call one service, commit once, redirect."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload

from casework.authz import (
    Permission,
    case_accepts_entries,
    deny,
    has_permission,
    load_need_for_referral_or_404,
    load_referral_or_404,
    may_manage_provider,
    requires,
    visible_referrals,
)
from casework.blueprints.listing import paginate
from casework.blueprints.referrals.forms import (
    ActionForm,
    ConfirmForm,
    NewReferralForm,
    ProviderForm,
    ProviderSearchForm,
    ReviewForm,
    SendForm,
    version_of,
)
from casework.blueprints.work import Work, unit_of_work
from casework.domain import (
    NEED_STATUSES,
    PROVIDER_KINDS,
    REFERRAL_STATUSES,
    SERVICE_CATEGORIES,
    label,
)
from casework.extensions import db
from casework.forms import options
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral
from casework.services import notifications, org_units, partner_links, providers, referrals
from casework.services import referral_flow as flow
from casework.services.cases import CLOSED_TO_ENTRIES
from casework.services.effective_dates import today
from casework.services.errors import DomainError

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


def _unit_choices() -> list[tuple[int, str]]:
    return [(u.id, f"{'— ' * u.depth}{u.name}") for u in org_units.all_units() if u.active]


def case_url(case: Any) -> str:
    """Link to the case page."""
    return url_for("cases.view", case_id=case.id)


# --- Provider directory -------------------------------------------------------------------------

@bp.get("/providers", endpoint="providers")
@requires(Permission.VIEW_PROVIDERS)
def providers_():  # type: ignore[no-untyped-def]
    form = ProviderSearchForm(request.args)
    form.category.choices = options([("", _("All services")), *SERVICE_CATEGORIES.items()])
    form.area.choices = options([(0, _("All areas")), *_unit_choices()])
    status = 200
    if request.args and not form.validate():  # an area id out of range, a name too long
        status = 400
        if form.area.errors:
            form.area.errors = [_("Choose an area from the list.")]
    category = form.category.data if form.category.data in SERVICE_CATEGORIES else None
    area = form.area.data if not form.area.errors else None
    unit = db.session.get(OrgUnit, area) if area else None
    text = form.q.data if not form.q.errors else None
    rows = providers.search(category=category, unit=unit, text=text or None,
                            active_only=not has_permission(current_user,
                                                           Permission.MANAGE_PROVIDERS))
    return render_template("referrals/providers.html", form=form, providers=rows,
                           categories=SERVICE_CATEGORIES), status



@bp.get("/providers/<id:provider_id>")
@requires(Permission.VIEW_PROVIDERS)
def provider(provider_id: int):  # type: ignore[no-untyped-def]
    item = db.session.get(ServiceProvider, provider_id) or abort(404)
    return render_template("referrals/provider.html", provider=item,
                           categories=SERVICE_CATEGORIES,
                           can_edit=may_manage_provider(current_user, item.area_unit_ids))


def _provider_form(form: ProviderForm) -> ProviderForm:
    form.areas.choices = options(_unit_choices())
    form.link_channel.choices = options(providers.LINK_CHANNELS.items())
    return form


def _provider_input(form: ProviderForm) -> providers.ProviderInput:
    return providers.ProviderInput(
        code=form.code.data or "", name=form.name.data or "", kind=form.kind.data or "",
        categories=form.categories.data or [], area_unit_ids=form.areas.data or [],
        contact_phone=form.contact_phone.data, contact_email=form.contact_email.data,
        address=form.address.data, response_days=form.response_days.data,
        followup_days=form.followup_days.data, active=bool(form.active.data),
        link_channel=form.link_channel.data or "")


@bp.route("/providers/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROVIDERS)
def new_provider():  # type: ignore[no-untyped-def]
    form = _provider_form(ProviderForm())
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            item = providers.create_provider(_provider_input(form), actor=current_user)
        if work.done:
            flash(_("Partner added to the directory."), "success")
            return redirect(url_for("referrals.provider", provider_id=item.id))
    return render_template("referrals/provider_form.html", form=form, provider=None), work.status


@bp.route("/providers/<id:provider_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROVIDERS)
def edit_provider(provider_id: int):  # type: ignore[no-untyped-def]
    item = db.session.get(ServiceProvider, provider_id) or abort(404)
    if not may_manage_provider(current_user, item.area_unit_ids):
        deny("provider_out_of_scope")
    form = _provider_form(ProviderForm(obj=None if request.method == "POST" else item))
    if request.method == "GET":
        form.categories.data = item.categories
        form.areas.data = item.area_unit_ids
    work = Work()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            providers.update_provider(item, _provider_input(form), actor=current_user)
        if work.done:
            flash(_("Partner details saved."), "success")
            return redirect(url_for("referrals.provider", provider_id=item.id))
    return render_template("referrals/provider_form.html", form=form, provider=item), work.status


# --- Referral lists -----------------------------------------------------------------------------

@bp.get("/")
@requires(Permission.VIEW_CASES)
def index():  # type: ignore[no-untyped-def]
    only_overdue = request.args.get("overdue") == "1"
    query = visible_referrals(current_user).where(Referral.status != "draft")
    if only_overdue:
        query = query.where(referrals.overdue_filter())
    overdue_first = sql_case((referrals.overdue_filter(), 0), else_=1)
    page = paginate(query.options(selectinload(Referral.case), selectinload(Referral.provider))
                    .order_by(overdue_first, Referral.created_at.desc()))
    return render_template("referrals/index.html", referrals=page.items, page=page,
                           only_overdue=only_overdue,
                           is_overdue=referrals.is_overdue, statuses=REFERRAL_STATUSES,
                           categories=SERVICE_CATEGORIES)


@bp.get("/reviews")
@requires(Permission.REVIEW_DECLINES)
def reviews():  # type: ignore[no-untyped-def]
    rows = db.session.scalars(
        visible_referrals(current_user)
        .where(Referral.status == "declined", Referral.review_outcome.is_(None))
        .order_by(Referral.answered_on)).all()
    return render_template("referrals/reviews.html", referrals=rows,
                           reasons=flow.DECLINE_REASONS, categories=SERVICE_CATEGORIES)


# --- One referral -------------------------------------------------------------------------------

@bp.route("/new/<uuid:need_id>", methods=["GET", "POST"])
@requires(Permission.SEND_REFERRALS)
def new(need_id: uuid.UUID):  # type: ignore[no-untyped-def]
    need = load_need_for_referral_or_404(current_user, need_id)
    if not case_accepts_entries(need.case):
        flash(str(CLOSED_TO_ENTRIES), "error")
        return redirect(case_url(need.case)), 303
    candidates = providers.search(category=need.category, unit=need.case.org_unit)
    form = NewReferralForm()
    form.provider.choices = options([(p.id, p.name) for p in candidates])
    work = Work()
    if form.validate_on_submit():
        chosen = next((p for p in candidates if p.id == form.provider.data), None)
        with unit_of_work(form) as work:
            if chosen is None:
                raise DomainError(_("Choose a partner from the list."), "provider")
            referral = referrals.create_draft(need, chosen, actor=current_user)
        if work.done:
            return redirect(url_for("referrals.view", referral_id=referral.id))
    online = partner_links.providers_with_accounts([p.id for p in candidates])
    return render_template("referrals/new.html", form=form, need=need, providers=candidates,
                           online=online, link_channels=providers.LINK_CHANNELS,
                           categories=SERVICE_CATEGORIES, case_url=case_url(need.case)), \
        work.status


def _send_form(referral: Referral, form: SendForm | None = None) -> SendForm:
    form = form or SendForm()
    allowed = referrals.allowed_share_fields(referral)
    form.share.choices = options([(name, label) for name, (label, _need)
                                  in referrals.SHARE_OPTIONS.items() if name in allowed])
    if request.method == "GET":
        form.version.data = str(referral.version)
        form.share.data = [f for f in referrals.DEFAULT_SHARE if f in allowed]
        form.effective_date.data = today()
    return form


def _action_forms(referral: Referral) -> dict[str, ActionForm]:
    forms = {}
    for step in referrals.available_actions(referral, current_user):
        if step.action == "send" or step.side != flow.CASEWORKER:
            continue
        form = ActionForm(prefix=step.action)
        form.version.data = str(referral.version)
        form.reason_code.choices = options([("", _("— choose —")),
                                            *(step.reasons or {}).items()])
        form.outcome_code.choices = options([("", "")])
        if form.effective_date.data is None:
            form.effective_date.data = today()
        forms[step.action] = form
    return forms


def _render_view(referral: Referral, *, send_form: SendForm | None = None,
                 status: int = 200) -> Any:
    actions = referrals.available_actions(referral, current_user)
    review = None
    if any(t.action.startswith("review_") for t in actions):
        review = ReviewForm()
        review.version.data = str(referral.version)
    can_send = any(t.action == "send" for t in actions)
    return render_template(
        "referrals/view.html", referral=referral, actions=actions,
        send_form=_send_form(referral, send_form) if can_send else None,
        action_forms=_action_forms(referral), review_form=review,
        overdue=referrals.is_overdue(referral), statuses=REFERRAL_STATUSES,
        categories=SERVICE_CATEGORIES, flow=flow, share_options=referrals.SHARE_OPTIONS,
        case_url=case_url(referral.case),
        consent_ok=bool(referrals.allowed_share_fields(referral)),
    ), status


@bp.get("/<uuid:referral_id>")
@requires(Permission.VIEW_CASES)
def view(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    with unit_of_work():  # opened: her notices about it are read
        notifications.mark_read_for_referral(current_user, referral.id)
    return _render_view(referral)


@bp.post("/<uuid:referral_id>/send")
@requires(Permission.SEND_REFERRALS)
def send(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    form = _send_form(referral)
    if not form.validate_on_submit():
        flash(_("Please correct the fields marked below."), "error")
        return _render_view(referral, send_form=form, status=400)
    with unit_of_work(form, also_flash=True) as work:
        referrals.send(referral, actor=current_user, version=version_of(form),
                       fields=list(form.share.data or []), referred_on=form.effective_date.data,
                       partner_note=form.partner_note.data, note=form.note.data)
    if not work.done:
        referral = load_referral_or_404(current_user, referral_id)
        return _render_view(referral, send_form=form, status=work.status)
    flash(_("Referral sent. The partner has been notified."), "success")
    return redirect(url_for("referrals.view", referral_id=referral_id))


@bp.post("/<uuid:referral_id>/cancel")
@requires(Permission.SEND_REFERRALS)
def cancel(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    form = ActionForm(prefix="cancel")
    form.reason_code.choices = options(flow.CANCEL_REASONS.items())
    form.outcome_code.choices = options([("", "")])
    if not form.validate_on_submit():
        flash(_("Please correct the fields marked below."), "error")
        return _render_view(referral, status=400)
    with unit_of_work() as work:
        referrals.act(referral, "cancel", _action_input(form), actor=current_user,
                      version=version_of(form))
    if not work.done:
        return _render_view(load_referral_or_404(current_user, referral_id), status=work.status)
    flash(_("Referral cancelled."), "success")
    return redirect(url_for("referrals.view", referral_id=referral_id))


def _action_input(form: ActionForm) -> referrals.ActionInput:
    return referrals.ActionInput(effective_date=form.effective_date.data,
                                 reason_code=form.reason_code.data or None,
                                 outcome_code=form.outcome_code.data or None,
                                 note=form.note.data)


@bp.post("/<uuid:referral_id>/review")
@requires(Permission.REVIEW_DECLINES)
def review(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    form = ReviewForm()
    action = {"agree": "review_agree", "refer_elsewhere": "review_refer_elsewhere"}.get(
        request.form.get("decision", ""))
    if not form.validate_on_submit() or action is None:
        flash(_("Choose whether you agree with the decline."), "error")
        return _render_view(referral, status=400)
    with unit_of_work() as work:
        referrals.act(referral, action, referrals.ActionInput(note=form.note.data),
                      actor=current_user, version=version_of(form))
    if not work.done:
        return _render_view(load_referral_or_404(current_user, referral_id), status=work.status)
    flash(_("Review recorded. The caseworker has been notified."), "success")
    return redirect(url_for("referrals.view", referral_id=referral_id))


# --- Template helpers ----------------------------------------------------------------------------

@bp.app_template_global()
def provider_kind_label(kind: str) -> Any:
    return label(PROVIDER_KINDS, kind)


@bp.app_template_global()
def need_status_label(status: str) -> Any:
    return label(NEED_STATUSES, status)


@bp.app_template_global()
def reason_label(action: str, code: str) -> Any:
    step = flow.transition(action)
    codes = {**((step.reasons or {}) if step else {}), **((step.outcomes or {}) if step else {})}
    return codes.get(code, code)


# --- Notices ------------------------------------------------------------------------------------

@bp.get("/notices")
@requires(Permission.VIEW_PROVIDERS)
def notices():  # type: ignore[no-untyped-def]
    return render_template("referrals/notices.html",
                           notices=notifications.for_user(current_user),
                           label=notifications.label, form=ConfirmForm())


@bp.post("/notices/read")
@requires(Permission.VIEW_PROVIDERS)
def notices_read():  # type: ignore[no-untyped-def]
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            notifications.mark_all_read(current_user)
    return redirect(url_for("referrals.notices"))


@bp.app_context_processor
def _unread_notices() -> dict[str, Any]:
    def unread() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        return notifications.unread_count(current_user)

    return {"unread_notices": unread}



@bp.app_template_global()
def case_referrals(case: Any) -> list[Referral]:
    """The referrals of ``case`` this user may see (for the case page's referral panel)."""
    return list(db.session.scalars(
        visible_referrals(current_user).where(Referral.case_id == case.id)
        .order_by(Referral.created_at.desc())))


@bp.app_template_global()
def uptake_from_paper(event: Any) -> bool:
    """Whether a ``confirm_uptake`` event was typed from a paper record by an import."""
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return False
    return isinstance(details, dict) and details.get("uptake_source") == "paper_import"


@bp.app_template_global()
def referral_overdue(referral: Referral) -> bool:
    return bool(referrals.is_overdue(referral))
