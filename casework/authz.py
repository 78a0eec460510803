"""The one authorisation policy: who may do what, and on which objects.

* ``ROLE_PERMISSIONS`` says which role holds which permission;
* ``@requires(Permission.X)`` guards a view (login, password-change and permission checks);
* ``@public`` marks the few endpoints reachable without login (an explicit allow-list);
* object-level checks (scope by org-unit subtree, by provider) live here too, beside the
  scoped list queries, so views never filter by hand.

A permission missing for a role answers 404, like an object out of scope: nothing is revealed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import abort, g, jsonify, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import exists, false, func, or_, select

from casework import audit
from casework.activity import api_tokens
from casework.extensions import db
from casework.models.activity import ActivityRecord, ApiToken
from casework.models.audit import AuditEvent
from casework.models.case import Case
from casework.models.consent import Consent
from casework.models.imports import ImportBatch, ImportMatchReview
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.outbox import OutboxMessage
from casework.models.partner_link import LinkActor
from casework.models.referral import Referral
from casework.models.supervision import OutcomeSample
from casework.models.tipoff import PublicHoliday, TipOff
from casework.models.user import User
from casework.services.effective_dates import today
from casework.services.org_units import subtree_ids

F = TypeVar("F", bound=Callable[..., Any])

# Endpoints served without login. Everything else needs a guard (tests/test_route_guards.py).
PUBLIC_ENDPOINTS = frozenset({"static"})


class Permission(StrEnum):
    USE_ACCOUNT = "use_account"  # own account pages, language, home, logout
    MANAGE_USERS = "manage_users"
    MANAGE_UNITS = "manage_units"
    MANAGE_PROVIDERS = "manage_providers"
    VIEW_PROVIDERS = "view_providers"
    VIEW_CASES = "view_cases"
    EDIT_CASES = "edit_cases"
    MERGE_CASES = "merge_cases"
    ERASE_CASES = "erase_cases"
    SEND_REFERRALS = "send_referrals"
    REVIEW_DECLINES = "review_declines"
    PARTNER_PORTAL = "partner_portal"
    VIEW_INDICATORS = "view_indicators"
    AUDIT_OUTCOMES = "audit_outcomes"
    VIEW_ACCESS_LOG = "view_access_log"
    SIGN_OFF_REPORTS = "sign_off_reports"
    EXPORT_DEIDENTIFIED = "export_deidentified"
    IMPORT_RECORDS = "import_records"
    REVIEW_IMPORT_MATCHES = "review_import_matches"
    MANAGE_OUTBOX = "manage_outbox"  # see failed messages, send them again (province admins)
    RECORD_ACTIVITY = "record_activity"  # the union's own activity, for the user's own unit
    REVIEW_ACTIVITY = "review_activity"  # approve or return the half-years of units below
    MANAGE_API_TOKENS = "manage_api_tokens"
    VIEW_TIPOFFS = "view_tipoffs"  # tip-offs and complaints of the unit's subtree (issue 15)
    RECORD_TIPOFFS = "record_tipoffs"  # receive, verify, classify, handle, transfer
    TIPOFF_SETTINGS = "tipoff_settings"  # the province's deadlines and public holidays
    VIEW_CASE_ACCESS = "view_case_access"  # who saw her file (issue 19)
    BREACH_REPORT = "breach_report"  # the women one account or partner touched
    REVIEW_RETENTION = "review_retention"  # records due for erasure
    VIEW_IMPACT_DOSSIER = "view_impact_dossier"  # the data-protection impact assessment


_STAFF_COMMON = {Permission.USE_ACCOUNT, Permission.VIEW_PROVIDERS}
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    # Admins manage accounts, units and providers; they see no case content (SECURITY.md), so
    # they cannot import records either (an import reads and writes case content).
    "admin": frozenset(
        _STAFF_COMMON
        | {
            Permission.MANAGE_USERS,
            Permission.MANAGE_UNITS,
            Permission.MANAGE_PROVIDERS,
            Permission.VIEW_ACCESS_LOG,
            Permission.MANAGE_OUTBOX,
            Permission.MANAGE_API_TOKENS,
            Permission.TIPOFF_SETTINGS,
            Permission.VIEW_IMPACT_DOSSIER,  # describes the system, holds no case content
        }
    ),
    "supervisor": frozenset(
        _STAFF_COMMON
        | {
            Permission.VIEW_CASES,
            Permission.MERGE_CASES,
            Permission.ERASE_CASES,
            Permission.MANAGE_PROVIDERS,
            Permission.REVIEW_DECLINES,
            Permission.VIEW_INDICATORS,
            Permission.AUDIT_OUTCOMES,
            Permission.VIEW_ACCESS_LOG,
            Permission.SIGN_OFF_REPORTS,
            Permission.EXPORT_DEIDENTIFIED,
            Permission.IMPORT_RECORDS,
            Permission.REVIEW_IMPORT_MATCHES,
            Permission.RECORD_ACTIVITY,
            Permission.REVIEW_ACTIVITY,
            Permission.MANAGE_API_TOKENS,
            Permission.VIEW_TIPOFFS,
            Permission.TIPOFF_SETTINGS,
            Permission.VIEW_CASE_ACCESS,
            Permission.BREACH_REPORT,
            Permission.REVIEW_RETENTION,
            Permission.VIEW_IMPACT_DOSSIER,
        }
    ),
    "caseworker": frozenset(
        _STAFF_COMMON
        | {
            Permission.VIEW_CASES,
            Permission.EDIT_CASES,
            Permission.SEND_REFERRALS,
            Permission.ERASE_CASES,
            Permission.IMPORT_RECORDS,
            Permission.RECORD_ACTIVITY,
            Permission.VIEW_TIPOFFS,
            Permission.RECORD_TIPOFFS,
        }
    ),
    "partner": frozenset({Permission.USE_ACCOUNT, Permission.PARTNER_PORTAL}),
}


def has_permission(user: User | Any, permission: Permission) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def may(permission: str) -> bool:
    """Templates: does the signed-in user hold ``permission`` (a Permission value)?"""
    return has_permission(current_user, Permission(permission))


def public(view: F) -> F:
    """Mark a view as reachable without login. Use sparingly: login page, health check."""
    view._casework_public = True  # type: ignore[attr-defined]
    return view


def requires(*permissions: Permission, allow_pending_password: bool = False) -> Callable[[F], F]:
    """Guard a view: a logged-in user holding every permission, else 404 (or login redirect)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if current_user.must_change_password and not allow_pending_password:
                return redirect(url_for("auth.change_password"))
            for permission in permissions:
                if not has_permission(current_user, permission):
                    deny(f"permission:{permission}")
            return view(*args, **kwargs)

        guarded._casework_guard = permissions  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorator


def deny(reason: str) -> NoReturn:
    """Record an authorisation failure and answer 404 (never reveal what exists)."""
    # Deferred: the 404 handler rolls the request's transaction back; this event must survive.
    audit.defer(
        "authz.denied",
        outcome="denied",
        details={"reason": reason, "endpoint": request.endpoint or ""},
    )
    abort(404)


def is_public_endpoint(endpoint: str | None, view: Callable[..., Any] | None) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or bool(getattr(view, "_casework_public", False))


# --- Scope -----------------------------------------------------------------------------------


def unit_in_scope(user: User, unit: OrgUnit) -> bool:
    """Staff see their unit's subtree; partners and unattached users see no unit."""
    return bool(user.is_staff and user.org_unit is not None and unit.is_within(user.org_unit))


def can_restructure_unit(actor: User, unit: OrgUnit) -> bool:
    """Move or (de)activate ``unit``: a unit in the admin's scope, never the admin's own unit."""
    return (
        has_permission(actor, Permission.MANAGE_UNITS)
        and unit_in_scope(actor, unit)
        and unit.id != actor.org_unit_id
    )


def can_manage_user(actor: User, target: User) -> bool:
    """Admins manage accounts of their own subtree (and partner accounts)."""
    if not has_permission(actor, Permission.MANAGE_USERS):
        return False
    if target.role == "partner":
        return True
    return target.org_unit is not None and unit_in_scope(actor, target.org_unit)


def visible_users(user: User | Any) -> Any:
    """THE scoped account query (``select(User)``): what :func:`can_manage_user` allows."""
    query = select(User)
    if not has_permission(user, Permission.MANAGE_USERS) or user.org_unit is None:
        return query.where(false())
    return query.where(
        or_(User.org_unit_id.in_(subtree_ids(user.org_unit)), User.role == "partner")
    )


def load_managed_user_or_404(user: User | Any, user_id: int) -> User:
    """An account ``user`` manages (:func:`can_manage_user`), else 404."""
    target = db.session.get(User, user_id)
    if target is None or not can_manage_user(user, target):
        deny("user_out_of_scope")
    return target


def require_outbox_admin(user: User | Any) -> None:
    """The outbox is the whole installation's: only an admin of a top unit (the province)
    sees its failures; anyone else gets 404."""
    unit = getattr(user, "org_unit", None)
    if not has_permission(user, Permission.MANAGE_OUTBOX) or unit is None \
            or unit.parent_id is not None:
        deny("outbox_out_of_scope")


def load_outbox_message_or_404(user: User | Any, message_id: uuid.UUID) -> OutboxMessage:
    """A failed or given-up outbox message, for a province admin; else 404."""
    require_outbox_admin(user)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status not in ("failed", "given_up"):
        deny("outbox_message_not_found")
    return message


def load_unit_in_scope_or_404(user: User | Any, unit_id: int) -> OrgUnit:
    """A unit of ``user``'s subtree (:func:`unit_in_scope`), else 404."""
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not unit_in_scope(user, unit):
        deny("unit_out_of_scope")
    return unit


# --- Cases (issue 4) -------------------------------------------------------------------------


def visible_cases(user: User | Any, *, include_merged: bool = False) -> Any:
    """THE scoped case query (``select(Case)``) for lists, search and reports.

    Staff with ``VIEW_CASES`` see cases held by their unit's subtree; everyone else (partners,
    admins, unattached accounts) sees none. Cases merged into another are left out unless
    ``include_merged`` (their needs and referrals moved to the surviving case).
    """
    query = select(Case)
    if (
        not has_permission(user, Permission.VIEW_CASES)
        or not user.is_staff
        or user.org_unit is None
    ):
        return query.where(false())
    query = query.where(Case.org_unit_id.in_(subtree_ids(user.org_unit)))
    if not include_merged:
        query = query.where(Case.merged_into_id.is_(None))
    return query


def case_in_scope(user: User | Any, case: Any) -> bool:
    """True when ``user`` may read ``case`` (same rule as :func:`visible_cases`)."""
    return bool(has_permission(user, Permission.VIEW_CASES) and unit_in_scope(user, case.org_unit))


def load_case_or_404(user: User | Any, case_id: Any, *, for_edit: bool = False) -> Case:
    """The case ``case_id`` if ``user`` may see it (and edit it, with ``for_edit``), else 404.

    Supervisors read only (``EDIT_CASES`` is the caseworker's); admins and partners never reach
    a case. A denial is audited and answers 404 whether the case exists or not.
    """
    case = db.session.get(Case, case_id) if case_id is not None else None
    if case is None or not case_in_scope(user, case):
        deny("case_out_of_scope")
    if for_edit and not has_permission(user, Permission.EDIT_CASES):
        deny("case_read_only")
    return case


def merge_survivor_in_scope(user: User | Any, case: Case) -> Case | None:
    """The case ``case`` was merged into, when ``user`` may see it; else None (not revealed)."""
    if case.merged_into_id is None:
        return None
    survivor = db.session.get(Case, case.merged_into_id)
    return survivor if survivor is not None and case_in_scope(user, survivor) else None


def case_accepts_entries(case: Any) -> bool:
    """False for a case kept only for history: merged into another, or her data erased.

    Every writer (case, consent, need, note, follow-up, referral, transfer, close/reopen,
    merge) refuses such a case through ``services.cases.require_accepts_entries``.
    """
    if case is None or case.merged_into_id is not None:
        return False
    subject = case.subject
    return subject is not None and not subject.erased


# --- Referrals and the partner portal (issue 5) ----------------------------------------------


def _share_consent_valid_sql(on: Any) -> Any:
    """SQL twin of ``Consent.is_valid_on`` for the referral's case and category (list queries;
    single loads use ``services.consents.valid_share_consent``)."""

    return exists(
        select(Consent.id).where(
            Consent.case_id == Referral.case_id,
            Consent.purpose == "share",
            Consent.service_category == Referral.category,
            Consent.given_on <= on,
            or_(Consent.expires_on.is_(None), Consent.expires_on >= on),
            or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > on),
        )
    )


def visible_referrals(user: User | Any) -> Any:
    """THE scoped staff referral query: referrals of the cases :func:`visible_cases` returns."""

    case_ids = visible_cases(user, include_merged=True).with_only_columns(Case.id)
    return select(Referral).where(Referral.case_id.in_(case_ids))


def load_referral_or_404(user: User | Any, referral_id: Any) -> Referral:
    """A referral whose case ``user`` may see (caseworker or supervisor of its unit), else 404."""
    referral = db.session.get(Referral, referral_id) if referral_id is not None else None
    if referral is None or not case_in_scope(user, referral.case):
        deny("referral_out_of_scope")
    return referral


def referral_side(user: User | Any, referral: Any) -> str | None:
    """Which side of the referral loop ``user`` is on for ``referral``, or None.

    Caseworkers and supervisors are on their side when they may read its case (the case's
    current holder is in their subtree, :func:`case_in_scope`); partner users when they belong
    to the receiving provider. The sides are :mod:`casework.services.referral_flow`'s.
    """
    if isinstance(user, LinkActor):  # a one-time link: the partner side of its own referral
        same = user.referral_id == referral.id and user.provider_id == referral.provider_id
        return "partner" if same else None
    if not getattr(user, "is_authenticated", False) or not user.active:
        return None
    if user.role == "partner":
        return "partner" if user.provider_id == referral.provider_id else None
    if user.role in ("caseworker", "supervisor") and case_in_scope(user, referral.case):
        return str(user.role)
    return None


def load_need_for_referral_or_404(user: User | Any, need_id: Any) -> Need:
    """A need of a case ``user`` may edit and refer from (caseworkers), else 404."""
    need = db.session.get(Need, need_id) if need_id is not None else None
    if (
        need is None
        or not case_in_scope(user, need.case)
        or not has_permission(user, Permission.SEND_REFERRALS)
    ):
        deny("need_out_of_scope")
    return need


def may_manage_provider(user: User | Any, area_unit_ids: Any = None) -> bool:
    """Whether ``user`` may add or edit a partner covering ``area_unit_ids``.

    Admins and province-level supervisors (unit depth 0) manage every partner. Another
    supervisor manages only partners whose covered units all lie in their unit's subtree (both
    the areas the partner covers now and those the form would give it); an empty list of
    areas (a new partner not yet placed) is allowed so the form can be shown.
    """

    if not has_permission(user, Permission.MANAGE_PROVIDERS):
        return False
    if user.role == "admin":
        return True
    unit = user.org_unit
    if user.role != "supervisor" or unit is None:
        return False
    if unit.depth == 0:
        return True
    ids = {int(i) for i in (area_unit_ids or ())}
    if not ids:
        return True
    inside = db.session.scalar(
        select(func.count())
        .select_from(OrgUnit)
        .where(OrgUnit.id.in_(ids), OrgUnit.id.in_(subtree_ids(unit)))
    )
    return inside == len(ids)


PARTNER_VISIBLE_STATUSES = ("sent", "accepted", "on_hold", "in_service")


def visible_referrals_for_partner(user: User | Any, on: Any = None) -> Any:
    """THE partner's referral query: only the user's provider's referrals, never drafts or
    cancelled ones, and only while the woman's share consent for the category is valid."""

    query = select(Referral)
    if (
        not has_permission(user, Permission.PARTNER_PORTAL)
        or user.role != "partner"
        or user.provider_id is None
    ):
        return query.where(false())
    # Open referrals only (SECURITY.md): once a referral ends, the partner's copy of her data
    # is gone from the portal; the figures stay in the partner's performance page.
    return query.where(
        Referral.provider_id == user.provider_id,
        Referral.status.in_(PARTNER_VISIBLE_STATUSES),
        _share_consent_valid_sql(on or today()),
    )


def referral_for_link(referral_id: Any) -> Referral | None:
    """The referral a partner's one-time link may show now: the portal's rules without a user
    (live statuses, share consent valid today); None once it ended or her consent lapsed."""
    return db.session.scalar(select(Referral).where(
        Referral.id == referral_id, Referral.status.in_(PARTNER_VISIBLE_STATUSES),
        _share_consent_valid_sql(today())))


def load_partner_referral_or_404(user: User | Any, referral_id: Any) -> Referral:
    """The referral if the partner ``user`` may see it right now, else 404 (audited).

    Checked at every request with the one partner query (:func:`visible_referrals_for_partner`):
    another provider's referral, a draft, an ended referral or one whose share consent is no
    longer valid all answer 404, exactly like a missing id.
    """
    referral: Referral | None = (
        db.session.scalar(visible_referrals_for_partner(user).where(Referral.id == referral_id))
        if referral_id is not None
        else None
    )
    if referral is None:
        deny("partner_referral_out_of_scope")
    return referral


# --- Supervision (issue 6) -------------------------------------------------------------------


def indicator_scope_or_404(user: User | Any, unit_id: int | None) -> OrgUnit:
    """The unit whose subtree ``user`` may see figures for (default: the user's own), else 404."""
    if unit_id is None:
        unit = user.org_unit if user.is_staff else None
    else:
        unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not unit_in_scope(user, unit):
        deny("unit_out_of_scope")
    return unit


# --- The union's own activity (issue 16) -----------------------------------------------------


def activity_unit_or_404(user: User | Any) -> OrgUnit:
    """The unit ``user`` records activity for: her own unit, never another (else 404)."""
    unit = user.org_unit if getattr(user, "is_staff", False) else None
    if unit is None or not has_permission(user, Permission.RECORD_ACTIVITY):
        deny("activity_no_unit")
    return unit


def load_activity_record_or_404(user: User | Any, record_id: int) -> ActivityRecord:
    """A record of ``user``'s own unit, else 404."""
    unit = activity_unit_or_404(user)
    record = db.session.get(ActivityRecord, record_id)
    if record is None or record.org_unit_id != unit.id:
        deny("activity_record_out_of_scope")
    return record


def may_review_unit(user: User | Any, unit: OrgUnit) -> bool:
    """The level above reviews: a unit strictly below the reviewer's, or the root's own."""
    if not has_permission(user, Permission.REVIEW_ACTIVITY) or not unit_in_scope(user, unit):
        return False
    return unit.id != user.org_unit_id or unit.parent_id is None


def review_unit_or_404(user: User | Any, unit_id: int) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not may_review_unit(user, unit):
        deny("activity_review_out_of_scope")
    return unit


def api(view: F) -> F:
    """Guard an API view: a live bearer token, or a signed-in user who may see the figures.

    Sets ``g.api_scope`` (the unit whose subtree may be read) and ``g.api_token``. No
    credentials: 401 with a JSON body; a signed-in user without the permission: 404 as
    everywhere.
    """

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, value = header.partition(" ")
            token = api_tokens.lookup(value.strip()) if scheme.lower() == "bearer" else None
            if token is None:
                audit.defer("api.denied", outcome="denied",
                            details={"reason": "token", "endpoint": request.endpoint or ""})
                return _api_unauthorised()
            g.api_scope, g.api_token = token.org_unit, token
        elif current_user.is_authenticated:
            if current_user.must_change_password or not has_permission(
                    current_user, Permission.VIEW_INDICATORS) or current_user.org_unit is None:
                deny("permission:api")
            g.api_scope, g.api_token = current_user.org_unit, None
        else:
            return _api_unauthorised()
        return view(*args, **kwargs)

    guarded._casework_guard = (Permission.VIEW_INDICATORS,)  # type: ignore[attr-defined]
    guarded._casework_api = True  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


def _api_unauthorised() -> Any:
    response = jsonify({"error": "unauthorised",
                        "message": "Send 'Authorization: Bearer <token>' or sign in."})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="casework"'
    return response


def api_unit_or_404(unit_id: int | None) -> OrgUnit:
    """A unit of the API caller's scope (default: the scope itself), else 404."""
    scope: OrgUnit = g.api_scope
    unit = scope if unit_id is None else db.session.get(OrgUnit, unit_id)
    if unit is None or not unit.is_within(scope):
        deny("api_unit_out_of_scope")
    return unit


def visible_api_tokens(user: User | Any) -> Any:
    """THE token list: tokens scoped to a unit of ``user``'s subtree."""
    if not has_permission(user, Permission.MANAGE_API_TOKENS) or user.org_unit is None:
        return select(ApiToken).where(false())
    return select(ApiToken).where(ApiToken.org_unit_id.in_(subtree_ids(user.org_unit)))


def load_api_token_or_404(user: User | Any, token_id: int) -> ApiToken:
    token: ApiToken | None = db.session.scalar(
        visible_api_tokens(user).where(ApiToken.id == token_id))
    if token is None:
        deny("api_token_out_of_scope")
    return token


def visible_audit_events(user: User | Any) -> Any:
    """THE scoped audit-log query: events by accounts of the user's subtree; at the root of
    the hierarchy also events without a unit (partners, system, failed logins)."""

    query = select(AuditEvent)
    if (
        not has_permission(user, Permission.VIEW_ACCESS_LOG)
        or not user.is_staff
        or user.org_unit is None
    ):
        return query.where(false())
    in_subtree = AuditEvent.actor_unit_id.in_(subtree_ids(user.org_unit))
    if user.org_unit.parent_id is None:
        return query.where(or_(in_subtree, AuditEvent.actor_unit_id.is_(None)))
    return query.where(in_subtree)


def may_verify_audit_chain(user: User | Any) -> bool:
    """A full verification of the audit chain reads every event: only admins and supervisors
    at the top of the hierarchy (province level) may run it (rate-limited in the view)."""
    return bool(
        has_permission(user, Permission.VIEW_ACCESS_LOG)
        and user.is_staff
        and user.role in ("admin", "supervisor")
        and user.org_unit is not None
        and user.org_unit.parent_id is None
    )


def load_outcome_sample_or_404(user: User | Any, sample_id: int) -> OutcomeSample:
    """An outcome-audit sample drawn within ``user``'s scope, else 404."""
    sample = db.session.get(OutcomeSample, sample_id)
    if (
        sample is None
        or not has_permission(user, Permission.AUDIT_OUTCOMES)
        or not unit_in_scope(user, sample.org_unit)
    ):
        deny("sample_out_of_scope")
    return sample


def import_scope(user: User | Any) -> OrgUnit | None:
    """The unit subtree ``user`` may import records into (their own unit's), or None."""
    if not has_permission(user, Permission.IMPORT_RECORDS) or not user.is_staff:
        return None
    unit: OrgUnit | None = user.org_unit
    return unit


def visible_import_batches(user: User | Any) -> Any:
    """THE import history query (``select(ImportBatch)``): batches into ``user``'s subtree."""

    unit = import_scope(user)
    query = select(ImportBatch)
    if unit is None:
        return query.where(false())
    return query.where(ImportBatch.org_unit_id.in_(subtree_ids(unit)))


def load_import_batch_or_404(user: User | Any, batch_id: int) -> ImportBatch:
    """An import batch into ``user``'s subtree, else 404."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or import_scope(user) is None or not unit_in_scope(user, batch.org_unit):
        deny("import_batch_out_of_scope")
    return batch


def visible_import_reviews(user: User | Any) -> Any:
    """THE supervisor's queue of import matches (``select(ImportMatchReview)``): those whose
    matched case, the woman already on file, lies in ``user``'s scope (:func:`visible_cases`).
    The importer and her unit's supervisors see none unless they hold the matched case."""

    query = select(ImportMatchReview)
    if not has_permission(user, Permission.REVIEW_IMPORT_MATCHES):
        return query.where(false())
    case_ids = visible_cases(user, include_merged=True).with_only_columns(Case.id)
    return query.where(ImportMatchReview.matched_case_id.in_(case_ids))


def load_import_review_or_404(user: User | Any, review_id: int) -> ImportMatchReview:
    """One queued import match from :func:`visible_import_reviews`, else 404 (audited)."""
    review: ImportMatchReview | None = db.session.scalar(
        visible_import_reviews(user).where(ImportMatchReview.id == review_id))
    if review is None:
        deny("import_review_out_of_scope")
    return review


# --- Tip-offs and complaints (issue 15) ------------------------------------------------------


def visible_tipoffs(user: User | Any) -> Any:
    """THE scoped tip-off query (``select(TipOff)``): items held by the user's subtree, for
    caseworkers and supervisors; partners, admins and unattached accounts see none."""
    query = select(TipOff)
    if (
        not has_permission(user, Permission.VIEW_TIPOFFS)
        or not user.is_staff
        or user.org_unit is None
    ):
        return query.where(false())
    return query.where(TipOff.org_unit_id.in_(subtree_ids(user.org_unit)))


def tipoff_in_scope(user: User | Any, item: Any) -> bool:
    """True when ``user`` may read ``item`` (same rule as :func:`visible_tipoffs`)."""
    return bool(has_permission(user, Permission.VIEW_TIPOFFS)
                and unit_in_scope(user, item.org_unit))


def load_tipoff_or_404(user: User | Any, tipoff_id: Any, *, for_edit: bool = False) -> TipOff:
    """The item if ``user`` may see it (and act on it, with ``for_edit``), else 404 (audited).

    Supervisors above the holding unit read; its caseworkers (and those above) act.
    """
    item = db.session.get(TipOff, tipoff_id) if tipoff_id is not None else None
    if item is None or not tipoff_in_scope(user, item):
        deny("tipoff_out_of_scope")
    if for_edit and not has_permission(user, Permission.RECORD_TIPOFFS):
        deny("tipoff_read_only")
    return item


def may_manage_tipoff_settings(user: User | Any) -> bool:
    """Deadlines and holidays are the province's: admins and supervisors at the top unit."""
    return bool(
        has_permission(user, Permission.TIPOFF_SETTINGS)
        and user.is_staff
        and user.org_unit is not None
        and user.org_unit.parent_id is None
    )


def load_holiday_or_404(user: User | Any, holiday_id: int) -> PublicHoliday:
    holiday = db.session.get(PublicHoliday, holiday_id)
    if holiday is None or not may_manage_tipoff_settings(user):
        deny("holiday_out_of_scope")
    return holiday
# --- Her rights (issue 19) --------------------------------------------------------------------


def breach_accounts_in_scope(user: User | Any) -> Any:
    """THE scoped account query for the breach answer: accounts whose events ``user`` may read
    in the access log (:func:`visible_audit_events`): staff of the subtree, and at the root of
    the hierarchy partner accounts too."""
    query = select(User)
    if (not has_permission(user, Permission.BREACH_REPORT) or not user.is_staff
            or user.org_unit is None):
        return query.where(false())
    in_subtree = User.org_unit_id.in_(subtree_ids(user.org_unit))
    if user.org_unit.parent_id is None:
        return query.where(or_(in_subtree, User.role == "partner"))
    return query.where(in_subtree)


def may_answer_for_partners(user: User | Any) -> bool:
    """Partner accounts' events are visible only at the root of the hierarchy."""
    return bool(has_permission(user, Permission.BREACH_REPORT) and user.is_staff
                and user.org_unit is not None and user.org_unit.parent_id is None)
