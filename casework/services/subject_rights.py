"""Her rights over her data: see everything held (print or download), and erasure.

Correction is :func:`casework.services.cases.update_case`. Erasure is crypto-erasure from
the confidentiality core: the case stays as a tombstone (clear analytical fields only), so
statistics stay right; the page shows when the erasure becomes complete.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import audit
from casework.crypto.models import Subject
from casework.extensions import db
from casework.models.case import Case, CaseEvent
from casework.models.consent import Consent
from casework.models.need import Need
from casework.models.referral import Referral
from casework.models.timeline import CaseNote, FollowUp
from casework.services import case_lifecycle, referrals
from casework.services.cases import PERSONAL_FIELDS
from casework.services.effective_dates import local_date, today
from casework.services.erasure import ErasureReceipt, completion_date, erase_subject
from casework.services.errors import DomainError

#: Why her data is erased (a code kept in the audit trail; never free text), and the reason
#: code the case is closed with when it was still open.
ERASURE_REASONS: dict[str, Any] = {
    "her_request": _l("Her request"),
    "no_longer_needed": _l("Her data is no longer needed"),
    "retention": _l("Retention period ended"),  # only through the retention review
    "other": _l("Other"),
}
_CLOSE_REASON_FOR = {"her_request": "withdrew_consent"}


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def export_data(case: Case, *, actor: Any, fmt: str) -> dict[str, Any]:
    """Everything held about her, as plain data (for a print page or a JSON download).

    Decrypts every personal field of the case and its rows (audited as viewed by the
    collector) and records one ``case.exported`` event with the format.
    """
    def rows(model: Any, order: Any) -> list[Any]:
        return list(db.session.scalars(select(model).where(model.case_id == case.id)
                                       .order_by(order)))

    data: dict[str, Any] = {
        "case_number": case.case_number, "group": case.group, "status": case.status,
        "unit": case.org_unit.name, "intake_date": _plain(case.intake_date),
        "referral_source": case.referral_source, "birth_year_band": case.birth_year_band,
        "personal": {k: _plain(getattr(case, k)) for k in PERSONAL_FIELDS},
        "episodes": [{"opened_on": _plain(e.opened_on), "closed_on": _plain(e.closed_on),
                      "close_reason": e.close_reason} for e in case.episodes],
        "custody": [{"unit": c.org_unit.name, "from": _plain(c.from_date),
                     "to": _plain(c.to_date)} for c in case.custody],
        "consents": [{"purpose": c.purpose, "service_category": c.service_category,
                      "given_on": _plain(c.given_on), "method": c.method,
                      "text_version": c.text_version, "expires_on": _plain(c.expires_on),
                      "withdrawn_on": _plain(c.withdrawn_on), "shared_fields": c.shared_fields,
                      "witness_name": c.witness_name}
                     for c in rows(Consent, Consent.given_on)],
        "needs": [{"category": n.category, "status": n.status,
                   "identified_on": _plain(n.identified_on), "ended_on": _plain(n.ended_on),
                   "note": n.note} for n in rows(Need, Need.identified_on)],
        "notes": [{"kind": n.kind, "on": _plain(n.effective_date), "text": n.body}
                  for n in rows(CaseNote, CaseNote.effective_date)],
        "follow_ups": [{"due_on": _plain(f.due_on), "done_on": _plain(f.done_on),
                        "title": f.title} for f in rows(FollowUp, FollowUp.due_on)],
        "referrals": [{"category": r.category, "partner": r.provider.name, "status": r.status,
                       "referred_on": _plain(r.referred_on), "uptake_on": _plain(r.uptake_on),
                       "shared_fields": r.shared_fields}
                      for r in rows(Referral, Referral.created_at)],
    }
    audit.record("case.exported", target_type="case", target_id=case.id, actor=actor,
                 fields=PERSONAL_FIELDS, details={"format": fmt})
    return data


def erasure_state(case: Case) -> dict[str, Any] | None:
    """None while her data exists; else when it was erased and when erasure is complete."""
    subject = db.session.get(Subject, case.subject_id)
    if subject is None or not subject.erased or subject.erased_at is None:
        return None
    complete_at = completion_date(subject.erased_at)
    return {"erased_at": subject.erased_at, "complete_at": complete_at,
            "complete": local_date(complete_at) <= today()}


def erase_case(case: Case, *, actor: Any, reason: str | None) -> ErasureReceipt:
    """Crypto-erase her data (and that of cases merged into this one); keep the tombstone.

    ``reason`` is a code from :data:`ERASURE_REASONS`, kept in the audit events. Before the
    keys go, her open referrals are cancelled (partners lose access at once and are told) and
    an open case is closed today (reason "withdrew_consent" for her request, else "other"),
    so episodes and the indicator stay consistent. Raises DomainError for an unknown reason
    or when already erased.
    """
    if reason not in ERASURE_REASONS:
        raise DomainError(_l("Choose the reason for erasure."), "reason")
    if erasure_state(case) is not None:
        raise DomainError(_l("Her data was already erased."))
    day = today()
    referrals.cancel_for_erasure(case, actor=actor, on=day)
    episode = case_lifecycle.open_episode(case)
    if case.status == "open" and episode is not None:
        case_lifecycle.close_case(case, on=max(day, episode.opened_on),
                                  reason_code=_CLOSE_REASON_FOR.get(reason, "other"),
                                  actor=actor)
    merged = db.session.scalars(select(Case.subject_id).where(Case.merged_into_id == case.id))
    receipt = erase_subject(case.subject_id, actor=actor, reason=reason)
    for subject_id in set(merged) - {case.subject_id}:
        erase_subject(subject_id, actor=actor, reason=reason)
    db.session.add(CaseEvent(case_id=case.id, kind="erased", effective_date=day,
                             actor_id=getattr(actor, "id", None)))
    audit.record("case.erased", target_type="case", target_id=case.id, actor=actor,
                 details={"reason": reason})
    db.session.flush()
    return receipt
