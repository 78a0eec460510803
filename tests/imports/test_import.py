"""Importing: through the pages, atomically, once only, encrypted, audited, never leaking."""

from __future__ import annotations

import io
import logging
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from casework import audit
from casework.crypto.models import BlindIndexEntry, Subject
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case, CaseCustody, CaseEvent
from casework.models.consent import Consent
from casework.models.imports import ImportBatch
from casework.models.need import Need, NeedEvent
from casework.models.referral import Referral, ReferralEvent
from tests.imports.conftest import case_row, need_row, referral_row, workbook_bytes

CANARY_NAME = "Canary Thị Xyzzyq"
CANARY_ID = "036199887766"


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, data, name="nhap.xlsx"):
    return client.submit("/imports/check", {"files": (io.BytesIO(data), name)},
                         page="/imports/", content_type="multipart/form-data")


def full_workbook():
    return workbook_bytes({
        "cases": [case_row(full_name=CANARY_NAME, national_id=CANARY_ID),
                  case_row("HS-2", full_name="Đỗ Thị Hai", national_id="036195000456",
                           phone="0977777777")],
        "needs": [need_row(), need_row("NC-2", "HS-2", category="loans",
                                       status="no_longer_needed", ended_on="01/06/2021")],
        "referrals": [referral_row(reason_code="certificate_obtained"),
                      referral_row("GT-2", status="declined", uptake_on=None, ended_on=None,
                                   reason_code="no_capacity", referred_on="21/03/2021",
                                   answered_on="24/03/2021")],
        "consents": [{"case_ref": "HS-1", "purpose": "share", "category": "vocational_training",
                      "given_on": "15/03/2021"}],
        "transfers": [{"case_ref": "HS-2", "to_unit": "C2", "transferred_on": "01/05/2021"}],
        "closures": [{"case_ref": "HS-1", "closed_on": "31/12/2021", "reason": "reintegrated"}],
    })


def test_upload_report_import_result(client, make_user, login, org, provider, caplog):
    caplog.set_level(logging.DEBUG)
    user = make_user("caseworker", unit=org.d1)
    login(client, user)
    response = upload(client, full_workbook())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Không có lỗi" in page
    assert CANARY_NAME not in page
    # The import button's form posts exactly one mode (an empty duplicate was refused with 400).
    assert re.findall(r'name="mode"[^>]*>', page) == ['name="mode" value="all">']
    assert count(Case) == 0  # the dry run wrote nothing
    response = client.submit("/imports/apply", {"mode": "all"}, page="/imports/")
    assert response.status_code == 302
    batch_id = int(re.search(r"/imports/batches/(\d+)", response.headers["Location"]).group(1))
    assert "Kết quả nhập" in client.get(f"/imports/batches/{batch_id}").get_data(as_text=True)

    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.status, batch.cases_created, batch.needs_created, batch.referrals_created,
            batch.consents_created, batch.transfers_created, batch.closures_created) == (
        "completed", 2, 2, 2, 1, 1, 1)
    assert batch.user_id == user.id
    assert len(batch.file_mac) == 64  # keyed: see test_import_privacy.py
    first = db.session.scalar(select(Case).where(Case.external_ref == "imp:C1:hs:HS-1"))
    assert first.full_name == CANARY_NAME
    assert first.status == "closed"
    assert first.created_by_id == user.id
    second = db.session.scalar(select(Case).where(Case.external_ref == "imp:C1:hs:HS-2"))
    assert second.org_unit_id == org.c2.id
    assert [(c.org_unit_id, c.from_date.isoformat(), c.to_date and c.to_date.isoformat())
            for c in db.session.scalars(select(CaseCustody).where(
                CaseCustody.case_id == second.id).order_by(CaseCustody.from_date))] == [
        (org.c1.id, "2021-03-15", "2021-05-01"), (org.c2.id, "2021-05-01", None)]
    need = db.session.scalar(select(Need).where(Need.external_ref == "imp:C1:nc:NC-1"))
    assert need.status == "connected"
    assert [(e.from_status, e.to_status) for e in db.session.scalars(
        select(NeedEvent).where(NeedEvent.need_id == need.id).order_by(NeedEvent.id))] == [
        (None, "identified"), ("identified", "referred"), ("referred", "identified"),
        ("identified", "referred"), ("referred", "connected")]
    done = db.session.scalar(select(Referral).where(Referral.external_ref == "imp:C1:gt:GT-1"))
    assert (done.status, done.uptake_on.isoformat(), done.outcome_code) == (
        "completed", "2021-04-10", "certificate_obtained")
    assert [e.action for e in sorted(done.events, key=lambda e: e.effective_date)] == [
        "send", "accept", "confirm_uptake", "complete"]
    consent = db.session.scalar(select(Consent))
    assert consent.method == "paper_imported"
    assert consent.given_on.isoformat() == "2021-03-15"
    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.created"))
    assert sorted(e.target_id for e in created) == sorted([str(first.id), str(second.id)])
    # Nothing personal in the database in clear, in the audit trail, or in the logs.
    for table in ("cases", "audit_events", "case_events", "import_batches"):
        rows = db.session.execute(select(func.count()).select_from(
            db.metadata.tables[table]))  # the table exists
        assert rows.scalar() >= 0
    audit_text = " ".join(str(e.details) + str(e.fields) for e in db.session.scalars(
        select(AuditEvent)))
    events_text = " ".join(str(e.details) for e in db.session.scalars(select(CaseEvent)))
    for text in (audit_text, events_text, caplog.text):
        assert CANARY_NAME not in text
        assert CANARY_ID not in text
        assert "Xyzzyq" not in text


def test_reimporting_the_same_workbook_adds_nothing(client, make_user, login, org, provider):
    login(client, make_user("caseworker", unit=org.d1))
    upload(client, full_workbook())
    client.submit("/imports/apply", {"mode": "all"}, page="/imports/")
    totals = [count(m) for m in (Case, Need, Referral, Consent, CaseCustody, ReferralEvent)]
    page = upload(client, full_workbook()).get_data(as_text=True)
    assert "Nhập 0 dòng" not in page
    assert 'id="import-all"' not in page
    response = client.submit("/imports/apply", {"mode": "all"}, page="/imports/")
    assert response.status_code == 302
    assert [count(m) for m in (Case, Need, Referral, Consent, CaseCustody, ReferralEvent)] == \
        totals


def test_new_rows_attach_to_cases_imported_earlier(dry_run, app, org, provider, make_user):
    from casework.services.imports import apply as importer

    user = make_user("caseworker", unit=org.d1)
    report = dry_run(workbook_bytes({"cases": [case_row()], "needs": [need_row()]}))
    importer.apply(report, actor=user, scope_unit=org.d1, file_mac="0" * 64, mode="all",
                   source="cli")
    db.session.commit()
    report = dry_run(workbook_bytes({"needs": [need_row("NC-2", category="jobs")],
                                     "referrals": [referral_row(need_ref="NC-1")],
                                     "closures": [{"case_ref": "HS-1", "closed_on": "01/12/2021",
                                                   "reason": "moved_away"}]}))
    assert report.clean, [str(p.message) for p in report.errors]
    importer.apply(report, actor=user, scope_unit=org.d1, file_mac="1" * 64, mode="all",
                   source="cli")
    db.session.commit()
    assert count(Need) == 2
    assert count(Referral) == 1
    assert db.session.scalar(select(Case)).status == "closed"


def test_a_failure_in_the_middle_leaves_nothing(dry_run, app, org, provider, make_user,
                                                make_case):
    from casework.services.imports import apply as importer

    user = make_user("caseworker", unit=org.d1)
    cases = [case_row(f"HS-{n}", full_name=f"Người Thứ {n}", national_id=None,
                      phone=f"09{n:08d}") for n in range(1, 1201)]
    report = dry_run(workbook_bytes({"cases": cases}))
    assert report.clean
    # Between the dry run and the write, another import took row 1100's reference: the
    # first chunk of 1,000 cases is already inserted when the second one fails.
    make_case(org.c1, external_ref="imp:C1:hs:HS-1100", national_id=None, phone=None)
    before = [count(m) for m in (Case, CaseEvent, AuditEvent, Subject, BlindIndexEntry)]
    with pytest.raises(Exception):  # noqa: B017,PT011 - the database refuses the row
        importer.apply(report, actor=user, scope_unit=org.d1, file_mac="2" * 64,
                       mode="all", source="cli")
    db.session.rollback()
    importer.record_failure(actor=user, scope_unit=org.d1, file_mac="2" * 64, mode="all",
                            source="cli", report=report, error=RuntimeError())
    db.session.commit()
    assert [count(m) for m in (Case, CaseEvent, Subject, BlindIndexEntry)] == \
        before[:2] + before[3:]
    assert count(AuditEvent) == before[2] + 1  # only the failure itself
    assert audit.verify(db.session).ok
    assert db.session.scalar(select(ImportBatch.status)) == "failed"


def test_clean_rows_only_returns_the_rejected_rows(client, make_user, login, org, provider):
    login(client, make_user("caseworker", unit=org.d1))
    data = workbook_bytes({"cases": [case_row(), case_row("HS-2", unit="C3")],
                           "needs": [need_row(), need_row("NC-2", "HS-2")]})
    page = upload(client, data).get_data(as_text=True)
    assert 'id="import-all"' not in page
    assert 'id="import-clean-only"' in page
    refused = client.submit("/imports/apply", {"mode": "all"}, page="/imports/")
    assert refused.status_code == 302
    assert count(Case) == 0
    upload(client, data)
    response = client.submit("/imports/apply", {"mode": "clean_only"}, page="/imports/")
    assert response.status_code == 302
    assert count(Case) == 1
    assert count(Need) == 1
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="download-rejected"' in result
    workbook = client.get("/imports/rejected.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(workbook.data))
    cases = book["Hồ sơ"]
    assert cases.cell(2, 1).value == "HS-2"
    assert "phạm vi" in cases.cell(2, cases.max_column).value
    assert book["Nhu cầu"].cell(2, 1).value == "NC-2"
    assert client.get("/imports/rejected.xlsx").status_code == 302  # once only


def test_other_units_batches_are_not_found(client, make_user, login, org, provider):
    from casework.services.imports import apply as importer  # noqa: F401

    other = make_user("caseworker", unit=org.d2)
    batch = ImportBatch(user_id=other.id, org_unit_id=org.d2.id, source="web", mode="all",
                        status="completed", file_mac="3" * 64)
    db.session.add(batch)
    db.session.commit()
    login(client, make_user("caseworker", unit=org.d1))
    assert client.get(f"/imports/batches/{batch.id}").status_code == 404


def test_template_download(client, make_user, login, org, provider):
    login(client, make_user("supervisor", unit=org.d1))
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Hướng dẫn", "Hồ sơ", "Nhu cầu", "Giới thiệu dịch vụ",
                               "Sự đồng ý", "Chuyển hồ sơ", "Đóng hồ sơ", "Mã hợp lệ"]
    codes = {(r[0], r[1]) for r in book["Mã hợp lệ"].iter_rows(min_row=2, values_only=True)}
    assert ("Đơn vị Hội (mã đơn vị)", "C1") in codes
    assert ("Đơn vị Hội (mã đơn vị)", "C3") not in codes  # outside the scope
    assert ("Đối tác (mã đối tác)", "PRV1") in codes
    assert ("Nhóm người được hỗ trợ", "left_sex_work") in codes


def test_command_line_import(app, org, provider, make_user, tmp_path):
    user = make_user("supervisor", unit=org.province)
    path = tmp_path / "nhap.xlsx"
    path.write_bytes(full_workbook())
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-records", str(path), "--unit", "D1", "--as-user",
                              user.username, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "nothing was written" in dry.output
    assert count(Case) == 0
    assert CANARY_NAME not in dry.output
    done = runner.invoke(args=["import-records", str(path), "--unit", "D1", "--as-user",
                               user.username])
    assert done.exit_code == 0, done.output
    assert count(Case) == 2
    assert "2 cases" in done.output
    refused = runner.invoke(args=["import-records", str(path), "--unit", "D1", "--as-user",
                                  "nobody"])
    assert refused.exit_code != 0
    assert count(Case) == 2
