"""The bulk write path stores exactly what the forms' ORM path stores.

A case written with Core inserts must decrypt through the normal ORM attributes, be found by
every blind index (phone, CCCD, folded name + birth year) with the same index values a case
typed through the ORM gets, keep the audit chain valid, and record paper uptakes honestly.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from casework import audit, indicators
from casework.crypto import blind_index
from casework.crypto.models import BlindIndexEntry
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case, CaseCustody, CaseEpisode
from casework.models.need import Need
from casework.models.referral import Referral, ReferralEvent
from casework.services.imports import apply as importer
from casework.services.imports.provenance import imported_uptake, partner_confirmed
from tests.imports.conftest import case_row, need_row, referral_row, workbook_bytes


def _import(dry_run, user, unit, sheets):
    report = dry_run(workbook_bytes(sheets), unit, user=user)
    assert report.clean, [str(p.message) for p in report.errors]
    batch = importer.apply(report, actor=user, scope_unit=unit, file_mac="a" * 64,
                           mode="all", source="cli")
    db.session.commit()
    db.session.expire_all()
    return batch


def _index_values(row_id):
    return {(e.index_name, e.key_version, e.value) for e in db.session.scalars(
        select(BlindIndexEntry).where(BlindIndexEntry.row_id == row_id))}


def test_an_imported_case_reads_searches_and_audits_like_a_typed_one(
        dry_run, app, org, provider, make_user, make_case):
    user = make_user("caseworker", unit=org.d1)
    _import(dry_run, user, org.d1, {
        "cases": [case_row(full_name="Trần Thị Thử", date_of_birth="20/05/1995",
                           national_id="036195000123", phone="0912345678",
                           address="Xóm 3, Hải Hậu")],
        "needs": [need_row(note="Cần học nghề may")],
    })
    case = db.session.scalar(select(Case).where(Case.external_ref == "imp:C1:hs:HS-1"))
    assert (case.full_name, case.given_name, case.date_of_birth, case.national_id,
            case.phone, case.address) == ("Trần Thị Thử", "Thử", date(1995, 5, 20),
                                          "036195000123", "0912345678", "Xóm 3, Hải Hậu")
    assert case.other_names is None
    assert case.version == 1
    need = db.session.scalar(select(Need).where(Need.case_id == case.id))
    assert need.note == "Cần học nghề may"

    # Found by each blind index, typed the way people type.
    assert blind_index.find(db.session, Case, "phone", "+84 912 345 678") == [case]
    assert blind_index.find(db.session, Case, "national_id", "036 195 000 123") == [case]
    assert blind_index.find(db.session, Case, "name_birth_year", "Tran Thi Thu", 1995) == [case]

    # The same person typed through the ORM gets identical index values.
    typed = make_case(org.c2, full_name="Trần Thị Thử", date_of_birth=date(1995, 5, 20),
                      phone="0912345678", national_id="036195000123")
    db.session.commit()
    imported_values = {(n, k, v) for n, k, v in _index_values(case.id)}
    assert imported_values == _index_values(typed.id)
    assert {n for n, _k, _v in imported_values} == {
        "cases.name_birth_year", "cases.phone", "cases.national_id"}

    # Ciphertexts are bound to their row: moved to another row they do not decrypt.
    assert case.full_name_enc != typed.full_name_enc

    # One open episode and intake custody, as the forms make.
    assert [(e.opened_on, e.closed_on) for e in db.session.scalars(
        select(CaseEpisode).where(CaseEpisode.case_id == case.id))] == [(date(2021, 3, 15), None)]
    assert [(c.org_unit_id, c.reason, c.to_date) for c in db.session.scalars(
        select(CaseCustody).where(CaseCustody.case_id == case.id))] == [
        (org.c1.id, "intake", None)]

    created = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "case.created", AuditEvent.target_id == str(case.id)))
    assert created.actor_user_id == user.id
    assert json.loads(created.details)["via"] == "import"
    result = audit.verify(db.session)
    assert result.ok, result


def test_the_audit_chain_stays_valid_around_a_bulk_append(dry_run, app, org, provider,
                                                          make_user):
    user = make_user("caseworker", unit=org.d1)
    audit.record("before.import", actor=user)  # pending ORM events are chained first
    _import(dry_run, user, org.d1, {"cases": [
        case_row(f"HS-{n}", full_name=f"Người Thứ {n}", national_id=None, phone=f"09{n:08d}")
        for n in range(1, 31)]})
    audit.record("after.import", actor=user)
    db.session.commit()
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[actions.index("before.import") + 1] == "case.created"
    assert actions.count("case.created") == 30
    assert actions[-1] == "after.import"
    result = audit.verify(db.session)
    assert result.ok, result
    assert result.count == len(actions)


def test_paper_uptakes_count_but_claim_no_partner_confirmation(dry_run, app, org, provider,
                                                              make_user):
    user = make_user("caseworker", unit=org.d1)
    _import(dry_run, user, org.d1, {
        "cases": [case_row()], "needs": [need_row()],
        "referrals": [referral_row(reason_code="certificate_obtained")],
        "consents": [{"case_ref": "HS-1", "purpose": "share",
                      "category": "vocational_training", "given_on": "15/03/2021"}],
    })
    referral = db.session.scalar(select(Referral))
    assert referral.uptake_on == date(2021, 4, 10)
    assert referral.uptake_confirmed_by_id is None
    assert referral.uptake_confirmed_at is None
    confirm = db.session.scalar(select(ReferralEvent).where(
        ReferralEvent.referral_id == referral.id, ReferralEvent.action == "confirm_uptake"))
    assert (confirm.actor_id, confirm.actor_role) == (user.id, "caseworker")
    assert json.loads(confirm.details)["uptake_source"] == "paper_import"
    assert db.session.scalar(select(Referral.id).where(imported_uptake())) == referral.id
    assert db.session.scalar(select(Referral.id).where(partner_confirmed())) is None
    # The uptake happened, so target 5 counts her as connected.
    period = indicators.parse_period("2021")
    figures = indicators.totals(org.province, period)
    assert (figures.eligible, figures.connected) == (1, 1)


def test_transfers_and_closure_of_a_case_imported_earlier(dry_run, app, org, provider,
                                                          make_user):
    user = make_user("caseworker", unit=org.d1)
    _import(dry_run, user, org.d1, {"cases": [case_row()]})
    case = db.session.scalar(select(Case))
    _import(dry_run, user, org.d1, {
        "transfers": [{"case_ref": "HS-1", "to_unit": "C2", "transferred_on": "01/05/2021"},
                      {"case_ref": "HS-1", "to_unit": "C1", "transferred_on": "01/07/2021"}],
        "closures": [{"case_ref": "HS-1", "closed_on": "31/12/2021", "reason": "reintegrated"}],
    })
    db.session.refresh(case)
    assert (case.org_unit_id, case.status, case.version) == (org.c1.id, "closed", 2)
    assert [(c.org_unit_id, c.from_date, c.to_date, c.reason) for c in db.session.scalars(
        select(CaseCustody).where(CaseCustody.case_id == case.id)
        .order_by(CaseCustody.from_date))] == [
        (org.c1.id, date(2021, 3, 15), date(2021, 5, 1), "intake"),
        (org.c2.id, date(2021, 5, 1), date(2021, 7, 1), "transfer"),
        (org.c1.id, date(2021, 7, 1), None, "transfer")]
    assert [(e.closed_on, e.close_reason) for e in db.session.scalars(
        select(CaseEpisode).where(CaseEpisode.case_id == case.id))] == [
        (date(2021, 12, 31), "reintegrated")]
    assert audit.verify(db.session).ok
