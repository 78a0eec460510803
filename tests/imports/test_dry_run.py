"""The dry run reports each kind of problem by sheet, row and column, and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.case import Case
from tests.imports.conftest import case_row, need_row, referral_row, workbook_bytes


def problems(report, locale="en"):
    """Problems by (sheet, row, column); English here, Vietnamese by default on screen."""
    with force_locale(locale):
        return {(p.sheet, p.row, p.column): str(p.message) for p in report.errors}


def test_messages_are_vietnamese_by_default(dry_run, provider):
    report = dry_run(workbook_bytes({"cases": [case_row(unit="NOPE")]}))
    assert str(report.errors[0].message) == ("Mã đơn vị không hợp lệ: dùng một mã trong trang "
                                             "“Mã hợp lệ”.")
    assert report.errors[0].sheet_title == "Hồ sơ"
    assert report.errors[0].column_header == "Mã đơn vị"


def test_the_templates_example_is_clean(app, org, provider, importer_of):
    from casework.services.imports import reader, template, validate

    data = template.build_template([("C1", "Xã"), ("C2", "Xã 2")], [("PRV1", "Đối tác")])
    report = validate.check(db.session, reader.read_uploads([reader.Upload("m.xlsx", data)]),
                            org.d1, importer_of(org.d1))
    assert report.clean, problems(report)
    assert report.counts["cases"].accepted == 1
    assert report.counts["transfers"].accepted == 1


@pytest.mark.parametrize(("row", "column", "fragment"), [
    (case_row(unit="NOPE"), "unit", "Unknown unit code"),
    (case_row(unit="C3"), "unit", "outside your scope"),
    (case_row(national_id="03619500012X"), "national_id", "only digits"),
    (case_row(national_id="0361950001"), "national_id", "12 digits"),
    (case_row(group="witch"), "group", "Unknown code"),
    (case_row(intake_date="31/02/2022"), "intake_date", "does not exist"),
    (case_row(intake_date=(date.today() + timedelta(days=400)).strftime("%d/%m/%Y")),
     "intake_date", "future"),
    (case_row(date_of_birth="20/05/2019"), "date_of_birth", "under 10"),
    (case_row(phone="1.23E+11"), "phone", "scientific notation"),
    (case_row(full_name=None), "full_name", "required"),
])
def test_case_row_problems(dry_run, provider, row, column, fragment):
    report = dry_run(workbook_bytes({"cases": [row]}))
    found = problems(report)
    assert ("cases", 2, column) in found, found
    assert fragment in found[("cases", 2, column)]
    assert report.counts["cases"].rejected == 1


def test_out_of_order_dates_and_missing_links(dry_run, provider):
    data = workbook_bytes({
        "cases": [case_row()],
        "needs": [need_row(identified_on="01/01/2021"),  # before intake 15/03/2021
                  need_row("NC-2", status="declined_by_her")],  # no end date
        "referrals": [referral_row(need_ref="NC-404"),
                      referral_row("GT-2", need_ref="NC-1"),
                      referral_row("GT-3", provider="NOBODY")],
        "consents": [{"case_ref": "HS-9", "purpose": "keep_record", "given_on": "15/03/2021"}],
        "closures": [{"case_ref": "HS-1", "closed_on": "01/01/2021", "reason": "reintegrated"}],
    })
    found = problems(dry_run(data))
    assert "before the intake date" in found[("needs", 2, "identified_on")]
    assert "date the need ended" in found[("needs", 3, "ended_on")]
    assert "need that does not exist" in found[("referrals", 2, "need_ref")]
    assert "has errors" in found[("referrals", 3, "need_ref")]
    assert "Unknown partner code" in found[("referrals", 4, "provider")]
    assert "No case with this reference" in found[("consents", 2, "case_ref")]
    assert "before the case was opened" in found[("closures", 2, "closed_on")]


def test_referral_dates_must_follow_each_other(dry_run, provider):
    data = workbook_bytes({"cases": [case_row()], "needs": [need_row()],
                           "referrals": [referral_row(uptake_on="26/03/2021")]})
    found = problems(dry_run(data))  # uptake before the partner answered (01/04)
    assert "out of order" in found[("referrals", 2, "uptake_on")]


def test_duplicate_of_an_existing_case_by_blind_index(dry_run, make_case, org, provider):
    mine = make_case(org.c1, national_id="036195000123", phone="0987654321")
    make_case(org.c3, full_name="Lê Thị Khác", national_id="036195000999", phone="0911111111")
    data = workbook_bytes({"cases": [case_row(), case_row(
        "HS-2", full_name="Phạm Thị Hai", national_id="036195000999", phone="0922222222")]})
    report = dry_run(data)
    found = problems(report)
    assert "existing case (C1-" in found[("cases", 2, "national_id")]
    # The other unit's case is not looked for in a dry run (test_oracle.py): to the importer,
    # row 3 is a woman not on file.
    assert not [key for key in found if key[:2] == ("cases", 3)]
    assert (report.counts["cases"].rejected, report.counts["cases"].accepted) == (1, 1)
    assert report.matched_cases == {mine.id: False}


def test_a_phone_match_inside_the_scope_only_warns(dry_run, make_case, org, provider):
    make_case(org.c2, full_name="Lê Thị Khác", national_id=None, phone="0911111111")
    report = dry_run(workbook_bytes({"cases": [case_row(phone="0911111111")]}))
    assert report.clean
    assert "phone number" in _warnings(report)[("cases", 2, "phone")]
    assert report.counts["cases"].accepted == 1


def test_duplicates_inside_the_workbook(dry_run, provider):
    data = workbook_bytes({"cases": [case_row(), case_row("HS-2", full_name="Võ Thị Hai",
                                                          phone="0933333333")]})
    found = problems(dry_run(data))
    assert "same woman" in found[("cases", 3, "national_id")]


def test_missing_columns_and_unknown_headers(dry_run, provider):
    data = workbook_bytes({"cases": [case_row()]},
                          headers={"cases": ["case_ref", "unit", "group", "full_name", "Ghi chú"]})
    report = dry_run(data)
    with force_locale("en"):
        messages = [str(p.message) for p in report.problems]
    assert any("Ngày tiếp nhận" in m and "missing" in m for m in messages)
    assert any("Ghi chú" in m and "ignored" in m for m in messages)
    assert not report.clean


def test_a_dry_run_writes_nothing(dry_run, provider):
    before = db.session.scalar(select(func.count()).select_from(Case))
    report = dry_run(workbook_bytes({"cases": [case_row()], "needs": [need_row()],
                                     "referrals": [referral_row()]}))
    assert report.clean
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == before


def _warnings(report):
    with force_locale("en"):
        return {(p.sheet, p.row, p.column): str(p.message) for p in report.warnings}


def test_a_referral_without_a_valid_share_consent_is_warned_not_blocked(
        dry_run, app, org, provider, make_user):
    from casework.services.imports import apply as importer

    consent = {"case_ref": "HS-1", "purpose": "share", "category": "vocational_training",
               "given_on": "15/03/2021"}
    sheets = {"cases": [case_row()], "needs": [need_row()], "referrals": [referral_row()]}
    report = dry_run(workbook_bytes(sheets))
    assert report.clean
    assert "No consent to share" in _warnings(report)[("referrals", 2, "referred_on")]
    # A consent for another service, or given after the referral, does not cover it.
    for other in ({**consent, "category": "loans"}, {**consent, "given_on": "26/03/2021"},
                  {**consent, "withdrawn_on": "20/03/2021"}):
        report = dry_run(workbook_bytes({**sheets, "consents": [other]}))
        assert ("referrals", 2, "referred_on") in _warnings(report)
    report = dry_run(workbook_bytes({**sheets, "consents": [consent]}))
    assert ("referrals", 2, "referred_on") not in _warnings(report)
    # A consent imported earlier covers a referral added to that case later.
    user = make_user("caseworker", unit=org.d1)
    importer.apply(dry_run(workbook_bytes({"cases": [case_row()], "needs": [need_row()],
                                           "consents": [consent]})),
                   actor=user, scope_unit=org.d1, file_mac="c" * 64, mode="all",
                   source="cli")
    db.session.commit()
    report = dry_run(workbook_bytes({"referrals": [referral_row()]}))
    assert report.clean
    assert report.accepted_rows == 1
    assert not _warnings(report)
