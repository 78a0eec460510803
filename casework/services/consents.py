"""Consent per purpose (Decree 13 style): record, withdraw (effective at once), and the checks
the referrals area relies on before anything is shared with a partner.

Public API for other areas:

* :func:`valid_share_consent` — the "share" consent covering one service category on a day;
* :func:`shareable_fields` — which personal fields that consent lets a partner see;
* :func:`record_consent`, :func:`withdraw_consent` — used by the case pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import audit
from casework.db import utcnow
from casework.domain import CONSENT_METHODS, CONSENT_PURPOSES, SERVICE_CATEGORIES
from casework.extensions import db
from casework.models.case import Case, CaseEvent
from casework.models.consent import Consent
from casework.services.cases import late_entry_reason, require_accepts_entries
from casework.services.effective_dates import (
    BEFORE_INTAKE,
    WITHDRAWN_BEFORE_GIVEN,
    check_date,
    clean_text,
    today,
)
from casework.services.errors import DomainError, Problems

#: Personal fields a "share" consent may cover, in display order. Narrative (history, family
#: situation, notes) is never shared with partners.
SHAREABLE_FIELDS: dict[str, Any] = {
    "full_name": _l("Full name"),
    "date_of_birth": _l("Date of birth"),
    "phone": _l("Phone"),
    "address": _l("Current address"),
    "national_id": _l("National ID number (CCCD)"),
}
DEFAULT_SHARED_FIELDS = ("full_name", "phone")
CURRENT_TEXT_VERSION = "2025-01"


def valid_share_consent(case: Case, category: str, on: date) -> Consent | None:
    """The "share" consent of ``case`` for service ``category`` valid on ``on``, or None.

    Valid means given on or before ``on``, not expired and not withdrawn by then (a withdrawal
    dated today stops sharing today). When several are valid the most recent one wins.
    """
    rows = db.session.scalars(
        select(Consent).where(Consent.case_id == case.id, Consent.purpose == "share",
                              Consent.service_category == category)
        .order_by(Consent.given_on.desc(), Consent.recorded_at.desc())
    ).all()
    return next((c for c in rows if c.is_valid_on(on)), None)


def valid_consent(case: Case, purpose: str, on: date) -> Consent | None:
    """Her consent for ``purpose`` (not "share": see :func:`valid_share_consent`) valid on
    ``on``, or None. A withdrawal dated ``on`` stops it that day."""
    rows = db.session.scalars(
        select(Consent).where(Consent.case_id == case.id, Consent.purpose == purpose)
        .order_by(Consent.given_on.desc(), Consent.recorded_at.desc())
    ).all()
    return next((c for c in rows if c.is_valid_on(on)), None)


def consenting_to(purpose: str, on: date) -> Any:
    """SELECT of the case ids with a consent for ``purpose`` valid on ``on`` (in SQL)."""
    return select(Consent.case_id).where(
        Consent.purpose == purpose, Consent.given_on <= on,
        (Consent.expires_on.is_(None)) | (Consent.expires_on >= on),
        (Consent.withdrawn_on.is_(None)) | (Consent.withdrawn_on > on))


def shareable_fields(consent: Consent | None) -> tuple[str, ...]:
    """Names of the personal fields ``consent`` lets a partner see (empty without consent).

    Only names from :data:`SHAREABLE_FIELDS` are returned, in that order; the given name is
    implied by the full name.
    """
    if consent is None or consent.purpose != "share":
        return ()
    chosen = {f.strip() for f in (consent.shared_fields or "").split(",")}
    return tuple(f for f in SHAREABLE_FIELDS if f in chosen)


@dataclass
class ConsentInput:
    purpose: str
    given_on: date | None
    method: str
    service_category: str | None = None
    text_version: str = CURRENT_TEXT_VERSION
    expires_on: date | None = None
    witness_name: str | None = None
    shared_fields: tuple[str, ...] = DEFAULT_SHARED_FIELDS
    backdate_reason: str | None = None
    #: Several service categories covered by one consent (one row each); else service_category.
    service_categories: tuple[str, ...] = ()

    def categories(self) -> tuple[str, ...]:
        chosen = self.service_categories or ((self.service_category,)
                                             if self.service_category else ())
        return tuple(dict.fromkeys(c for c in chosen if c))


def _event(case: Case, kind: str, on: date, actor: Any, reason: str | None,
           details: str | None = None) -> None:
    db.session.add(CaseEvent(case_id=case.id, kind=kind, effective_date=on,
                             actor_id=getattr(actor, "id", None),
                             late_reason=late_entry_reason(case.id, case.subject_id, reason),
                             details=details))


@dataclass(frozen=True)
class CheckedConsent:
    categories: tuple[str | None, ...]
    fields: tuple[str, ...]
    given_on: date
    reason: str | None
    witness: str | None


def check_consent(data: ConsentInput, intake_date: date | None) -> CheckedConsent:
    """The consent's values checked all at once (no writes): raises DomainError naming every
    bad field (an unknown purpose/method, a share consent without a service category or
    fields, a date in the future or before ``intake_date``, an expiry not after the date given,
    a verbal consent without a witness)."""
    problems = Problems()
    if data.purpose not in CONSENT_PURPOSES:
        problems.add(_l("Choose a purpose."), "purpose")
    if data.method not in CONSENT_METHODS:
        problems.add(_l("Choose how consent was given."), "method")
    categories: tuple[str | None, ...] = data.categories()
    fields: tuple[str, ...] = ()
    if data.purpose == "share":
        if not categories or any(c not in SERVICE_CATEGORIES for c in categories):
            problems.add(_l("Choose the service categories she agreed to share with."),
                         "service_category")
        fields = tuple(f for f in SHAREABLE_FIELDS if f in set(data.shared_fields))
        if not fields:
            problems.add(_l("Choose at least one field she agreed to share."), "shared_fields")
    else:
        categories = (None,)
    reason = None
    if data.given_on is None:
        problems.add(_l("Enter a date."), "given_on")
    else:
        reason = problems.run(check_date, data.given_on, field="given_on",
                              not_before=intake_date, not_before_message=BEFORE_INTAKE,
                              backdate_reason=data.backdate_reason)
        if data.expires_on is not None and data.expires_on <= data.given_on:
            problems.add(_l("The expiry date must be after the date consent was given."),
                         "expires_on")
    witness = problems.run(clean_text, data.witness_name, limit=120, field="witness_name")
    if data.method == "verbal_witness" and not witness and not any(
            e.field == "witness_name" for e in problems.found):
        problems.add(_l("Verbal consent needs the witness's name."), "witness_name")
    problems.raise_any()
    return CheckedConsent(categories, fields, cast(date, data.given_on), reason, witness)


def record_consent(case: Case, data: ConsentInput, *, actor: Any) -> Consent:
    """Record one consent (the first of :func:`record_consents`)."""
    return record_consents(case, data, actor=actor)[0]


def record_consents(case: Case, data: ConsentInput, *, actor: Any) -> list[Consent]:
    """Record a consent; a "share" consent covering several service categories is kept as one
    row per category (each valid, expiring and withdrawn on its own). Raises DomainError for a
    case closed to entries or not open, and for every refusal of :func:`check_consent` at once."""
    require_accepts_entries(case)
    if case.status != "open":
        raise DomainError(_l("Reopen the case before recording consent."))
    checked = check_consent(data, case.intake_date)
    fields, given_on = checked.fields, checked.given_on
    reason, witness = checked.reason, checked.witness
    version = clean_text(data.text_version, limit=20, field="text_version") or CURRENT_TEXT_VERSION
    recorded = []
    for n, category in enumerate(checked.categories):
        consent = Consent(case_id=case.id, subject_id=case.subject_id, purpose=data.purpose,
                          service_category=category, given_on=given_on, method=data.method,
                          text_version=version, expires_on=data.expires_on,
                          recorded_by_id=getattr(actor, "id", None),
                          shared_fields=",".join(fields) if fields else "")
        consent.witness_name = witness
        db.session.add(consent)
        db.session.flush()
        _event(case, "consent_given", given_on, actor, reason if n == 0 else None,
               details=json.dumps({"purpose": data.purpose, "category": category or ""}))
        audit.record("consent.recorded", target_type="case", target_id=case.id, actor=actor,
                     details={"purpose": data.purpose, "category": category or ""})
        recorded.append(consent)
    return recorded


def withdraw_consent(consent: Consent, *, on: date | None = None, actor: Any) -> None:
    """Withdraw a consent; from ``on`` (default today) it is no longer valid.

    Raises DomainError when already withdrawn, or for a date in the future or before the
    consent was given.
    """
    require_accepts_entries(consent.case)
    if consent.withdrawn_on is not None:
        raise DomainError(_l("This consent was already withdrawn."))
    day = on or today()
    check_date(day, field="withdrawn_on", not_before=consent.given_on,
               not_before_message=WITHDRAWN_BEFORE_GIVEN,
               require_reason=False)

    consent.withdrawn_on = day
    consent.withdrawn_by_id = getattr(actor, "id", None)
    consent.withdrawn_recorded_at = utcnow()
    _event(consent.case, "consent_withdrawn", day, actor, None,
           details=json.dumps({"purpose": consent.purpose,
                               "category": consent.service_category or ""}))
    audit.record("consent.withdrawn", target_type="case", target_id=consent.case_id, actor=actor,
                 details={"purpose": consent.purpose, "category": consent.service_category or ""})
    db.session.flush()


def consents_for(case: Case) -> list[Consent]:
    return list(db.session.scalars(
        select(Consent).where(Consent.case_id == case.id)
        .order_by(Consent.given_on.desc(), Consent.recorded_at.desc())))


def expiring_soon(cases_query: Any, *, within_days: int = 30) -> Any:
    """SELECT of valid consents of the given (scoped) cases that expire within ``within_days``."""
    now = today()
    case_ids = cases_query.with_only_columns(Case.id).where(Case.status == "open")
    return (select(Consent)
            .where(Consent.case_id.in_(case_ids), Consent.withdrawn_on.is_(None),
                   Consent.expires_on.is_not(None), Consent.expires_on >= now,
                   Consent.expires_on <= now + timedelta(days=within_days))
            .order_by(Consent.expires_on))


def sharing_on_paper(case: Case, on: date) -> tuple[list[str], list[str]]:
    """For the printed consent form: the service categories her valid "share" consents cover
    on ``on``, and the fields they share (codes, in display order); empty when none."""
    valid = [c for c in consents_for(case) if c.purpose == "share" and c.is_valid_on(on)]
    categories = list(dict.fromkeys(c.service_category for c in valid if c.service_category))
    chosen = {name for c in valid for name in shareable_fields(c)}
    return categories, [name for name in SHAREABLE_FIELDS if name in chosen]
