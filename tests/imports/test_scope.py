"""Issue 18, scope and counting: a row reaches an existing case only through the policy's
scoped query against its CURRENT holder, and every row is written and counted or reported."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from casework.authz import case_in_scope
from casework.extensions import db
from casework.models.case import Case, CaseCustody, CaseEpisode
from casework.models.consent import Consent
from casework.models.imports import ImportBatch
from casework.models.need import Need
from casework.models.referral import Referral
from casework.services.errors import DomainError
from casework.services.imports import apply as importer
from tests.imports.conftest import case_row, need_row, referral_row, workbook_bytes


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def problems(report):
    with force_locale("en"):
        return sorted((p.sheet, p.row, p.column or "", str(p.message)) for p in report.errors)


def write(report, user, unit, mode="all"):
    batch = importer.apply(report, actor=user, scope_unit=unit, file_mac="e" * 64, mode=mode,
                           source="cli")
    db.session.commit()
    return batch


def accounted(report):
    """Every row of every sheet is ready, rejected or imported earlier, exactly once."""
    return {key: (c.total, c.accepted + c.rejected + c.existing)
            for key, c in report.counts.items() if c.total != c.accepted + c.rejected + c.existing}


@pytest.fixture
def moved_away(dry_run, importer_of, org, provider):
    """Commune C1's officer imported TX-1 with a need and a transfer to C3 (district D2)."""
    officer = importer_of(org.c1)
    report = dry_run(workbook_bytes({
        "cases": [case_row("TX-1")], "needs": [need_row("NC-1", "TX-1")],
        "transfers": [{"case_ref": "TX-1", "to_unit": "C3", "transferred_on": "01/05/2021"}]}),
        org.c1)
    assert report.clean, problems(report)
    write(report, officer, org.c1)
    case = db.session.scalar(select(Case).where(Case.external_ref == "imp:C1:hs:TX-1"))
    assert case.org_unit_id == org.c3.id
    assert not case_in_scope(officer, case)  # the case pages answer 404
    return officer, case


# --- Finding 1: scope through earlier imports ---------------------------------------------------

SECOND_FILES = {
    "transfer back": {"transfers": [{"case_ref": "{ref}", "to_unit": "C1",
                                     "transferred_on": "01/06/2021"}]},
    "need": {"needs": [need_row("NC-2", "{ref}")]},
    "consent": {"consents": [{"case_ref": "{ref}", "purpose": "keep_record",
                              "given_on": "15/03/2021"}]},
    "closure": {"closures": [{"case_ref": "{ref}", "closed_on": "01/12/2021",
                              "reason": "reintegrated"}]},
    "referral": {"referrals": [referral_row("GT-1", "{need}")]},
}


def _fill(sheets, ref, need):
    return {key: [{k: str(v).format(ref=ref, need=need) for k, v in row.items()} for row in rows]
            for key, rows in sheets.items()}


@pytest.mark.parametrize("kind", list(SECOND_FILES))
def test_a_case_held_by_another_unit_is_answered_like_no_case(dry_run, moved_away, org, kind):
    officer, case = moved_away
    sheets = SECOND_FILES[kind]
    theirs = dry_run(workbook_bytes(_fill(sheets, "TX-1", "NC-1")), org.c1)
    nobody = dry_run(workbook_bytes(_fill(sheets, "TX-404", "NC-404")), org.c1)
    assert problems(theirs) == problems(nobody)
    assert problems(theirs), "the row must be refused"
    assert theirs.accepted_rows == 0
    assert not accounted(theirs)
    before = [count(m) for m in (Need, Consent, Referral, CaseCustody)]
    with pytest.raises(DomainError):
        write(theirs, officer, org.c1, mode="clean_only")
    db.session.rollback()
    assert [count(m) for m in (Need, Consent, Referral, CaseCustody)] == before
    db.session.refresh(case)
    assert (case.org_unit_id, case.status) == (org.c3.id, "open")


def test_the_transfer_back_through_the_pages_leaves_the_case_where_it_is(
        client, login, moved_away, org):
    officer, case = moved_away
    login(client, officer)
    assert client.get(f"/cases/{case.id}").status_code == 404
    data = workbook_bytes({"transfers": [{"case_ref": "TX-1", "to_unit": "C1",
                                          "transferred_on": "01/06/2021"}]})
    page = client.submit("/imports/check", {"files": (io.BytesIO(data), "x.xlsx")},
                         page="/imports/", content_type="multipart/form-data")
    assert "Không có hồ sơ mang mã này" in page.get_data(as_text=True)
    client.submit("/imports/apply", {"mode": "clean_only"}, page="/imports/")
    db.session.refresh(case)
    assert case.org_unit_id == org.c3.id
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_a_case_row_of_a_case_held_elsewhere_touches_nothing(dry_run, moved_away, org):
    _officer, _case = moved_away
    report = dry_run(workbook_bytes({"cases": [case_row("TX-1")],
                                     "needs": [need_row("NC-2", "TX-1")]}), org.c1)
    found = {(p[0], p[1], p[2]): p[3] for p in problems(report)}
    assert "can no longer change it" in found[("cases", 2, "case_ref")]
    assert "has errors" in found[("needs", 2, "case_ref")]
    assert report.accepted_rows == 0
    assert not accounted(report)


def test_the_closure_of_another_units_case_is_not_recorded(dry_run, moved_away, org):
    _officer, case = moved_away
    report = dry_run(workbook_bytes(_fill(SECOND_FILES["closure"], "TX-1", "")), org.c1)
    assert report.counts["closures"].rejected == 1
    assert db.session.scalar(select(CaseEpisode.closed_by_id).where(
        CaseEpisode.case_id == case.id)) is None


def test_rows_follow_a_case_into_the_unit_that_holds_it_now(dry_run, importer_of, org,
                                                            provider):
    """The current holder decides, both ways: D2 imported TX-2 and moved it to C1."""
    report = dry_run(workbook_bytes({
        "cases": [case_row("TX-2", unit="C3")], "needs": [need_row("NC-1", "TX-2")],
        "transfers": [{"case_ref": "TX-2", "to_unit": "C1", "transferred_on": "01/05/2021"}]}),
        org.d2)
    write(report, importer_of(org.d2), org.d2)
    # D2 can no longer change it; C1's officer can, by the same reference.
    again = dry_run(workbook_bytes({"needs": [need_row("NC-2", "TX-2")]}), org.d2)
    assert again.accepted_rows == 0
    mine = dry_run(workbook_bytes({"needs": [need_row("NC-2", "TX-2")],
                                   "referrals": [referral_row("GT-1", "NC-1")]}), org.c1)
    assert mine.clean, problems(mine)
    assert (mine.counts["needs"].accepted, mine.counts["referrals"].accepted) == (1, 1)
    batch = write(mine, importer_of(org.c1), org.c1)
    assert (batch.needs_created, batch.referrals_created) == (1, 1)


def test_a_merged_case_takes_no_imported_rows(dry_run, importer_of, make_case, org, provider):
    report = dry_run(workbook_bytes({"cases": [case_row()]}), org.d1)
    write(report, importer_of(org.d1), org.d1)
    case = db.session.scalar(select(Case).where(Case.external_ref == "imp:C1:hs:HS-1"))
    case.merged_into_id = make_case(org.c1, national_id=None, phone=None).id
    db.session.commit()
    report = dry_run(workbook_bytes({"needs": [need_row("NC-2")]}), org.d1)
    assert report.accepted_rows == 0
    assert "No case with this reference" in problems(report)[0][3]


# --- Finding 7: no row dropped in silence ---------------------------------------------------------

@pytest.fixture
def imported_earlier(dry_run, importer_of, org, provider):
    officer = importer_of(org.d1)
    write(dry_run(workbook_bytes({"cases": [case_row()], "needs": [need_row()]}), org.d1),
          officer, org.d1)
    return officer


def test_a_needs_only_file_for_an_earlier_case_is_counted_and_written(
        dry_run, imported_earlier, org):
    report = dry_run(workbook_bytes({"needs": [need_row("NC-2", category="jobs")]}), org.d1)
    assert report.clean, problems(report)
    assert report.counts["needs"].accepted == 1
    assert report.accepted_rows == 1
    batch = write(report, imported_earlier, org.d1)
    assert batch.needs_created == 1
    assert batch.rows_accepted == 1
    assert count(Need) == 2


def test_a_need_in_a_mixed_file_is_counted_as_written(dry_run, imported_earlier, org):
    report = dry_run(workbook_bytes({
        "needs": [need_row("NC-2", category="jobs"), need_row()],  # NC-1 imported earlier
        "consents": [{"case_ref": "HS-1", "purpose": "keep_record", "given_on": "15/03/2021"}],
    }), org.d1)
    assert report.clean, problems(report)
    counts = {k: (c.accepted, c.existing) for k, c in report.counts.items() if c.total}
    assert counts == {"needs": (1, 1), "consents": (1, 0)}
    batch = write(report, imported_earlier, org.d1)
    assert (batch.needs_created, batch.consents_created, batch.rows_existing) == (1, 1, 1)
    assert count(Need) == 2


def test_every_row_is_counted_once_in_a_messy_file(dry_run, imported_earlier, org):
    report = dry_run(workbook_bytes({
        "cases": [case_row(), case_row("HS-2", full_name="Đỗ Thị Hai", national_id=None,
                                       phone="0977777777"), case_row("HS-3", unit="C3")],
        "needs": [need_row("NC-2", "HS-1"), need_row("NC-3", "HS-2"), need_row("NC-4", "HS-3"),
                  need_row("NC-5", "HS-9")],
        "referrals": [referral_row("GT-1", "NC-1"), referral_row("GT-2", "NC-3"),
                      referral_row("GT-3", "NC-4")],
        "consents": [{"case_ref": "HS-1", "purpose": "keep_record", "given_on": "15/03/2021"}],
        "closures": [{"case_ref": "HS-2", "closed_on": "01/12/2021", "reason": "moved_away"}],
    }), org.d1)
    assert not accounted(report)
    batch = write(report, imported_earlier, org.d1, mode="clean_only")
    assert (batch.cases_created, batch.needs_created, batch.referrals_created,
            batch.consents_created, batch.closures_created) == tuple(
        report.counts[k].accepted for k in ("cases", "needs", "referrals", "consents",
                                            "closures"))
    assert batch.rows_accepted == report.accepted_rows
    assert batch.rows_rejected == sum(len(r) for r in report.rejected_rows.values())


def test_a_row_counted_but_not_written_rolls_the_import_back(dry_run, imported_earlier, org):
    report = dry_run(workbook_bytes({"needs": [need_row("NC-2", category="jobs")]}), org.d1)
    report.counts["consents"].accepted += 1  # a count with no row behind it
    before = count(Need)
    with pytest.raises(importer.RowsNotWritten):
        write(report, imported_earlier, org.d1)
    db.session.rollback()
    assert count(Need) == before
    assert count(ImportBatch) == 1  # the first import only


def test_a_referral_attaches_to_its_needs_case_not_a_namesake(dry_run, importer_of, org,
                                                               provider):
    """HS-1 of commune C2 has need NC-1; a new file brings another HS-1, of commune C1."""
    officer = importer_of(org.d1)
    write(dry_run(workbook_bytes({"cases": [case_row(unit="C2")], "needs": [need_row()]}),
                  org.d1), officer, org.d1)
    report = dry_run(workbook_bytes({
        "cases": [case_row(full_name="Đỗ Thị Hai", national_id=None, phone="0977777777")],
        "referrals": [referral_row("GT-1", "NC-1")]}), org.d1)
    assert report.clean, problems(report)
    write(report, officer, org.d1)
    need = db.session.scalar(select(Need).where(Need.external_ref == "imp:C2:nc:NC-1"))
    referral = db.session.scalar(select(Referral))
    assert referral.case_id == need.case_id


def test_a_need_reference_used_for_another_case_is_reported_not_counted_as_earlier(
        dry_run, imported_earlier, org):
    """NC-1 is HS-1's need (imported earlier); a new case of the same unit cannot reuse it."""
    report = dry_run(workbook_bytes({
        "cases": [case_row("HS-5", full_name="Đỗ Thị Năm", national_id=None,
                           phone="0977777777")],
        "needs": [need_row("NC-1", "HS-5")],
        "referrals": [referral_row("GT-1", "NC-1")]}), org.d1)
    found = {(p[0], p[1], p[2]): p[3] for p in problems(report)}
    assert "reference of its own" in found[("needs", 2, "")]
    assert "has errors" in found[("referrals", 2, "need_ref")]
    assert {k: (c.accepted, c.rejected, c.existing) for k, c in report.counts.items()
            if c.total} == {"cases": (1, 0, 0), "needs": (0, 1, 0), "referrals": (0, 1, 0)}
    assert not accounted(report)
    batch = write(report, imported_earlier, org.d1, mode="clean_only")
    assert (batch.cases_created, batch.needs_created, batch.rows_rejected) == (1, 0, 2)


def test_a_need_moved_to_a_case_entered_by_hand_still_takes_referrals(
        dry_run, imported_earlier, make_case, org):
    """A merge moves imported needs to a case that was never imported."""
    survivor = make_case(org.c1, national_id=None, phone=None)
    need = db.session.scalar(select(Need).where(Need.external_ref == "imp:C1:nc:NC-1"))
    need.case_id = survivor.id
    db.session.commit()
    report = dry_run(workbook_bytes({"referrals": [referral_row("GT-1", "NC-1")]}), org.d1)
    assert report.clean, problems(report)
    write(report, imported_earlier, org.d1)
    assert db.session.scalar(select(Referral.case_id)) == survivor.id
