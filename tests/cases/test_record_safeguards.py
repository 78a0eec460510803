"""Security review of the case records: search terms stay out of URLs, late-entry reasons are
encrypted and erased with her key, erased or merged cases take no more entries, stale forms
get a 409, dates are checked against the intake date and read in Vietnam time."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case, CaseEpisode, CaseEvent, LateEntryReason
from casework.models.need import NeedEvent
from casework.services import (
    case_lifecycle,
    cases,
    consents,
    needs,
    subject_rights,
    timeline,
)
from casework.services.effective_dates import local_date, today
from casework.services.errors import DomainError

IS_PG = bool(os.environ.get("CASEWORK_TEST_DATABASE_URL"))
CANARY_REASON = "CANARYLATEREASON sổ giấy bị ướt"


@pytest.fixture
def worker(make_user, org):
    return make_user("caseworker", unit=org.c1)


@pytest.fixture
def signed_in(client, worker, login):
    login(client, worker)
    return client


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- 1. Search is a POST; the terms go nowhere -------------------------------------------------

def test_search_posts_with_csrf_and_no_term_reaches_a_url_or_the_audit(signed_in, make_case):
    case = make_case(phone="0912345678")
    page = signed_in.get("/cases").get_data(as_text=True)
    assert 'method="post"' in page.split('role="search"')[0].rsplit("<form", 1)[1]
    found = signed_in.submit("/cases", {"q": "0912 345 678"})
    assert found.status_code == 200
    assert case.case_number in found.get_data(as_text=True)
    assert "0912" not in found.headers.get("Location", "")
    # Without the token nothing is searched.
    assert signed_in.post("/cases", data={"q": "0912345678"}).status_code == 400
    # A GET carrying terms (an old bookmark) searches nothing: no second audited search.
    assert signed_in.get("/cases?q=0912345678").status_code == 200
    db.session.expire_all()
    [event] = _audit("case.searched")
    details = json.loads(event.details) if isinstance(event.details, str) else event.details
    assert details == {"kind": "phone", "results": 1}
    assert "0912" not in json.dumps(details)


# --- 2. Late-entry reasons are encrypted and erased ---------------------------------------------

def _sqlite_bytes() -> bytes:
    path = Path(db.engine.url.database or "")
    db.session.remove()
    db.engine.dispose()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _clear_text_columns() -> str:
    """Every text column of the tables that hold timeline events, as one string."""
    rows = []
    for table in ("case_events", "need_events", "case_notes", "late_entry_reasons",
                  "audit_events"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            rows.extend(str(v) for v in row if isinstance(v, str))
    return " ".join(rows)


def test_late_entry_reasons_are_encrypted_and_gone_after_erasure(in_request, make_case, org,
                                                                  worker):
    old = today() - timedelta(days=60)
    case = make_case(org.c1, intake_date=old - timedelta(days=10))
    case_lifecycle.transfer_case(case, org.c2, on=old, actor=worker,
                                 backdate_reason=CANARY_REASON)
    timeline.add_note(case, kind="note", on=old, body="ghi chú", actor=worker,
                      backdate_reason=CANARY_REASON)
    need = needs.add_need(case, needs.NeedInput("loans", old, None, CANARY_REASON),
                          actor=worker)
    needs.set_status(need, "no_longer_needed", on=old, actor=worker,
                     backdate_reason=CANARY_REASON)
    db.session.commit()
    # Readable on her timeline while her key exists; never in a clear column.
    shown = [e.backdate_reason for e in timeline.timeline(case) if e.backdate_reason]
    assert shown.count(CANARY_REASON) == 4
    assert CANARY_REASON not in _clear_text_columns()
    assert CANARY_REASON[:12] not in _clear_text_columns()
    assert {e.reason for e in db.session.scalars(select(NeedEvent))} <= {None}

    subject_rights.erase_case(case, actor=worker, reason="her_request")
    db.session.commit()
    db.session.expire_all()
    assert all(r.reason is None for r in db.session.scalars(select(LateEntryReason)))
    assert CANARY_REASON not in _clear_text_columns()
    if not IS_PG:
        raw = _sqlite_bytes()
        assert CANARY_REASON.encode() not in raw
        assert b"CANARYLATEREASON" not in raw


def test_the_old_clear_reason_column_refuses_text(in_request, make_case, worker):
    from sqlalchemy.exc import IntegrityError

    case = make_case()
    db.session.add(CaseEvent(case_id=case.id, kind="note", effective_date=today(),
                             backdate_reason="in clear"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- 4. Erased or merged cases take no more entries ---------------------------------------------

def _erased(make_case, org, worker):
    case = make_case(org.c1, intake_date=today() - timedelta(days=5))
    need = needs.add_need(case, needs.NeedInput("loans", today(), None), actor=worker)
    db.session.commit()
    subject_rights.erase_case(case, actor=worker, reason="her_request")
    db.session.commit()
    return case, need


def test_every_writer_refuses_an_erased_case(in_request, make_case, org, worker):
    case, need = _erased(make_case, org, worker)
    writers = [
        lambda: needs.add_need(case, needs.NeedInput("loans", today(), None), actor=worker),
        lambda: needs.set_status(need, "identified", on=today(), actor=worker),
        lambda: timeline.add_note(case, kind="note", on=today(), body="x", actor=worker),
        lambda: timeline.add_follow_up(case, due_on=today(), title="x", actor=worker),
        lambda: consents.record_consent(case, consents.ConsentInput(
            "contact_phone", today(), "signed_form"), actor=worker),
        lambda: case_lifecycle.reopen_case(case, on=today(), actor=worker),
        lambda: case_lifecycle.transfer_case(case, org.c2, on=today(), actor=worker),
        lambda: case_lifecycle.merge_cases(case, make_case(org.c1), actor=worker),
    ]
    for write in writers:
        with pytest.raises(DomainError) as caught:
            write()
        assert caught.value.message == cases.CLOSED_TO_ENTRIES
        db.session.rollback()


def test_erasure_closes_the_case_for_her_request_and_keeps_episodes_consistent(
        in_request, make_case, org, worker):
    case, _need = _erased(make_case, org, worker)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == "closed"
    [episode] = db.session.scalars(select(CaseEpisode).where(CaseEpisode.case_id == case.id))
    assert (episode.closed_on, episode.close_reason) == (today(), "withdrew_consent")
    [erased] = [e for e in _audit("subject.erased")]
    assert json.loads(erased.details)["reason"] == "her_request"


def test_erase_page_keeps_a_reason_code_and_refuses_free_text(signed_in, make_case):
    case = make_case()
    refused = signed_in.submit(f"/cases/{case.id}/erase",
                               {"reason": "đơn của chị ngày 1/6", "confirm": "y"})
    assert refused.status_code == 400
    done = signed_in.submit(f"/cases/{case.id}/erase",
                            {"reason": "no_longer_needed", "confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    [event] = _audit("case.erased")
    assert json.loads(event.details) == {"reason": "no_longer_needed"}
    [episode] = db.session.scalars(select(CaseEpisode).where(CaseEpisode.case_id == case.id))
    assert episode.close_reason == "other"
    # Writes through the pages answer 409 with the message, never a 500.
    note = signed_in.submit(f"/cases/{case.id}/notes/new",
                            {"kind": "note", "on": today().isoformat(), "body": "x"},
                            page=f"/cases/{case.id}")
    assert note.status_code == 409
    assert "Hồ sơ này chỉ được giữ làm lịch sử" in note.get_data(as_text=True)


def test_merge_refuses_an_erased_survivor(in_request, make_case, org, worker):
    survivor, _need = _erased(make_case, org, worker)
    with pytest.raises(DomainError):
        case_lifecycle.merge_cases(survivor, make_case(org.c1), actor=worker)


# --- 6. Stale forms get a 409 --------------------------------------------------------------------

def test_a_stale_close_form_is_refused_with_409(signed_in, make_case):
    case = make_case()
    stale = case.version
    case.group = "trafficking_returnee"
    db.session.commit()  # someone else saved the case meanwhile
    answer = signed_in.submit(f"/cases/{case.id}/close",
                              {"reason": "moved_away", "on": today().isoformat(),
                               "version": str(stale)})
    assert answer.status_code == 409
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "open"
    fresh = db.session.get(Case, case.id).version
    done = signed_in.submit(f"/cases/{case.id}/close",
                            {"reason": "moved_away", "on": today().isoformat(),
                             "version": str(fresh)})
    assert done.status_code == 302


def test_a_need_status_form_without_its_version_is_stale(signed_in, make_case, make_need):
    case = make_case()
    need = make_need(case, "loans")
    answer = signed_in.submit(f"/cases/{case.id}/needs/{need.id}/status",
                              {"status": "no_longer_needed", "on": today().isoformat()},
                              page=f"/cases/{case.id}")
    assert answer.status_code == 409
    ok = signed_in.submit(f"/cases/{case.id}/needs/{need.id}/status",
                          {"status": "no_longer_needed", "on": today().isoformat(),
                           "version": str(need.version)}, page=f"/cases/{case.id}")
    assert ok.status_code == 302


def test_a_stale_transfer_is_refused(in_request, make_case, org, worker):
    from casework.services.errors import StaleObjectError

    case = make_case(org.c1)
    with pytest.raises(StaleObjectError):
        case_lifecycle.transfer_case(case, org.c2, on=today(), actor=worker,
                                     expected_version=case.version + 1)


# --- 7. Dates -----------------------------------------------------------------------------

def test_consent_cannot_predate_the_intake_date(in_request, make_case, worker):
    case = make_case(intake_date=today() - timedelta(days=3))
    with pytest.raises(DomainError) as caught:
        consents.record_consent(case, consents.ConsentInput(
            "contact_phone", today() - timedelta(days=4), "signed_form"), actor=worker)
    assert caught.value.field == "given_on"


def test_recorded_times_read_as_vietnamese_days():
    # 20:00 UTC on 9 June is 03:00 on 10 June in Hà Nội.
    assert local_date(datetime(2025, 6, 9, 20, 0, tzinfo=UTC)) == date(2025, 6, 10)
    assert local_date(datetime(2025, 6, 9, 20, 0)) == date(2025, 6, 10)
