"""After the security review: the dry run is no oracle of who is on file, admins never reach
the import pages, the file is identified by a keyed MAC, and odd ids give 404."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import select

from casework.crypto import blind_index, mac
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case
from casework.models.imports import ImportBatch
from tests.imports.conftest import case_row, workbook_bytes

CHECK_PAGE = "/imports/"


def upload(client, data, name="nhap.xlsx"):
    return client.submit("/imports/check", {"files": (io.BytesIO(data), name)},
                         page=CHECK_PAGE, content_type="multipart/form-data")


def events(action):
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.seq)))


# --- 1. The dry run is no existence oracle (more in test_oracle.py) ------------------------------

def test_an_inside_match_is_named_and_audited_by_case_id(
        client, make_user, login, make_case, org, provider):
    theirs = make_case(org.c3, full_name="Lê Thị Khác", national_id="036195000999",
                       phone="0911111111")
    mine = make_case(org.c1, national_id="036195000123", phone="0987654321")
    login(client, make_user("caseworker", unit=org.d1))
    response = upload(client, workbook_bytes({"cases": [
        case_row(), case_row("HS-2", full_name="Phạm Thị Hai", national_id="036195000999",
                             phone="0922222222")]}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert mine.case_number in page  # inside the scope: she may open it anyway
    assert theirs.case_number not in page
    assert "C3" not in page
    checked = events("import.checked")[-1]
    assert '"matched_cases": 1' in checked.details
    matched = {e.target_id: e.details for e in events("import.case_matched")}
    assert set(matched) == {str(mine.id)}
    assert '"outside_scope": false' in matched[str(mine.id)]
    assert all(e.request_id == checked.request_id for e in events("import.case_matched"))
    for details in [checked.details, *matched.values()]:
        assert "Khác" not in details
        assert "036195000999" not in details


def test_checks_are_rate_limited_per_user(app, make_app, client, make_user, login, org,
                                          provider):
    assert make_app(import_check_rate_limit="3 per hour").config[
        "CASEWORK_IMPORT_CHECK_RATE_LIMIT"] == "3 per hour"
    assert app.config["CASEWORK_IMPORT_CHECK_RATE_LIMIT"] == "10 per hour"  # the default
    app.config["CASEWORK_IMPORT_CHECK_RATE_LIMIT"] = "2 per hour"
    login(client, make_user("caseworker", unit=org.d1))
    data = workbook_bytes({"cases": [case_row()]})
    assert [upload(client, data).status_code for _ in range(2)] == [200, 200]
    limited = upload(client, data)
    assert limited.status_code == 429
    page = limited.get_data(as_text=True)
    assert "Kiểm tra quá nhiều lần" in page
    assert "số lần kiểm tra mỗi giờ có giới hạn" in page
    assert limited.headers["Cache-Control"] == "no-store"
    assert len(events("import.checked")) == 2
    assert events("import.rate_limited")[-1].outcome == "denied"
    # The limit is the user's own: a colleague can still check her file.
    colleague = app.test_client()
    login(colleague, make_user("caseworker", unit=org.d1))
    assert upload(colleague, data).status_code == 200


# --- 2. Admins never reach the import pages ------------------------------------------------------

def test_an_admin_gets_404_on_every_import_route(app, client, make_user, login, org):
    other = make_user("caseworker", unit=org.d1)
    batch = ImportBatch(user_id=other.id, org_unit_id=org.d1.id, source="web", mode="all",
                        status="completed", file_mac="3" * 64)
    db.session.add(batch)
    db.session.commit()
    login(client, make_user("admin", unit=org.province))
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("imports.")]
    assert len(routes) >= 7
    for rule in routes:
        path = rule.build({"batch_id": batch.id, "review_id": 1})[1]
        if "GET" in rule.methods:
            assert client.get(path).status_code == 404, path
        if "POST" in rule.methods:
            response = client.submit(path, {"mode": "all"}, page="/account")
            assert response.status_code == 404, path
    assert not events("import.checked")


def test_the_rejected_rows_are_only_for_the_uploader(app, client, make_user, login, org,
                                                      provider):
    login(client, make_user("caseworker", unit=org.d1))
    upload(client, workbook_bytes({"cases": [case_row(), case_row("HS-2", unit="C3")]}))
    done = client.submit("/imports/apply", {"mode": "clean_only"}, page=CHECK_PAGE)
    batch_path = done.headers["Location"]
    # A colleague of the same unit sees the batch, but not the rejected rows.
    colleague = app.test_client()
    login(colleague, make_user("supervisor", unit=org.d1))
    assert 'id="download-rejected"' not in colleague.get(batch_path).get_data(as_text=True)
    assert colleague.get("/imports/rejected.xlsx").status_code == 302
    admin = app.test_client()
    login(admin, make_user("admin", unit=org.province))
    assert admin.get("/imports/rejected.xlsx").status_code == 404
    # The uploader still can, once.
    assert client.get("/imports/rejected.xlsx").status_code == 200
    assert client.get("/imports/rejected.xlsx").status_code == 302


def test_the_command_line_names_a_caseworker_or_supervisor_covering_the_unit(
        app, org, provider, make_user, tmp_path):
    path = tmp_path / "nhap.xlsx"
    path.write_bytes(workbook_bytes({"cases": [case_row()]}))
    runner = app.test_cli_runner()

    def run(username, unit="D1"):
        return runner.invoke(args=["import-records", str(path), "--unit", unit, "--as-user",
                                   username, "--dry-run"])

    admin = make_user("admin", unit=org.province)
    refused = run(admin.username)
    assert refused.exit_code != 0
    assert "caseworker or supervisor" in refused.output
    assert run(make_user("caseworker", unit=org.d2).username).exit_code != 0  # not her unit
    assert run(make_user("caseworker", unit=org.d1).username).exit_code == 0
    assert run(make_user("supervisor", unit=org.province).username).exit_code == 0
    checked = events("import.checked")
    assert len(checked) == 2
    assert all('"source": "cli"' in e.details for e in checked)


# --- 3. The batch lookup of the blind index ---------------------------------------------------

def test_find_many_returns_true_matches_by_the_callers_keys(app, org, make_case, make_user):
    from casework.services.erasure import erase_subject

    lan = make_case(org.c1, full_name="Nguyễn Thị Lan", phone="0912345678")
    also = make_case(org.c3, full_name="Trần Thị Hoa", phone="0912 345 678")
    erased = make_case(org.c1, full_name="Phạm Thị Xoá", phone="0977000111")
    erase_subject(erased.subject_id, actor=make_user("supervisor", unit=org.province),
                  reason="test")
    db.session.commit()
    found = blind_index.find_many(db.session, Case, "phone", {
        "a": {"phone": "+84 912 345 678"}, "b": {"phone": "0900000000"},
        "c": {"phone": "12"}, "d": {"phone": "0977000111"}})
    assert {k: sorted(r.id for r in rows) for k, rows in found.items()} == {
        "a": sorted([lan.id, also.id])}
    within = select(Case).where(Case.org_unit_id == org.c1.id)
    scoped = blind_index.find_many(db.session, Case, "phone", {1: {"phone": "0912345678"}},
                                   within=within)
    assert [r.id for r in scoped[1]] == [lan.id]
    by_name = blind_index.find_many(db.session, Case, "name_birth_year", {
        "x": {"full_name": "nguyen thi lan", "date_of_birth": date(1995, 1, 1)}})
    assert [r.id for r in by_name["x"]] == [lan.id]


# --- 5. One "today": Vietnam's -------------------------------------------------------------------

def test_future_dates_are_judged_on_the_vietnam_calendar(dry_run, provider):
    # 20:00 UTC on 1 January is already 03:00 on 2 January in Nam Định.
    with time_machine.travel(datetime(2024, 1, 1, 20, 0, tzinfo=UTC), tick=False):
        ok = dry_run(workbook_bytes({"cases": [case_row(intake_date="02/01/2024")]}))
        future = dry_run(workbook_bytes({"cases": [case_row(intake_date="03/01/2024")]}))
    assert ok.clean
    with force_locale("en"):
        assert [(p.column, str(p.message)) for p in future.errors] == [
            ("intake_date", "The date cannot be in the future.")]


# --- 6. The file is identified by a keyed MAC -----------------------------------------------------

def test_the_batch_keeps_a_keyed_mac_of_the_file(client, make_user, login, org, provider):
    from casework.services.imports import auditing
    from casework.services.imports.reader import Upload

    data = workbook_bytes({"cases": [case_row()]})
    login(client, make_user("caseworker", unit=org.d1))
    upload(client, data)
    response = client.submit("/imports/apply", {"mode": "all"}, page=CHECK_PAGE)
    batch_id = int(re.search(r"/imports/batches/(\d+)", response.headers["Location"]).group(1))
    batch = db.session.get(ImportBatch, batch_id)
    expected = mac(len(data).to_bytes(8, "big") + data, "imports.file").hex()
    assert batch.file_mac == expected == auditing.file_mac([Upload("nhap.xlsx", data)])
    assert batch.file_mac != hashlib.sha256(data).hexdigest()
    assert not hasattr(batch, "file_sha256")


# --- 7. Large ids --------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_id", ["99999999999999999999", "2147483648", "0", "-1", "abc"])
def test_odd_batch_ids_are_not_found(client, make_user, login, org, batch_id):
    login(client, make_user("caseworker", unit=org.d1))
    assert client.get(f"/imports/batches/{batch_id}").status_code == 404
