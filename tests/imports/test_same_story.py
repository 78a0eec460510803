"""The import and the pages tell the same story the same way.

One referral's life (sent, answered, taken up, ended, on the same days) typed through the
referral services and imported from a paper workbook ends in the same referral row, the same
events (action, from, to, day, code) and the same need history. The one deliberate difference:
a paper uptake names no confirming partner and says it came from paper.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models.need import Need, NeedEvent
from casework.models.referral import Referral, ReferralEvent
from casework.services import providers, referrals
from casework.services.effective_dates import today
from casework.services.imports import apply as importer
from tests.imports.conftest import case_row, need_row, referral_row, workbook_bytes

ATTRIBUTES = ("status", "referred_on", "answered_on", "uptake_on", "ended_on",
              "response_due_on", "uptake_due_on", "reason_code", "outcome_code",
              "review_outcome", "shared_fields")


def day(n):
    return today() - timedelta(days=n)


def cell(n):
    return day(n).strftime("%d/%m/%Y")


#: status -> (the service's moves as (action, days ago, input), the import row's columns)
STORIES = {
    "completed": ([("accept", 12, {}), ("confirm_uptake", 10, {}),
                   ("complete", 2, {"outcome_code": "certificate_obtained"})],
                  {"answered_on": 12, "uptake_on": 10, "ended_on": 2,
                   "reason_code": "certificate_obtained"}),
    "declined": ([("decline", 12, {"reason_code": "no_capacity", "note": "Hết chỗ"})],
                 {"answered_on": 12, "reason_code": "no_capacity"}),
    "not_completed": ([("accept", 12, {}),
                       ("not_complete", 2, {"reason_code": "did_not_attend"})],
                      {"answered_on": 12, "ended_on": 2, "reason_code": "did_not_attend"}),
    "cancelled": ([("cancel", 12, {"reason_code": "she_changed_mind"})],
                  {"ended_on": 12, "reason_code": "she_changed_mind"}),
    "in_service": ([("accept", 12, {}), ("confirm_uptake", 10, {})],
                   {"answered_on": 12, "uptake_on": 10}),
}


def _story(referral):
    row = {name: getattr(referral, name) for name in ATTRIBUTES}
    events = [(e.action, e.from_status, e.to_status, e.effective_date, e.reason_code)
              for e in sorted(referral.events, key=lambda e: e.effective_date)
              if e.action != "create"]
    need_events = [(e.from_status, e.to_status, e.effective_date, e.reason)
                   for e in db.session.scalars(select(NeedEvent).where(
                       NeedEvent.need_id == referral.need_id,
                       NeedEvent.from_status.is_not(None))
                       .order_by(NeedEvent.effective_date, NeedEvent.recorded_at))]
    return row, events, need_events, db.session.get(Need, referral.need_id).status


@pytest.mark.parametrize("status", list(STORIES))
def test_typed_and_imported_referrals_end_the_same(
        status, app, org, provider, make_user, make_case, make_need, make_consent, dry_run):
    moves, columns = STORIES[status]
    provider.response_days, provider.followup_days = 5, 10
    providers.set_categories(provider, ["vocational_training"])
    providers.set_areas(provider, [org.d1.id])
    caseworker = make_user("caseworker", unit=org.c1)
    partner = make_user("partner", provider=provider)

    # Through the services, as the pages call them.
    case = make_case(org.c1, intake_date=day(20))
    need = make_need(case, "vocational_training", identified_on=day(20))
    make_consent(case, "share", "vocational_training", given_on=day(20))
    typed = referrals.create_draft(need, provider, actor=caseworker)
    referrals.send(typed, actor=caseworker, version=typed.version, fields=[],
                   referred_on=day(15), partner_note=None)
    for action, ago, given in moves:
        actor = caseworker if action == "cancel" else partner
        referrals.act(typed, action, referrals.ActionInput(effective_date=day(ago), **given),
                      actor=actor, version=typed.version)
    db.session.commit()

    # Through the import, from the paper file.
    importing = make_user("caseworker", unit=org.d1)
    row = {"status": status, "referred_on": cell(15), "answered_on": None, "uptake_on": None,
           "ended_on": None, "reason_code": None}
    row.update({k: (cell(v) if isinstance(v, int) else v) for k, v in columns.items()})
    report = dry_run(workbook_bytes({
        "cases": [case_row(intake_date=cell(20))],
        "needs": [need_row(identified_on=cell(20))],
        "referrals": [referral_row(**row)]}), org.d1, user=importing)
    assert report.clean, [str(p.message) for p in report.errors]
    importer.apply(report, actor=importing, scope_unit=org.d1, file_mac="a" * 64, mode="all",
                   source="cli")
    db.session.commit()
    db.session.expire_all()
    imported = db.session.scalar(select(Referral).where(Referral.external_ref.is_not(None)))
    typed = db.session.get(Referral, typed.id)

    assert _story(imported) == _story(typed)
    assert imported.status == status
    # The deliberate difference: paper names no confirming partner and says where it came from.
    if typed.uptake_on is not None:
        assert typed.uptake_confirmed_by_id == partner.id
        assert (imported.uptake_confirmed_by_id, imported.uptake_confirmed_at) == (None, None)
        confirm = db.session.scalar(select(ReferralEvent).where(
            ReferralEvent.referral_id == imported.id, ReferralEvent.action == "confirm_uptake"))
        assert json.loads(confirm.details)["uptake_source"] == "paper_import"


def test_a_later_paper_referral_does_not_reopen_a_need_that_ended(dry_run, app, org, provider,
                                                                  make_user):
    # The paper history predates the end: the need stays ended, as the forms would leave it.
    user = make_user("caseworker", unit=org.d1)
    for sheets, mac in (
            ({"cases": [case_row()], "needs": [need_row(status="no_longer_needed",
                                                        ended_on="01/12/2021")]}, "0"),
            ({"referrals": [referral_row(status="in_service", ended_on=None)]}, "1")):
        report = dry_run(workbook_bytes(sheets), org.d1, user=user)
        assert report.clean, [str(p.message) for p in report.errors]
        importer.apply(report, actor=user, scope_unit=org.d1, file_mac=mac * 64, mode="all",
                       source="cli")
        db.session.commit()
    db.session.expire_all()
    need = db.session.scalar(select(Need))
    assert (need.status, need.ended_on.isoformat()) == ("no_longer_needed", "2021-12-01")
    assert [e.to_status for e in db.session.scalars(select(NeedEvent).where(
        NeedEvent.need_id == need.id).order_by(NeedEvent.effective_date))] == [
        "identified", "no_longer_needed"]
    assert db.session.scalar(select(Referral)).status == "in_service"
