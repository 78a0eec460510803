"""Episodes and custody stay exactly right through intake, transfer, close, reopen and merge;
correction is optimistically locked; her data can be exported and erased."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case
from casework.services import case_lifecycle, cases, needs, subject_rights, timeline
from casework.services.errors import DomainError

TODAY = date(2025, 6, 10)


@pytest.fixture(autouse=True)
def _frozen(in_request):
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def worker(make_user, org):
    return make_user("caseworker", unit=org.c1)


def test_transfer_close_reopen_keep_custody_and_episodes(make_case, org, worker):
    case = make_case(org.c1, intake_date=date(2025, 6, 1))
    case_lifecycle.transfer_case(case, org.c3, on=date(2025, 6, 5), actor=worker)
    case_lifecycle.close_case(case, on=date(2025, 6, 7), reason_code="moved_away", actor=worker)
    case_lifecycle.reopen_case(case, on=date(2025, 6, 9), actor=worker)
    db.session.commit()
    db.session.refresh(case)
    assert [(c.org_unit_id, c.from_date, c.to_date, c.reason) for c in case.custody] == [
        (org.c1.id, date(2025, 6, 1), date(2025, 6, 5), "intake"),
        (org.c3.id, date(2025, 6, 5), None, "transfer")]
    assert [(e.opened_on, e.closed_on, e.close_reason) for e in case.episodes] == [
        (date(2025, 6, 1), date(2025, 6, 7), "moved_away"), (date(2025, 6, 9), None, None)]
    assert case.org_unit_id == org.c3.id
    assert case.status == "open"


@pytest.mark.parametrize(("move", "day"), [
    ("transfer", date(2025, 5, 31)), ("transfer", date(2025, 6, 11)),
    ("close", date(2025, 5, 31)), ("close", date(2025, 6, 11))])
def test_lifecycle_dates_are_checked(make_case, org, worker, move, day):
    case = make_case(org.c1, intake_date=date(2025, 6, 1))
    if move == "transfer":
        with pytest.raises(DomainError):
            case_lifecycle.transfer_case(case, org.c3, on=day, actor=worker)
    else:
        with pytest.raises(DomainError):
            case_lifecycle.close_case(case, on=day, reason_code="other", actor=worker)


def test_a_late_closure_needs_a_reason(make_case, org, worker):
    case = make_case(org.c1, intake_date=date(2025, 1, 1))
    with pytest.raises(DomainError) as caught:
        case_lifecycle.close_case(case, on=date(2025, 3, 1), reason_code="other", actor=worker)
    assert caught.value.field == "backdate_reason"
    case_lifecycle.close_case(case, on=date(2025, 3, 1), reason_code="other", actor=worker,
                              backdate_reason="sổ giấy")
    assert case.episodes[0].closed_on == date(2025, 3, 1)


def test_reopening_cannot_precede_the_closure(make_case, org, worker):
    case = make_case(org.c1, intake_date=date(2025, 6, 1))
    case_lifecycle.close_case(case, on=date(2025, 6, 8), reason_code="other", actor=worker)
    with pytest.raises(DomainError):
        case_lifecycle.reopen_case(case, on=date(2025, 6, 7), actor=worker)


def test_merge_keeps_both_histories_and_moves_the_records(make_case, make_need, org, make_user):
    supervisor = make_user("supervisor", unit=org.province)
    survivor = make_case(org.c1)
    duplicate = make_case(org.c3, full_name="Nguyễn Thị Lan")
    need = make_need(duplicate, "loans")
    case_lifecycle.merge_cases(survivor, duplicate, actor=supervisor)
    db.session.commit()
    db.session.refresh(duplicate)
    db.session.refresh(need)
    assert duplicate.merged_into_id == survivor.id
    assert duplicate.status == "closed"
    assert duplicate.episodes[-1].close_reason == "merged"
    assert duplicate.custody[-1].to_date == TODAY
    assert need.case_id == survivor.id
    assert need.subject_id == duplicate.subject_id  # still decrypts under her own key
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.merged")).one()
    assert audit.target_id == str(survivor.id)
    with pytest.raises(DomainError):
        case_lifecycle.merge_cases(survivor, duplicate, actor=supervisor)


def test_a_case_number_is_unique_per_unit_and_year(org, worker):
    numbers = {cases.next_case_number(org.c1, 2025) for _ in range(5)}
    assert numbers == {f"C1-2025-000{i}" for i in range(1, 6)}
    assert cases.next_case_number(org.c1, 2026) == "C1-2026-0001"


def test_erasure_leaves_a_tombstone_and_nothing_searchable(make_case, org, worker):
    from casework.crypto import blind_index

    case = make_case(org.c1, phone="0912000111")
    timeline.add_note(case, kind="note", on=TODAY, body="bí mật", actor=worker)
    needs.add_need(case, needs.NeedInput("loans", TODAY, "ghi chú"), actor=worker)
    receipt = subject_rights.erase_case(case, actor=worker, reason="her_request")
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.full_name is None
    assert case.case_number.startswith("C1-")
    assert case.group == "left_sex_work"
    assert subject_rights.erasure_state(case)["complete_at"] == receipt.complete_at
    assert blind_index.find(db.session, Case, "phone", "0912000111") == []
    with pytest.raises(DomainError):
        subject_rights.erase_case(case, actor=worker, reason="her_request")


def test_export_holds_everything_and_is_audited(make_case, make_consent, org, worker):
    case = make_case(org.c1)
    make_consent(case, "share", "loans")
    data = subject_rights.export_data(case, actor=worker, fmt="json")
    db.session.commit()
    assert data["personal"]["full_name"] == "Nguyễn Thị Lan"
    assert data["consents"][0]["service_category"] == "loans"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.exported")).one()
    assert json.loads(event.details)["format"] == "json"


def test_worklist_counts_are_live(make_case, org, worker):
    from casework.authz import visible_cases

    case = make_case(org.c1, intake_date=date(2025, 6, 1))
    make_case(org.c3)
    task = timeline.add_follow_up(case, due_on=TODAY, title="gọi lại", actor=worker)
    db.session.commit()
    work = timeline.worklist(visible_cases(worker))
    assert work.open_cases == 1
    assert [t.id for t, _ in work.follow_ups] == [task.id]
    assert work.overdue_follow_ups == 0
    with time_machine.travel(TODAY + timedelta(days=2), tick=False):
        assert timeline.worklist(visible_cases(worker)).overdue_follow_ups == 1
    timeline.complete_follow_up(task, actor=worker)
    assert timeline.worklist(visible_cases(worker)).follow_ups == []


@pytest.mark.parametrize(("raw", "clean"), [
    ("0912 345 678", "0912345678"), ("+84 912.345.678", "0912345678"),
    ("84912345678", "0912345678"), ("912345678", "0912345678"), ("024 3825 1234", "02438251234")])
def test_vietnamese_phone_formats_are_normalised(raw, clean):
    assert cases.clean_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "0123456789", "0912-abc-678", "091234567890"])
def test_invalid_phones_are_refused(raw):
    with pytest.raises(DomainError):
        cases.clean_phone(raw)


@pytest.mark.parametrize(("raw", "ok"), [
    ("036 196 001 234", True), ("001000000000", True), ("096123456789", True),
    ("000123456789", False), ("097123456789", False), ("03619600123", False)])
def test_cccd_numbers_are_validated(raw, ok):
    if ok:
        assert len(cases.clean_national_id(raw)) == 12
    else:
        with pytest.raises(DomainError):
            cases.clean_national_id(raw)
