"""Issue 18, finding 5: the dry run tells nobody whether a woman is on file outside their scope.

Same answer and same lookups for "on file elsewhere" and "not on file"; the matches outside
the scope reach a supervisor who holds the matched case after the import, never the uploader;
identity checks are capped per user and day.
"""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case
from casework.models.imports import ImportIdentityCheck, ImportMatchReview
from casework.services.imports import apply as importer
from tests.imports.conftest import case_row, need_row, referral_row, workbook_bytes

CHECK_PAGE = "/imports/"


@contextmanager
def statements():
    """The SQL statements (text, without values) sent to the database inside the block."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def answer(report):
    """Everything the uploader is told: problems (any severity) and counts."""
    with force_locale("en"):
        told = sorted((p.sheet, p.row, p.column or "", str(p.message), p.severity)
                      for p in report.problems)
    return told, {k: (c.total, c.accepted, c.rejected, c.existing)
                  for k, c in report.counts.items()}


def upload(client, data, name="nhap.xlsx"):
    return client.submit("/imports/check", {"files": (io.BytesIO(data), name)},
                         page=CHECK_PAGE, content_type="multipart/form-data")


def events(action):
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.seq)))


def theirs(make_case, org):
    """A woman followed by commune C3 (district D2), outside a D1 caseworker's scope."""
    return make_case(org.c3, full_name="Lê Thị Khác", date_of_birth=date(1990, 2, 1),
                     national_id="036195000999", phone="0911111111")


@pytest.mark.parametrize("same", [
    {"national_id": "036195000999"},
    {"phone": "0911111111"},
    {"full_name": "Lê Thị Khác", "date_of_birth": "01/02/1990"},
])
def test_a_woman_on_file_only_elsewhere_is_answered_like_one_not_on_file(
        dry_run, make_case, org, provider, same):
    theirs(make_case, org)
    nobody = {"full_name": "Phạm Thị Hai", "national_id": "036195000456",
              "phone": "0922222222", "date_of_birth": "03/04/1991"}
    not_hers = workbook_bytes({"cases": [case_row(**nobody)]})
    hers = workbook_bytes({"cases": [case_row(**{**nobody, **same})]})
    dry_run(not_hers)  # the importer's account exists, the day's count started
    with statements() as absent:
        not_on_file = dry_run(not_hers)
    with statements() as present:
        elsewhere = dry_run(hers)
    assert answer(elsewhere) == answer(not_on_file)
    assert answer(elsewhere) == ([], {"cases": (1, 1, 0, 0), **{
        k: (0, 0, 0, 0) for k in ("needs", "referrals", "consents", "transfers", "closures")}})
    assert present == absent  # the same lookups whether she is on file elsewhere or not
    assert elsewhere.matched_cases == {}


def test_a_referral_for_another_units_need_is_answered_like_a_missing_need(
        dry_run, importer_of, org, provider):
    other = dry_run(workbook_bytes({"cases": [case_row("HS-9", unit="C3")],
                                    "needs": [need_row("NC-9", "HS-9")]}), org.d2)
    importer.apply(other, actor=importer_of(org.d2), scope_unit=org.d2, file_mac="f" * 64,
                   mode="all", source="cli")
    db.session.commit()
    missing = workbook_bytes({"referrals": [referral_row("GT-1", "NC-404")]})
    elsewhere = workbook_bytes({"referrals": [referral_row("GT-1", "NC-9")]})
    dry_run(missing)
    with statements() as absent:
        not_there = dry_run(missing)
    with statements() as present:
        there = dry_run(elsewhere)
    assert answer(there) == answer(not_there)
    assert answer(there)[1]["referrals"] == (1, 0, 1, 0)
    assert present == absent


def test_an_outside_match_is_imported_and_queued_for_the_supervisor_who_holds_her(
        app, client, make_user, login, make_case, org, provider):
    her = theirs(make_case, org)
    officer = make_user("caseworker", unit=org.d1)
    login(client, officer)
    page = upload(client, workbook_bytes({"cases": [case_row(national_id="036195000999")]}))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Không có lỗi" in text
    assert her.case_number not in text
    done = client.submit("/imports/apply", {"mode": "all"}, page=CHECK_PAGE)
    assert done.status_code == 302
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "xem xét" not in result
    assert her.case_number not in result
    new = db.session.scalar(select(Case).where(Case.external_ref == "imp:C1:hs:HS-1"))
    queued = db.session.scalars(select(ImportMatchReview)).all()
    assert [(r.case_id, r.matched_case_id, r.kinds) for r in queued] == [
        (new.id, her.id, "national_id")]
    # The queueing is the system's: the importing unit's access log does not show it.
    assert [(e.actor_user_id, e.actor_role, e.target_id) for e in events(
        "import.match_queued")] == [(None, "system", str(her.id))]
    assert not [e for e in events("import.case_matched") if e.target_id == str(her.id)]
    assert all('"matched_outside_scope"' not in (e.details or "")
               for e in events("import.checked"))
    # Only a supervisor whose scope holds her case sees the match.
    assert client.get("/imports/reviews").status_code == 404  # the uploader
    review_path = f"/imports/reviews/{queued[0].id}"
    verdict = {f"r{queued[0].id}-outcome": "different_women"}
    for unit, sees in ((org.d1, False), (org.province, True), (org.d2, True)):
        supervisor = app.test_client()  # the last one, of D2, records the verdict
        login(supervisor, make_user("supervisor", unit=unit))
        listing = supervisor.get("/imports/reviews")
        assert listing.status_code == 200
        assert listing.headers["Cache-Control"] == "no-store"
        assert (her.case_number in listing.get_data(as_text=True)) is sees, unit.code
        if not sees:
            assert supervisor.submit(review_path, verdict, page="/imports/reviews"
                                     ).status_code == 404
    assert supervisor.submit(review_path, verdict, page="/imports/reviews").status_code == 302
    db.session.expire_all()
    reviewed = db.session.get(ImportMatchReview, queued[0].id)
    assert reviewed.outcome == "different_women"
    verdicts = events("import.match_reviewed")
    assert len(verdicts) == 1
    assert json.loads(verdicts[0].details)["outcome"] == "different_women"
    # Submitted again (back and resubmit, or a second tab): the first verdict stands.
    other = {f"r{queued[0].id}-outcome": "same_woman"}
    again = supervisor.submit(review_path, other, page="/imports/reviews",
                              follow_redirects=True)
    assert "đã được xem xét" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ImportMatchReview, queued[0].id).outcome == "different_women"
    assert len(events("import.match_reviewed")) == 1
    viewers = {e.actor_role for e in events("import.match_reviews_viewed")}
    assert viewers == {"supervisor"}  # every listing is audited (with its count of matches)


def test_the_review_page_is_vietnamese_and_names_no_personal_data(
        app, client, make_user, login, make_case, org, provider, dry_run, importer_of):
    her = theirs(make_case, org)
    report = dry_run(workbook_bytes({"cases": [case_row(phone="0911111111")]}))
    importer.apply(report, actor=importer_of(org.d1), scope_unit=org.d1, file_mac="9" * 64,
                   mode="all", source="web")
    db.session.commit()
    login(client, make_user("supervisor", unit=org.d2))
    page = client.get("/imports/reviews").get_data(as_text=True)
    assert "Hồ sơ nhập cần xem xét" in page
    assert "số điện thoại" in page
    assert "Huyện Một" in page  # the importing unit, to talk to
    assert her.case_number in page
    for personal in ("Lê Thị Khác", "0911111111", "Trần Thị Thử", "036195000999"):
        assert personal not in page


# --- The daily cap on identity checks --------------------------------------------------------

def test_identity_checks_are_capped_per_user_and_day(app, make_app, client, make_user, login,
                                                     org, provider):
    assert make_app(import_identity_checks_per_day="7").config[
        "CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY"] == 7
    assert app.config["CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY"] == 5000  # the default
    app.config["CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY"] = 8
    officer = make_user("caseworker", unit=org.d1)
    login(client, officer)
    one = workbook_bytes({"cases": [case_row()]})  # CCCD, phone, name + year: 3 checks
    two = workbook_bytes({"cases": [case_row(), case_row(
        "HS-2", full_name="Đỗ Thị Hai", national_id="036195000456", phone="0977777777")]})
    assert upload(client, one).status_code == 200
    refused = upload(client, two)  # 3 + 6 > 8: refused whole, nothing counted
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Tệp này cần kiểm tra 6 thông tin nhận dạng" in page
    assert "chỉ còn 5 trong tổng số 8 lượt" in page
    assert upload(client, one).status_code == 200  # 6 of 8
    assert upload(client, one).status_code == 400
    assert db.session.scalar(select(ImportIdentityCheck.checked).where(
        ImportIdentityCheck.user_id == officer.id)) == 6
    assert '"reason": "identity_checks"' in events("import.refused")[-1].details
    # Importing the file already checked counts nothing more.
    upload_ok = make_user("caseworker", unit=org.d1)
    colleague = app.test_client()
    login(colleague, upload_ok)
    assert upload(colleague, two).status_code == 200  # her own allowance
    assert colleague.submit("/imports/apply", {"mode": "all"}, page=CHECK_PAGE).status_code \
        == 302
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    assert db.session.scalar(select(ImportIdentityCheck.checked).where(
        ImportIdentityCheck.user_id == upload_ok.id)) == 6


def test_the_command_line_counts_the_named_accounts_checks(app, org, provider, make_user,
                                                           tmp_path):
    app.config["CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY"] = 4
    user = make_user("caseworker", unit=org.d1)
    path = tmp_path / "nhap.xlsx"
    path.write_bytes(workbook_bytes({"cases": [case_row()]}))
    runner = app.test_cli_runner()
    args = ["import-records", str(path), "--unit", "D1", "--as-user", user.username,
            "--dry-run"]
    assert runner.invoke(args=args).exit_code == 0
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0
    assert "chỉ còn 1 trong tổng số 4 lượt" in refused.output
