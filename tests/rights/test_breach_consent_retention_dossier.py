"""The breach answer, each consent purpose, retention and the impact-assessment dossier."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from casework import indicators
from casework.crypto.models import Subject
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.referral import Referral
from casework.services import consents, retention, timeline
from casework.services.effective_dates import LOCAL_ZONE, today
from casework.services.errors import DomainError

# --- Breach answer ---------------------------------------------------------------------------

def test_breach_list_for_a_partner_and_window_matches_the_audit_trail(app, client, login, org,
                                                                     shared, make_user):
    partner_client = app.test_client()
    login(partner_client, shared.partner_p)
    for referral in shared.referrals[:2]:
        assert partner_client.get(f"/partner/referrals/{referral.id}").status_code == 200
    other = app.test_client()
    login(other, shared.partner_q)
    other.get(f"/partner/referrals/{shared.referrals[2].id}")
    login(client, make_user("supervisor", unit=org.province))
    day = today().isoformat()
    response = client.get(f"/rights/breach?provider={shared.p.id}&date_from={day}&date_to={day}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The trail, read independently: every event of P's accounts today whose target is a
    # referral (or a row of one) -> its case.
    start = datetime.combine(today(), time.min, tzinfo=LOCAL_ZONE)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_user_id == shared.partner_p.id, AuditEvent.occurred_at >= start,
        AuditEvent.target_id.is_not(None))).all()
    referral_ids = set()
    for e in events:
        try:
            referral_ids.add(uuid.UUID(e.target_id))
        except ValueError:
            continue  # a login or an account event: no woman's row
    expected = {r.case.case_number for r in db.session.scalars(
        select(Referral).where(Referral.id.in_(referral_ids)))}
    assert expected == {w.case_number for w in shared.women[:2]}
    assert 'id="women-count">2<' in html
    for number in expected:
        assert number in html
    assert shared.women[2].case_number not in html
    cited = [e for e in events if e.target_id in {str(r) for r in referral_ids}]
    assert cited
    for e in cited:
        assert f"{e.seq}" in html  # each event of the trail about her is cited
    reports = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "rights.breach_report")).all()
    assert len(reports) == 1
    assert '"women": 2' in reports[0].details


def test_breach_answer_refuses_both_or_neither_and_a_district_sees_no_partners(
        client, login, org, make_user, shared):
    login(client, make_user("supervisor", unit=org.province))
    day = today().isoformat()
    both = client.get(f"/rights/breach?username=canbo1&provider={shared.p.id}"
                      f"&date_from={day}&date_to={day}")
    assert both.status_code == 400
    assert "Chỉ nhập một tài khoản hoặc một đối tác." in both.get_data(as_text=True)
    bad = client.get(f"/rights/breach?username=canbo1&date_from={day}&date_to=2020-01-01")
    assert bad.status_code == 400
    ok = client.get(f"/rights/breach?username=canbo1&date_from={day}&date_to={day}")
    assert ok.status_code == 200
    assert "canbo1" in ok.get_data(as_text=True)


# --- Consent purposes ------------------------------------------------------------------------

@pytest.fixture
def woman(make_case):
    return make_case(intake_date=today() - timedelta(days=10))


@pytest.mark.parametrize(("kind", "purpose"), [("phone_call", "contact_phone"),
                                               ("home_visit", "contact_visit")])
def test_contact_needs_its_consent_and_stops_when_withdrawn(app, woman, make_consent, kind,
                                                            purpose):
    with app.test_request_context():
        with pytest.raises(DomainError) as refused:
            timeline.add_note(woman, kind=kind, on=today(), body="x", actor=None)
        assert refused.value.field == "kind"
        db.session.rollback()
        consent = make_consent(woman, purpose, given_on=woman.intake_date)
        timeline.add_note(woman, kind=kind, on=today(), body="Đã liên lạc", actor=None)
        consents.withdraw_consent(consent, actor=None)
        db.session.commit()
        with pytest.raises(DomainError):
            timeline.add_note(woman, kind=kind, on=today(), body="x", actor=None)
        db.session.rollback()
        timeline.add_note(woman, kind="note", on=today(), body="Ghi chú", actor=None)  # notes ok
        db.session.commit()


def test_the_timeline_says_what_a_withdrawal_stops(app, client, login, woman, make_consent,
                                                   make_user):
    consent = make_consent(woman, "contact_phone", given_on=woman.intake_date)
    with app.test_request_context():
        consents.withdraw_consent(consent, actor=None)
        db.session.commit()
    login(client, make_user("caseworker"))
    html = client.get(f"/cases/{woman.id}").get_data(as_text=True)
    assert "không thể ghi nhận cuộc gọi điện thoại nữa" in html


def test_share_withdrawal_cuts_the_partner_at_once(app, shared):
    from casework.services import referrals

    referral = shared.referrals[0]
    with app.test_request_context():
        assert referrals.partner_copy(referral)
        share = consents.valid_share_consent(referral.case, "vocational_training", today())
        consents.withdraw_consent(share, actor=None)
        db.session.commit()
        assert "phone" not in referrals.partner_copy(referral)


def test_statistics_consent_decides_the_export_and_the_figures_stay_whole(
        app, org, make_case, make_need, make_consent, make_user):
    from casework.services import supervision

    cases = [make_case(org.c1, intake_date=date(2024, 2, 1)) for _ in range(3)]
    for c in cases:
        make_need(c, "jobs")
    given = [make_consent(c, "statistics") for c in cases[:2]]  # the third never consented
    supervisor = make_user("supervisor", unit=org.province)
    period = indicators.parse_period("2024H1", today())
    with app.test_request_context():
        before = indicators.compute(org.province, period)
        text = supervision.deidentified_csv(org.province, period, actor=supervisor, threshold=1)
        assert len([x for x in text.splitlines() if x and not x.startswith("#")]) == 1 + 2
        consents.withdraw_consent(given[0], actor=None)
        db.session.commit()
        text = supervision.deidentified_csv(org.province, period, actor=supervisor, threshold=1)
        assert len([x for x in text.splitlines() if x and not x.startswith("#")]) == 1 + 1
        assert "Đã bỏ 2 người" in text
        after = indicators.compute(org.province, period)
        assert after.total.eligible == before.total.eligible == 3


def test_keep_record_withdrawal_puts_her_on_the_retention_list(app, woman, make_consent):
    consent = make_consent(woman, "keep_record", given_on=woman.intake_date)
    with app.test_request_context():
        consents.withdraw_consent(consent, on=today() - timedelta(days=5), actor=None)
        db.session.commit()
        visible = select(type(woman))
        assert retention.proposals(visible) == []  # 30 days by default
        due = retention.proposals(visible, today() + timedelta(days=25))
        assert [(p.case.id, p.rule) for p in due] == [(woman.id, "withdrawn")]


# --- Retention -------------------------------------------------------------------------------

def test_retention_proposes_exactly_the_cases_past_their_date(app, scenario):
    from casework.models.case import Case

    with app.test_request_context():
        retention.set_schedule(closed_case_years=2, withdrawn_record_days=30, actor=None)
        db.session.commit()
        # Closed: d 2023-12-31, o 2024-03-31, n 2024-04-30; r is merged (goes with a).
        on = date(2026, 3, 31)
        due = retention.proposals(select(Case), on)
        assert {p.case.case_number for p in due} == {scenario.d.case_number,
                                                     scenario.o.case_number}
        assert {p.due_on for p in due} == {date(2025, 12, 31), date(2026, 3, 31)}
        later = retention.proposals(select(Case), date(2026, 4, 30))
        assert scenario.n.case_number in {p.case.case_number for p in later}
        assert retention.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_confirmed_erasure_keeps_the_indicator_figures(app, client, login, org, scenario,
                                                       make_user):
    with app.test_request_context():
        retention.set_schedule(closed_case_years=1, withdrawn_record_days=30, actor=None)
        db.session.commit()
    periods = [indicators.parse_period(k, today()) for k in ("2023H2", "2024H1", "2024")]
    before = [indicators.compute(org.province, p) for p in periods]
    login(client, make_user("supervisor", unit=org.province))
    page = client.get("/rights/retention").get_data(as_text=True)
    due = [scenario.d, scenario.n, scenario.o]
    for case in due:
        assert case.case_number in page
    refused = client.submit("/rights/retention/erase", {"case": [str(c.id) for c in due]},
                            page="/rights/retention")
    assert refused.status_code == 400  # the confirmation box is required
    done = client.submit("/rights/retention/erase",
                         {"case": [str(c.id) for c in due], "confirm": "y"},
                         page="/rights/retention")
    assert done.status_code == 302
    db.session.expire_all()
    for case in due:
        assert db.session.get(Subject, case.subject_id).erased
    after = [indicators.compute(org.province, p) for p in periods]
    for b, a in zip(before, after, strict=True):
        assert a.snapshot() == b.snapshot()
    assert client.get("/rights/retention").get_data(as_text=True).count("retention-table") == 1
    assert scenario.d.case_number not in client.get("/rights/retention").get_data(as_text=True)


def test_the_flask_command_sets_the_schedule_and_lists_what_is_due(app, scenario):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retention", "schedule", "--closed-years", "2"])
    assert result.exit_code == 0
    assert "2 years" in result.output
    result = runner.invoke(args=["retention", "due"])
    assert result.exit_code == 0
    assert scenario.d.case_number in result.output
    assert "records due" in result.output


# --- The impact-assessment dossier -----------------------------------------------------------

def test_the_dossier_inventory_is_the_model_registry(app):
    from casework.crypto.fields import encrypted_fields, encrypted_models
    from casework.services import impact_assessment

    with app.test_request_context():
        listed = {(r.table, r.field) for r in impact_assessment.inventory()}
    assert listed == {(m.__tablename__, f) for m in encrypted_models()
                      for f in encrypted_fields(m)}
    assert ("cases", "national_id") in listed
    assert ("consents", "witness_name") in listed


@pytest.fixture
def new_encrypted_model():
    """A model added with a new encrypted field (on its own metadata), removed afterwards."""
    from sqlalchemy.orm import DeclarativeBase

    from casework.crypto import EncryptedSubjectMixin, encrypted
    from casework.crypto import fields as crypto_fields

    class Other(DeclarativeBase):
        pass

    class ShelterStay(EncryptedSubjectMixin, Other):
        __tablename__ = "shelter_stays"
        shelter_room = encrypted(str)

    yield ShelterStay
    crypto_fields._MODELS.remove(ShelterStay)


def test_a_new_encrypted_field_shows_up_in_the_dossier_unclassified(app, client, login,
                                                                   make_user,
                                                                   new_encrypted_model):
    login(client, make_user("admin"))
    response = client.get("/rights/impact-assessment")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-field="shelter_stays.shelter_room"' in html
    assert "Cán bộ cần phân loại (trường mới)" in html
    assert 'data-field="cases.history"' in html
    for text in ("AES-256-GCM", "KEK", "Nghị định 13/2023/NĐ-CP", "Chữ ký"):
        assert text in html
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "rights.dossier_viewed")).first() is not None


def test_the_note_form_says_why_a_phone_call_is_refused_and_keeps_the_text(client, login,
                                                                          woman, make_user):
    login(client, make_user("caseworker"))
    response = client.submit(f"/cases/{woman.id}/notes/new", {
        "kind": "phone_call", "on": today().isoformat(), "body": "Chị hẹn gặp thứ Hai"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Chị chưa đồng ý được liên lạc qua điện thoại vào ngày này." in html
    assert "Chị hẹn gặp thứ Hai" in html
    from casework.models.timeline import CaseNote

    assert db.session.scalars(select(CaseNote).where(CaseNote.case_id == woman.id)).all() == []


def test_a_record_no_longer_due_is_not_erased(client, login, org, make_case, make_user):
    from casework.models.case import Case

    recent = make_case(org.c1, intake_date=date(2024, 1, 1), closed_on=date(2025, 1, 1))
    login(client, make_user("supervisor", unit=org.province))
    response = client.submit("/rights/retention/erase", {"case": [str(recent.id)],
                                                         "confirm": "y"},
                             page="/rights/retention")
    assert response.status_code == 400
    assert "không còn đến hạn xóa" in response.get_data(as_text=True)
    assert not db.session.get(Subject, db.session.get(Case, recent.id).subject_id).erased


def test_the_dossier_says_what_each_partner_received(client, login, make_user, shared):
    login(client, make_user("supervisor"))
    html = client.get("/rights/impact-assessment").get_data(as_text=True)
    row = html[html.index("Trung tâm Dạy nghề Thử"):]
    row = row[:row.index("</tr>")]
    assert "tên" in row
    assert "số điện thoại" in row
