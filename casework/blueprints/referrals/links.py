"""Staff side of partner links: print her referral slip (a new slip code and a QR code) and
make a new link to copy into a chat. Both answer a page shown once (``no-store``): the link
and the code are kept nowhere in clear, so printing again makes new ones.
"""

from __future__ import annotations

import uuid
from typing import Any

import segno
from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from casework.authz import Permission, load_referral_or_404, requires
from casework.blueprints.referrals.forms import ConfirmForm
from casework.blueprints.referrals.views import bp
from casework.blueprints.work import unit_of_work
from casework.domain import (
    SERVICE_CATEGORIES,
    UPTAKE_CASEWORKER_REPORT,
    UPTAKE_PROVENANCES,
    label,
)
from casework.models.referral import Referral
from casework.services import partner_links


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG, drawn on the server (no script, no third party)."""
    svg = segno.make(url, error="m").svg_inline(scale=3, omitsize=False)
    return Markup(svg)  # noqa: S704 - segno's own SVG: a path of coordinates, no user text


@bp.app_template_global()
def partner_link_summary(referral: Referral) -> partner_links.Summary:
    return partner_links.summary(referral)


@bp.app_template_global()
def link_channel_label(channel: str) -> Any:
    return label(partner_links.CHANNELS, channel)


@bp.app_template_global()
def provenance_label(code: str) -> Any:
    return label(UPTAKE_PROVENANCES, code)


@bp.app_template_global()
def uptake_provenance_label(referral: Referral) -> Any:
    """How the uptake is known, in words (a caseworker's report says whether it is verified)."""
    if (referral.uptake_provenance == UPTAKE_CASEWORKER_REPORT
            and referral.uptake_verified_at is None):
        return _("Reported by the caseworker, waiting for a supervisor to verify it")
    return label(UPTAKE_PROVENANCES, referral.uptake_provenance)


def _shown_once(template: str, **context: Any) -> Any:
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<uuid:referral_id>/slip")
@requires(Permission.SEND_REFERRALS)
def print_slip(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("referrals.view", referral_id=referral_id))
    with unit_of_work(also_flash=True) as work:
        issued = partner_links.print_slip(referral, actor=current_user)
    if not work.done:
        return redirect(url_for("referrals.view", referral_id=referral_id))
    provider = referral.provider
    return _shown_once("referrals/slip.html", referral=referral, provider=provider,
                       code=partner_links.format_code(issued.code or ""), url=issued.url,
                       qr=qr_svg(issued.url), categories=SERVICE_CATEGORIES)


@bp.post("/<uuid:referral_id>/partner-link")
@requires(Permission.SEND_REFERRALS)
def reissue_link(referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = load_referral_or_404(current_user, referral_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("referrals.view", referral_id=referral_id))
    with unit_of_work(also_flash=True) as work:
        issued = partner_links.reissue(referral, actor=current_user)
    if not work.done:
        return redirect(url_for("referrals.view", referral_id=referral_id))
    flash(_("A new link was made; the earlier one no longer works."), "success")
    return _shown_once("referrals/link_issued.html", referral=referral, url=issued.url)
