"""Uptake provenance (DOMAIN.md, "Uptake provenance"): every uptake says how it became known;
partner and paper-import uptakes count, a caseworker's report only once a supervisor verified it
(until then she is in the pipeline, awaiting uptake). Stored and direct figures agree."""

from __future__ import annotations

from datetime import date

import pytest

from casework import indicators
from casework.db import utcnow
from casework.domain import (
    UPTAKE_CASEWORKER_REPORT,
    UPTAKE_PAPER_IMPORT,
    UPTAKE_PARTNER_ACCOUNT,
    UPTAKE_PARTNER_LINK,
)
from casework.extensions import db

H1 = indicators.parse_period("2024H1", today=date(2025, 1, 1))


def _figures(org, stored):
    total = indicators.totals(org.province, H1, stored=stored)
    return total.eligible, total.connected, total.awaiting_uptake


@pytest.fixture
def one_woman(org, make_case, make_need, make_provider, make_referral):
    case = make_case(org.c1, intake_date=date(2024, 1, 10))
    need = make_need(case, "jobs", identified_on=date(2024, 1, 10))
    return make_referral(need, make_provider(code="X"), "in_service",
                         answered_on=date(2024, 2, 1), uptake_on=date(2024, 3, 1))


@pytest.mark.parametrize("stored", [False, True], ids=["direct", "stored"])
@pytest.mark.parametrize("provenance", [UPTAKE_PARTNER_ACCOUNT, UPTAKE_PARTNER_LINK,
                                        UPTAKE_PAPER_IMPORT])
def test_partner_and_paper_uptakes_count(one_woman, org, provenance, stored):
    one_woman.uptake_provenance = provenance
    db.session.commit()
    assert _figures(org, stored) == (1, 1, 0)


@pytest.mark.parametrize("stored", [False, True], ids=["direct", "stored"])
def test_an_unverified_caseworker_report_stays_in_the_pipeline(one_woman, org, stored):
    one_woman.uptake_provenance = UPTAKE_CASEWORKER_REPORT
    db.session.commit()
    assert _figures(org, stored) == (1, 0, 1)


@pytest.mark.parametrize("stored", [False, True], ids=["direct", "stored"])
def test_a_verified_caseworker_report_counts_from_her_uptake_date(one_woman, org, stored,
                                                                  make_user):
    one_woman.uptake_provenance = UPTAKE_CASEWORKER_REPORT
    db.session.commit()
    assert _figures(org, stored) == (1, 0, 1)  # read (and stored) before the verification
    supervisor = make_user("supervisor", unit=org.d1)
    one_woman.uptake_verified_at = utcnow()
    one_woman.uptake_verified_by_id = supervisor.id
    db.session.commit()
    assert _figures(org, stored) == (1, 1, 0)


def test_the_partner_confirming_in_casework_records_its_account_as_the_source(
        org, make_user, make_case, make_need, make_provider, make_referral):
    from casework.services import referrals
    from casework.services.effective_dates import today

    provider = make_provider(code="P1")
    partner = make_user("partner", provider=provider)
    case = make_case(org.c1, intake_date=today())
    need = make_need(case, "jobs")
    referral = make_referral(need, provider, "accepted", answered_on=need.identified_on)
    referrals.act(referral, "confirm_uptake",
                  referrals.ActionInput(effective_date=need.identified_on),
                  actor=partner, version=referral.version)
    db.session.commit()
    assert referral.uptake_provenance == UPTAKE_PARTNER_ACCOUNT
    assert referral.uptake_confirmed_by_id == partner.id
