"""Partners see open referrals only (SECURITY.md): an ended referral leaves the portal."""

from __future__ import annotations

import pytest

from casework.extensions import db
from casework.services import referral_flow as flow
from casework.services.effective_dates import today
from tests.referrals.conftest import CANARY_PHONE, bring_to


@pytest.mark.parametrize("final", ["completed", "not_completed", "declined"])
def test_an_ended_referral_leaves_the_partner_portal(client, login, loop, sent, final):
    login(client, loop.partner)
    assert client.get(f"/partner/referrals/{sent.id}").status_code == 200
    bring_to(sent, final, loop)
    response = client.get(f"/partner/referrals/{sent.id}")
    assert response.status_code == 404
    assert CANARY_PHONE not in response.get_data(as_text=True)
    assert loop.case.case_number not in client.get("/partner/").get_data(as_text=True)


def test_the_caseworker_still_sees_the_ended_referral(client, login, loop, sent):
    bring_to(sent, "completed", loop)
    login(client, loop.caseworker)
    assert client.get(f"/referrals/{sent.id}").status_code == 200


def test_completing_sends_the_partner_back_to_the_inbox(client, login, loop, sent):
    bring_to(sent, "in_service", loop)
    login(client, loop.partner)
    db.session.refresh(sent)
    response = client.submit(
        f"/partner/referrals/{sent.id}/complete",
        {"complete-effective_date": today().isoformat(), "complete-outcome_code":
         next(iter(flow.transition("complete").outcomes)), "complete-version": str(sent.version)},
        page=f"/partner/referrals/{sent.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/partner/")
    db.session.refresh(sent)
    assert sent.status == "completed"
