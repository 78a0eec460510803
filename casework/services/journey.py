"""The guided journey on the case page: what is missing before she can be referred, and the
one next step (a need, her consent to share for it, a partner, sending the draft).

Intake → need → consent to share → choose a partner → send: each step's page links to the
next, so a new officer never hunts for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from casework.domain import REFERRAL_OPEN_STATUSES
from casework.extensions import db
from casework.models.case import Case
from casework.models.need import Need
from casework.models.referral import Referral
from casework.services.consents import valid_share_consent


@dataclass(frozen=True)
class NextStep:
    """``kind`` is "need", "consent", "refer" or "send"; ``category`` the service concerned;
    ``need_id``/``referral_id`` the record the step's link opens."""

    kind: str
    category: str | None = None
    need_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    has_need: bool = False
    has_consent: bool = False


def next_step(case: Case, on: date) -> NextStep | None:
    """The next step towards a referral for ``case`` on day ``on``; None when nothing is
    missing (every identified need has an open referral) or the case is not open."""
    if case.status != "open" or case.merged_into_id is not None:
        return None
    drafts = db.session.scalars(select(Referral).where(
        Referral.case_id == case.id, Referral.status == "draft")
        .order_by(Referral.created_at)).first()
    if drafts is not None:
        return NextStep("send", drafts.category, drafts.need_id, drafts.id, True, True)
    needs = list(db.session.scalars(select(Need).where(
        Need.case_id == case.id, Need.status == "identified").order_by(Need.identified_on)))
    if not needs:
        has_any = db.session.scalar(select(Need.id).where(Need.case_id == case.id).limit(1))
        return None if has_any is not None else NextStep("need")
    referred = set(db.session.scalars(select(Referral.need_id).where(
        Referral.case_id == case.id, Referral.status.in_(tuple(REFERRAL_OPEN_STATUSES)))))
    for need in needs:
        if need.id in referred:
            continue
        if valid_share_consent(case, need.category, on) is None:
            return NextStep("consent", need.category, need.id, has_need=True)
        return NextStep("refer", need.category, need.id, has_need=True, has_consent=True)
    return None
