"""Supervision fixtures: referrals built directly in any state, transfers and closures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from casework.extensions import db


@pytest.fixture
def make_referral(app: Any) -> Callable[..., Any]:
    """A referral for ``need`` to ``provider`` in ``status`` with the given effective dates."""
    from casework.extensions import db
    from casework.models.referral import Referral

    def factory(need: Any, provider: Any, status: str = "sent", *,
                referred_on: date | None = None, answered_on: date | None = None,
                uptake_on: date | None = None, **fields: Any) -> Referral:
        if uptake_on is not None:  # as the flows and the import record it (migration 0012)
            fields.setdefault("uptake_provenance", "partner_account"
                              if fields.get("uptake_confirmed_by_id") else "paper_import")
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


@pytest.fixture
def scenario(org, make_case, make_need, make_provider, make_referral, transfer, make_consent):
    from casework.models.case import CaseEpisode
    from casework.services.erasure import erase_subject

    x, y = make_provider(code="X"), make_provider(code="Y")
    s = SimpleNamespace(org=org, x=x, y=y)

    def close(case, on):
        for episode in case.episodes:
            if episode.closed_on is None:
                episode.closed_on = on
                episode.close_reason = "other"
        case.status = "closed"
        db.session.commit()

    s.a = make_case(org.c1, intake_date=date(2023, 3, 1))
    need = make_need(s.a, "vocational_training", identified_on=date(2023, 3, 1))
    make_referral(need, x, "in_service", uptake_on=date(2024, 2, 10))

    s.b = make_case(org.c1, intake_date=date(2024, 1, 10))
    make_need(s.b, "jobs", identified_on=date(2024, 8, 1))

    s.c = make_case(org.c1, intake_date=date(2024, 1, 10))
    need = make_need(s.c, "jobs")
    make_referral(need, x, "completed", uptake_on=date(2024, 7, 5))

    s.d = make_case(org.c2, intake_date=date(2022, 1, 1), closed_on=date(2023, 12, 31))
    make_need(s.d, "jobs")

    s.e = make_case(org.c1, intake_date=date(2023, 6, 1))
    make_need(s.e, "legal_aid")
    transfer(s.e, org.c3, date(2024, 3, 1))

    s.f = make_case(org.c2, intake_date=date(2024, 1, 5))
    voc = make_need(s.f, "vocational_training")
    loans = make_need(s.f, "loans", identified_on=date(2024, 2, 1))
    make_referral(voc, x, "completed", uptake_on=date(2024, 1, 20))
    make_referral(loans, y, "in_service", uptake_on=date(2024, 3, 1))
    make_referral(voc, y, "sent", referred_on=date(2024, 2, 2))

    s.g = make_case(org.c2, intake_date=date(2024, 1, 20))
    need = make_need(s.g, "loans")
    make_referral(need, y, "declined", referred_on=date(2024, 2, 1), answered_on=date(2024, 2, 3))
    make_referral(need, x, "in_service", referred_on=date(2024, 2, 5), uptake_on=date(2024, 4, 15))

    s.h = make_case(org.c3, intake_date=date(2024, 3, 1))
    make_consent(s.h, "statistics")  # before her erasure (the others' below)
    need = make_need(s.h, "health_hiv")
    make_referral(need, y, "completed", uptake_on=date(2024, 5, 1))
    erase_subject(s.h.subject_id, actor=None, reason="her request")
    db.session.commit()

    s.i = make_case(org.c1, group="trafficking_returnee", intake_date=date(2024, 1, 2))
    need = make_need(s.i, "legal_aid")
    make_referral(need, x, "in_service", uptake_on=date(2024, 1, 30))

    s.j = make_case(org.c3, group="high_risk", intake_date=date(2024, 2, 2))
    make_need(s.j, "jobs")

    s.k = make_case(org.c2, intake_date=date(2023, 1, 1))
    make_need(s.k, "jobs", status="no_longer_needed", ended_on=date(2023, 12, 1))

    s.l = make_case(org.c1, intake_date=date(2024, 4, 1))
    need = make_need(s.l, "jobs")
    make_referral(need, x, "sent", referred_on=date(2024, 5, 1))

    s.m = make_case(org.c1, intake_date=date(2024, 4, 1))
    need = make_need(s.m, "loans")
    make_referral(need, y, "accepted", referred_on=date(2024, 4, 2), answered_on=date(2024, 4, 5))

    s.n = make_case(org.c3, intake_date=date(2023, 1, 1))
    make_need(s.n, "vocational_training")
    transfer(s.n, org.c2, date(2024, 2, 1))
    close(s.n, date(2024, 4, 30))

    s.o = make_case(org.c1, intake_date=date(2023, 1, 1))
    make_need(s.o, "jobs")
    close(s.o, date(2024, 3, 31))
    transfer(s.o, org.c3, date(2024, 5, 1))

    s.q = make_case(org.c1, intake_date=date(2024, 1, 10))
    make_need(s.q, "jobs", identified_on=date(2023, 12, 1))

    s.r = make_case(org.c1, intake_date=date(2023, 3, 1), merged_into_id=s.a.id)
    make_need(s.r, "jobs")
    assert db.session.query(CaseEpisode).count() == 17
    # Every woman of the scenario consents to anonymous statistics (the de-identified export
    # leaves out those who do not: tests/rights/test_consent_purposes.py).
    for name in "abcdefgijklmnoqr":
        make_consent(getattr(s, name), "statistics")
    return s
