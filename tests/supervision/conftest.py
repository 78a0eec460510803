"""Supervision fixtures: referrals built directly in any state, transfers and closures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest


@pytest.fixture
def make_referral(app: Any) -> Callable[..., Any]:
    """A referral for ``need`` to ``provider`` in ``status`` with the given effective dates."""
    from casework.extensions import db
    from casework.models.referral import Referral

    def factory(need: Any, provider: Any, status: str = "sent", *,
                referred_on: date | None = None, answered_on: date | None = None,
                uptake_on: date | None = None, **fields: Any) -> Referral:
        referral = Referral(
            case_id=need.case_id, need_id=need.id, subject_id=need.subject_id,
            provider_id=provider.id, category=fields.pop("category", need.category),
            status=status, referred_on=referred_on or need.identified_on,
            answered_on=answered_on, uptake_on=uptake_on, **fields,
        )
        db.session.add(referral)
        db.session.commit()
        return referral

    return factory


@pytest.fixture
def transfer(app: Any) -> Callable[..., None]:
    """Move custody of ``case`` to ``unit`` from ``on`` (the previous row ends that day)."""
    from casework.extensions import db
    from casework.models.case import CaseCustody

    def do(case: Any, unit: Any, on: date) -> None:
        for row in case.custody:
            if row.to_date is None:
                row.to_date = on
        case.custody.append(CaseCustody(org_unit=unit, from_date=on, reason="transfer"))
        case.org_unit = unit
        db.session.commit()

    return do
