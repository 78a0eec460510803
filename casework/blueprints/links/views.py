"""The public end of a one-time partner link: slip code, her shared details, the answer.

Public (the partner has no account), rate-limited per client, and neutral: an unknown, altered,
expired, revoked, locked or used link, or one whose referral ended, gets one plain page that
reveals nothing (404). The token is in the path; the log filter masks it
(``logging_filters.scrub``), ``Referrer-Policy: no-referrer`` keeps it from other sites, and
the pages are ``no-store``. Her details are shown only in answer to the right slip code (a POST),
never on a GET.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, make_response, render_template
from flask_babel import gettext as _

from casework.authz import public
from casework.blueprints.links.forms import CodeForm, LinkActionForm
from casework.blueprints.referrals.forms import version_of
from casework.blueprints.work import unit_of_work
from casework.domain import REFERRAL_STATUSES, SERVICE_CATEGORIES
from casework.extensions import limiter
from casework.forms import options
from casework.models.partner_link import PartnerLink
from casework.services import partner_links, referrals
from casework.services.effective_dates import today

bp = Blueprint("links", __name__, url_prefix="/links")


def _limit() -> str:
    return str(current_app.config.get("CASEWORK_PARTNER_LINK_RATE_LIMIT", "20 per minute"))


def _no_store(body: Any, status: int = 200) -> Any:
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _invalid() -> Any:
    g.casework_no_next = True  # the same page for every refused link: nothing echoed
    return _no_store(render_template("links/invalid.html"), 404)


def _open(token: str) -> PartnerLink | None:
    try:
        with unit_of_work(reraise=(partner_links.LinkRefused,)):
            return partner_links.open_link(token)
    except partner_links.LinkRefused:
        return None


def _forms(link: PartnerLink, key: str,
           given: dict[str, LinkActionForm] | None = None) -> dict[str, LinkActionForm]:
    forms = {}
    for step in partner_links.available(link):
        form = (given or {}).get(step.action) or LinkActionForm(prefix=step.action)
        form.version.data = str(link.referral.version)
        form.view_key.data = key
        form.reason_code.choices = options([("", _("— choose —")),
                                            *(step.reasons or {}).items()])
        form.outcome_code.choices = options([("", "")])
        if form.effective_date.data is None:
            form.effective_date.data = today()
        forms[step.action] = form
    return forms


def _details(link: PartnerLink, key: str, *, forms: dict[str, LinkActionForm] | None = None,
             done: str | None = None, status: int = 200) -> Any:
    with unit_of_work():
        shown = partner_links.shown(link)
    referral = link.referral
    return _no_store(render_template(
        "links/referral.html", link=link, referral=referral, shown=shown,
        share_options=referrals.SHARE_OPTIONS, actions=partner_links.available(link),
        forms=_forms(link, key, forms), statuses=REFERRAL_STATUSES,
        categories=SERVICE_CATEGORIES, done=done), status)


@bp.route("/<link_token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit)
def open_(link_token: str):  # type: ignore[no-untyped-def]
    link = _open(link_token)
    if link is None:
        return _invalid()
    form = CodeForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return _no_store(render_template("links/code.html", form=form,
                                             reference=link.referral.partner_reference), 400)
        with unit_of_work():
            partner_links.note_opened(link)
        return _no_store(render_template("links/code.html", form=form,
                                         reference=link.referral.partner_reference))
    with unit_of_work():
        key = partner_links.check_code(link, form.code.data)
    if key is None:
        if link.locked_at is not None:
            return _invalid()
        form.code.errors = [partner_links.code_message(link)]
        form.code.data = ""
        return _no_store(render_template("links/code.html", form=form,
                                         reference=link.referral.partner_reference), 400)
    return _details(link, key)


@bp.post("/<link_token>/<any(accept,decline,hold,confirm_uptake):action>")
@public
@limiter.limit(_limit)
def act(link_token: str, action: str):  # type: ignore[no-untyped-def]
    link = _open(link_token)
    if link is None:
        return _invalid()
    form = LinkActionForm(prefix=action)
    step = next((t for t in partner_links.available(link) if t.action == action), None)
    key = form.view_key.data or ""
    if step is None or not partner_links.view_key_valid(link, key):
        partner_links.refuse(link, "no_code" if step is not None else "action")
        return _invalid()
    form.reason_code.choices = options((step.reasons or {}).items())
    form.outcome_code.choices = options([("", "")])
    if not form.validate_on_submit():
        return _details(link, key, forms={action: form}, status=400)
    try:
        with unit_of_work(form, also_flash=True, reraise=(partner_links.LinkRefused,)) as work:
            partner_links.act(link, action, referrals.ActionInput(
                effective_date=form.effective_date.data,
                reason_code=form.reason_code.data or None, note=form.note.data),
                view_key=key, version=version_of(form))
    except partner_links.LinkRefused:
        return _invalid()
    if not work.done:
        link = _open(link_token)
        if link is None:
            return _invalid()
        return _details(link, key, forms={action: form}, status=work.status)
    if link.referral.status in ("declined", "in_service"):  # its work is done: links revoked
        return _no_store(render_template("links/done.html", action=action,
                                         reference=link.referral.partner_reference))
    return _details(link, key, done=action)
