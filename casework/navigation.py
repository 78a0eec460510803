"""Role-based navigation: the menu shows only what the signed-in user may open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from casework.authz import Permission, has_permission


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    permission: Permission


# Order is the order of the menu. Areas add their entries here; missing endpoints are skipped.
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("cases.index", _l("Cases"), Permission.VIEW_CASES),
    NavItem("referrals.index", _l("Referrals"), Permission.SEND_REFERRALS),
    NavItem("referrals.reviews", _l("Declines to review"), Permission.REVIEW_DECLINES),
    NavItem("referrals.uptake_reports", _l("Uptakes to verify"), Permission.AUDIT_OUTCOMES),
    NavItem("referrals.providers", _l("Service partners"), Permission.VIEW_PROVIDERS),
    NavItem("partner.inbox", _l("Referrals received"), Permission.PARTNER_PORTAL),
    NavItem("tipoffs.index", _l("Tip-offs"), Permission.VIEW_TIPOFFS),
    NavItem("supervision.dashboard", _l("Indicator"), Permission.VIEW_INDICATORS),
    NavItem("activity.index", _l("Union activity"), Permission.RECORD_ACTIVITY),
    NavItem("activity.reviews", _l("Submissions"), Permission.REVIEW_ACTIVITY),
    NavItem("activity.report", _l("Plan report"), Permission.VIEW_INDICATORS),
    NavItem("activity.tokens", _l("API tokens"), Permission.MANAGE_API_TOKENS),
    NavItem("supervision.access_log", _l("Access log"), Permission.VIEW_ACCESS_LOG),
    NavItem("rights.breach", _l("Breach answer"), Permission.BREACH_REPORT),
    NavItem("rights.retention_list", _l("Records due for erasure"), Permission.REVIEW_RETENTION),
    NavItem("rights.dossier", _l("Impact assessment"), Permission.VIEW_IMPACT_DOSSIER),
    NavItem("imports.index", _l("Import"), Permission.IMPORT_RECORDS),
    NavItem("imports.reviews", _l("Imports to review"), Permission.REVIEW_IMPORT_MATCHES),
    NavItem("admin.users", _l("Accounts"), Permission.MANAGE_USERS),
    NavItem("admin.units", _l("Organisation units"), Permission.MANAGE_UNITS),
    NavItem("admin.outbox", _l("Messages not delivered"), Permission.MANAGE_OUTBOX),
)


def navigation_for(user: Any) -> list[dict[str, Any]]:
    if not getattr(user, "is_authenticated", False) or user.must_change_password:
        return []
    views = current_app.view_functions
    return [
        {"url": url_for(item.endpoint), "label": item.label, "endpoint": item.endpoint}
        for item in NAV_ITEMS
        if item.endpoint in views and has_permission(user, item.permission)
    ]
