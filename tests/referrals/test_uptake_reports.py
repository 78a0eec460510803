"""A caseworker's report of uptake (issue 12, DOMAIN.md "Uptake provenance").

She reports it with the date and how it is known; it sits in the pipeline until a supervisor of
a unit above the case verifies it (then it counts) or does not (back to accepted, with a note).
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from casework import indicators
from casework.domain import UPTAKE_CASEWORKER_REPORT
from casework.extensions import db
from casework.models.notification import Notification
from casework.services.effective_dates import today
from tests.referrals.conftest import bring_to, form_values


def _figures(loop):
    period = indicators.parse_period(None, today())
    return indicators.totals(loop.case.org_unit.parent.parent, period)


def _report(client, login, loop, referral, evidence="showed_paper"):
    login(client, loop.caseworker)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'data-action="report_uptake"' in page
    version = re.search(r'id="report_uptake-version"[^>]*value="(\d+)"', page).group(1)
    return client.post(f"/referrals/{referral.id}/report-uptake", data={
        "csrf_token": form_values(page)["csrf_token"], "report_uptake-version": version,
        "report_uptake-effective_date": (today() - timedelta(days=1)).isoformat(),
        "report_uptake-reason_code": evidence, "report_uptake-note": ""})


def _verdict(client, login, loop, referral, decision, note=""):
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login(client, loop.supervisor)
    queue = client.get("/referrals/uptake-reports").get_data(as_text=True)
    assert f"/referrals/{referral.id}" in queue
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'data-testid="verify-uptake"' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return client.post(f"/referrals/{referral.id}/verify-uptake", data={
        "csrf_token": form_values(page)["csrf_token"], "version": version,
        "note": note, "decision": decision})


def test_a_reported_uptake_waits_in_the_pipeline_then_counts_once_verified(
        client, login, loop, sent):
    bring_to(sent, "accepted", loop)
    before = _figures(loop)
    assert _report(client, login, loop, sent).status_code == 302
    db.session.expire_all()
    assert sent.status == "in_service"
    assert sent.uptake_provenance == UPTAKE_CASEWORKER_REPORT
    assert sent.uptake_evidence == "showed_paper"
    assert sent.uptake_verified_at is None
    pending = _figures(loop)
    assert pending.connected == before.connected
    assert pending.awaiting_uptake == before.awaiting_uptake  # still in the pipeline
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == loop.supervisor.id,
        Notification.kind == "uptake_reported")) is not None
    assert _verdict(client, login, loop, sent, "verify").status_code == 302
    db.session.expire_all()
    assert sent.uptake_verified_by_id == loop.supervisor.id
    assert _figures(loop).connected == before.connected + 1
    assert sent.need.status == "connected"
    queue = client.get("/referrals/uptake-reports").get_data(as_text=True)
    assert f"/referrals/{sent.id}" not in queue


def test_a_rejected_report_goes_back_to_accepted_with_the_note(client, login, loop, sent):
    bring_to(sent, "accepted", loop)
    _report(client, login, loop, sent, evidence="home_visit")
    refused = _verdict(client, login, loop, sent, "reject")  # a note is required
    assert refused.status_code == 400
    assert _verdict(client, login, loop, sent, "reject",
                    note="Đối tác nói chưa bắt đầu").status_code == 302
    db.session.expire_all()
    assert sent.status == "accepted"
    assert sent.uptake_on is None
    assert sent.uptake_provenance is None
    assert sent.events[-1].action == "reject_uptake"
    assert sent.events[-1].note == "Đối tác nói chưa bắt đầu"
    assert sent.need.status == "referred"
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == loop.caseworker.id,
        Notification.kind == "uptake_rejected")) is not None
    # The caseworker may report it again later.
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert _report(client, login, loop, sent).status_code == 302


def test_only_a_waiting_report_can_be_verified_and_only_from_above(client, login, loop, sent,
                                                                     make_user, org):
    bring_to(sent, "in_service", loop)  # confirmed by the partner: nothing to verify
    login(client, loop.supervisor)
    page = client.get(f"/referrals/{sent.id}").get_data(as_text=True)
    assert 'data-testid="verify-uptake"' not in page
    response = client.post(f"/referrals/{sent.id}/verify-uptake", data={
        "csrf_token": form_values(page)["csrf_token"], "version": str(sent.version),
        "note": "", "decision": "verify"})
    assert response.status_code == 400
    db.session.expire_all()
    assert sent.uptake_verified_at is None
    # A supervisor of another district does not see the referral at all.
    other = make_user("supervisor", unit=org.d2)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login(client, other)
    assert client.get(f"/referrals/{sent.id}").status_code == 404
