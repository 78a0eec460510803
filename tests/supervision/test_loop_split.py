"""Supervision sees the loop (issue 12): connected women split by how the uptake became known,
answers per channel (account or one-time link), overdue referrals per unit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from casework import indicators
from casework.extensions import db
from casework.models.partner_link import PartnerLink
from casework.services import supervision
from casework.services.effective_dates import today

PERIOD = "2024H1"


@pytest.fixture
def split(org, make_case, make_need, make_provider, make_referral, make_user):
    """Six women in 2024H1: one uptake of each provenance, an unverified report (pipeline),
    and one woman with two uptakes (counted once, under her first)."""
    x = make_provider(code="X")
    checker = make_user("supervisor", unit=org.d1)
    made = {}

    def woman(unit, provenance, uptake_on, verified=True):
        case = make_case(unit, intake_date=date(2024, 1, 5))
        need = make_need(case, "jobs", identified_on=date(2024, 1, 10))
        fields = {"uptake_provenance": provenance}
        if provenance == "caseworker_report" and verified:
            fields.update(uptake_verified_at=datetime(2024, 3, 1, tzinfo=UTC),
                          uptake_verified_by_id=checker.id)
        made[provenance if verified else "unverified"] = make_referral(
            need, x, "in_service", referred_on=date(2024, 2, 1),
            answered_on=date(2024, 2, 3), uptake_on=uptake_on, **fields)
        return need

    woman(org.c1, "partner_account", date(2024, 3, 1))
    woman(org.c1, "partner_link", date(2024, 3, 2))
    woman(org.c2, "paper_import", date(2024, 3, 3))
    woman(org.c3, "caseworker_report", date(2024, 3, 4))
    woman(org.c3, "caseworker_report", date(2024, 3, 5), verified=False)
    need = woman(org.c1, "partner_link", date(2024, 2, 20))  # her first
    make_referral(need, make_provider(code="Z"), "in_service", referred_on=date(2024, 2, 1),
                  uptake_on=date(2024, 4, 1), uptake_provenance="partner_account")
    db.session.add(PartnerLink(referral_id=made["partner_link"].id, channel="sms",
                               token_hash="v1$" + "a" * 64, failed_codes=0, used_actions="",
                               expires_at=datetime(2024, 6, 1, tzinfo=UTC)))
    db.session.commit()
    return made


def test_the_split_adds_up_to_the_connected_count_from_the_one_definition(org, split):
    period = indicators.parse_period(PERIOD, today())
    parts = indicators.connected_by_provenance(org.province, period)
    total = indicators.totals(org.province, period, stored=False)
    assert parts == {"partner_account": 1, "partner_link": 2, "paper_import": 1,
                     "caseworker_report": 1}
    assert sum(parts.values()) == total.connected == 5
    assert total.awaiting_uptake == 1  # the unverified report stays in the pipeline
    d2 = indicators.connected_by_provenance(org.d2, period)
    assert d2["caseworker_report"] == 1
    assert sum(d2.values()) == 1


def test_the_dashboard_and_the_report_show_the_split(client, login, make_user, org, split, app):
    login(client, make_user("supervisor", unit=org.province))
    page = client.get(f"/supervision/?period={PERIOD}").get_data(as_text=True)
    assert re.search(r'data-testid="provenance-partner_link">2<', page)
    assert re.search(r'data-testid="provenance-caseworker_report">1<', page)
    app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"] = 1
    report = client.get(f"/supervision/report?period={PERIOD}").get_data(as_text=True)
    assert re.search(r'data-testid="report-provenance-partner_link">2<', report)
    assert re.search(r'data-testid="report-provenance-paper_import">1<', report)


def test_the_report_hides_small_provenance_counts(client, login, make_user, org, split):
    login(client, make_user("supervisor", unit=org.province))
    report = client.get(f"/supervision/report?period={PERIOD}").get_data(as_text=True)
    assert re.search(r'data-testid="report-provenance-partner_link">&lt;5<', report)


def test_partner_performance_per_channel(org, split):
    period = indicators.parse_period(PERIOD, today())
    rows = {r["name"]: r for r in supervision.partner_performance(org.province, period,
                                                                  date(2024, 6, 30))}
    x = next(r for r in rows.values() if r["received"] == 6)
    assert (x["link_received"], x["link_answered"]) == (1, 1)
    assert (x["account_received"], x["account_answered"]) == (5, 5)
    assert x["link_response_days"] == 2.0


def test_overdue_referrals_per_unit(org, make_case, make_need, make_provider, make_referral,
                                    client, login, make_user):
    x = make_provider(code="OV")
    case = make_case(org.c3, intake_date=today() - timedelta(days=40))
    need = make_need(case, "jobs", identified_on=today() - timedelta(days=30))
    make_referral(need, x, "sent", referred_on=today() - timedelta(days=20),
                  response_due_on=today() - timedelta(days=10))
    counts = supervision.overdue_by_unit([org.d1, org.d2], today())
    assert counts == {org.d1.id: 0, org.d2.id: 1}
    login(client, make_user("supervisor", unit=org.province))
    page = client.get("/supervision/").get_data(as_text=True)
    assert re.search(rf'data-testid="overdue-{org.d2.id}"><span class="badge badge--warn">1<',
                     page)
