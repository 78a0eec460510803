"""The domain's code lists, with one translatable label each (DOMAIN.md's words).

Codes are stored in the database and used in reports and imports; labels are what people read.
Change a label freely; never change a code that is in use.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

# The three groups of women (DOMAIN.md). Target 5 counts only TARGET_GROUP. On screen each group
# is named by the support it receives, never by a label about the woman (DOMAIN.md, "Words").
TARGET_GROUP = "left_sex_work"
CASE_GROUPS: dict[str, Any] = {
    "left_sex_work": _l("Reintegration support (target 5)"),
    "trafficking_returnee": _l("Support after return"),
    "high_risk": _l("Prevention support"),
}

REFERRAL_SOURCES: dict[str, Any] = {
    "self": _l("Herself"),
    "union": _l("Women's Union"),
    "police": _l("Police"),
    "border_guard": _l("Border guard"),
    "health": _l("Health services"),
    "other": _l("Other"),
}

# How an uptake became known (DOMAIN.md, "Uptake provenance"). Partner and paper-import uptakes
# count; a caseworker's report counts only once a supervisor has verified it.
UPTAKE_PARTNER_ACCOUNT = "partner_account"
UPTAKE_PARTNER_LINK = "partner_link"
UPTAKE_PAPER_IMPORT = "paper_import"
UPTAKE_CASEWORKER_REPORT = "caseworker_report"
UPTAKE_PROVENANCES: dict[str, Any] = {
    UPTAKE_PARTNER_ACCOUNT: _l("Confirmed by the partner (account)"),
    UPTAKE_PARTNER_LINK: _l("Confirmed by the partner (one-time link)"),
    UPTAKE_PAPER_IMPORT: _l("Recorded from paper (import)"),
    UPTAKE_CASEWORKER_REPORT: _l("Reported by the caseworker, verified by a supervisor"),
}

SERVICE_CATEGORIES: dict[str, Any] = {
    "vocational_training": _l("Vocational training"),
    "loans": _l("Loans and credit"),
    "jobs": _l("Jobs"),
    "startup": _l("Start-up support"),
    "legal_aid": _l("Legal aid"),
    "health_hiv": _l("Health, HIV and harm reduction"),
    "gbv_support": _l("Support against gender-based violence"),
    "social_protection": _l("Social protection and poverty reduction"),
    "peer_groups": _l("Peer groups and clubs"),
    "other": _l("Other services"),
}

NEED_STATUSES: dict[str, Any] = {
    "identified": _l("Identified"),
    "referred": _l("Referred"),
    "connected": _l("Connected"),
    "declined_by_her": _l("Declined by her"),
    "no_longer_needed": _l("No longer needed"),
}
# A need in one of these statuses has ended (its end date closes its open interval).
NEED_ENDED_STATUSES = frozenset({"declined_by_her", "no_longer_needed"})

CONSENT_PURPOSES: dict[str, Any] = {
    "keep_record": _l("Keep her record"),
    "share": _l("Share with partners of one service category"),
    "contact_phone": _l("Contact by phone"),
    "contact_visit": _l("Home visits"),
    "statistics": _l("Use in anonymous statistics"),
}
CONSENT_METHODS: dict[str, Any] = {
    "signed_form": _l("Signed form"),
    "verbal_witness": _l("Verbal, with a witness"),
    "paper_imported": _l("Paper form, imported"),
}

CLOSE_REASONS: dict[str, Any] = {
    "reintegrated": _l("Reintegrated"),
    "moved_away": _l("Moved away"),
    "lost_contact": _l("Lost contact"),
    "withdrew_consent": _l("Withdrew consent"),
    "deceased": _l("Deceased"),
    "other": _l("Other"),
}

PROVIDER_KINDS: dict[str, Any] = {
    "vocational_training_centre": _l("Vocational training centre"),
    "social_policy_bank": _l("Bank for Social Policies branch"),
    "legal_aid_centre": _l("Legal aid centre"),
    "employment_service": _l("Employment service"),
    "health_hiv": _l("Health / HIV service"),
    "shelter": _l("Shelter"),
    "ngo": _l("NGO"),
    "other": _l("Other"),
}

REFERRAL_STATUSES: dict[str, Any] = {
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "on_hold": _l("On hold"),
    "declined": _l("Declined"),
    "in_service": _l("Service taken up"),
    "completed": _l("Completed"),
    "not_completed": _l("Not completed"),
    "cancelled": _l("Cancelled"),
}
REFERRAL_OPEN_STATUSES = frozenset({"draft", "sent", "accepted", "on_hold", "in_service"})

BIRTH_YEAR_BAND_WIDTH = 5


def birth_year_band(year: int | None) -> str | None:
    """A five-year band like ``1990-1994``: enough for reports, too coarse to identify anyone."""
    if year is None:
        return None
    start = year - year % BIRTH_YEAR_BAND_WIDTH
    return f"{start}-{start + BIRTH_YEAR_BAND_WIDTH - 1}"


def label(codes: dict[str, Any], code: str | None) -> Any:
    """The label of ``code`` in ``codes``, or the code itself when unknown (never fails)."""
    if code is None:
        return ""
    return codes.get(code, code)
