"""Supervision: de-identified exports and suppression, Vietnamese labels and numbers, and the
audit-chain check (a limited, audited POST)."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.referral import Referral

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def supervisor(make_user, org):
    return make_user("supervisor", unit=org.province)


def _events(action):
    return db.session.query(AuditEvent).filter(AuditEvent.action == action).all()


def _csv(client, path):
    text = client.get(path).get_data(as_text=True)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    rows = [line.split(",") for line in text.splitlines() if line and not line.startswith("#")]
    return text, comments, rows


# --- 1. De-identified CSV ------------------------------------------------------------------------

def test_export_generalises_unit_date_and_group(make_app, make_user, login, org, scenario):
    app = make_app(small_count_suppression="0")
    client = app.test_client()
    login(client, make_user("supervisor", unit=org.province))
    text, comments, rows = _csv(client, "/supervision/export.csv?period=2024H1")
    header, data = rows[0], rows[1:]
    assert header[:4] == ["ma_an_danh", "nhom", "don_vi_cap_huyen", "quy_tiep_nhan"]
    assert any("Mã ẩn danh" in c for c in comments)  # Vietnamese column names
    assert {r[1] for r in data} == {"nhom_5", "nhom_tro_ve", "nhom_phong_ngua"}
    assert {r[2] for r in data} == {"D1", "D2"}  # communes generalised to their district
    assert all(re.fullmatch(r"20\d\d-Q[1-4]", r[3]) for r in data)
    for word in ("left_sex_work", "trafficking", "high_risk", "C1", "C2", "C3", "2024-01"):
        assert word not in text
    assert "Đã ẩn 0 dòng" in text


def test_export_withholds_small_groups_and_says_how_many(client, login, supervisor, org,
                                                         make_case, make_need, make_consent):
    for unit in (org.c1, org.c1, org.c2, org.c2, org.c1, org.c3):  # five in D1, one in D2
        case = make_case(unit, intake_date=date(2024, 2, 1))
        make_need(case, "jobs")
        make_consent(case, "statistics")
    login(client, supervisor)
    _text, comments, rows = _csv(client, "/supervision/export.csv?period=2024H1")
    data = rows[1:]
    assert len(data) == 5
    assert {r[2] for r in data} == {"D1"}
    assert any("Đã ẩn 1 dòng" in c for c in comments)
    event = _events("export.deidentified")[0]
    assert '"withheld": 1' in event.details
    assert '"rows": 5' in event.details


# --- 2. Paper-imported uptakes vs partner-confirmed ---------------------------------------------

@pytest.fixture
def confirmed_by_partner(scenario, make_user):
    """Two of partner X's uptakes in 2024H1 confirmed in Casework; the rest came from paper."""
    from casework.models.referral import Referral

    partner = make_user("partner", provider=scenario.x)
    rows = db.session.query(Referral).filter(Referral.provider_id == scenario.x.id,
                                             Referral.uptake_on.is_not(None)).all()
    in_h1 = [r for r in rows if date(2024, 1, 1) <= r.uptake_on <= date(2024, 6, 30)]
    for r in in_h1[:2]:
        r.uptake_confirmed_by_id = partner.id
        r.uptake_provenance = "partner_account"  # as the partner's confirmation records it
    db.session.commit()
    return in_h1


def test_outcome_audit_tells_partner_confirmed_from_paper(client, login, supervisor, org,
                                                          scenario, confirmed_by_partner):
    from casework.models.supervision import OutcomeSample

    login(client, supervisor)
    page = client.get("/supervision/outcomes?period=2024H1").get_data(as_text=True)
    assert "Đối tác xác nhận trên Casework" in page
    assert "Ghi từ sổ giấy (nhập khẩu)" in page
    x_row = next(row for row in page.split("<tr") if scenario.x.name in row)
    assert re.findall(r">(\d+)</td>", x_row)[:2] == ["2", "2"]
    response = client.submit("/supervision/outcomes?period=2024H1",
                             {"unit": org.province.id, "period": "2024H1",
                              "provider": scenario.x.id, "size": 2},
                             page="/supervision/outcomes?period=2024H1")
    assert response.status_code == 302
    sample = db.session.query(OutcomeSample).one()
    kinds = sorted(item.referral.uptake_confirmed_by_id is None for item in sample.items)
    assert kinds == [False, True]  # one of each kind
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('data-testid="source"') == 2
    assert "Ghi từ sổ giấy (nhập khẩu)" in page
    assert "Đối tác xác nhận trên Casework" in page
    # the supervisor may open these cases: the case number links to the case
    case = sample.items[0].referral.case
    assert f'href="/cases/{case.id}"' in page


def test_report_shows_both_kinds_side_by_side(make_app, make_user, login, org, scenario,
                                              confirmed_by_partner):
    app = make_app(small_count_suppression="0")
    client = app.test_client()
    login(client, make_user("supervisor", unit=org.province))
    wb = load_workbook(io.BytesIO(client.get("/supervision/report.xlsx?period=2024H1").data))
    sheet = next(ws for ws in wb.worksheets if ws.title == "Kiểm chứng kết quả")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1:3] == ("Đối tác xác nhận trên Casework", "Ghi từ sổ giấy (nhập khẩu)")
    x_row = next(r for r in rows if r[0] == scenario.x.name)
    assert x_row[1:3] == (2, 2)


# --- 3. Audit-chain verification ----------------------------------------------------------------

def test_verification_is_a_limited_audited_post(client, login, supervisor):
    login(client, supervisor)
    page = client.get("/supervision/access-log?verify=1").get_data(as_text=True)
    assert 'data-testid="verify-result"' not in page  # a GET never runs the verification
    for _ in range(5):
        response = client.submit("/supervision/access-log/verify", {},
                                 page="/supervision/access-log")
        assert response.status_code == 200
    assert len(_events("audit_log.verified")) == 5
    response = client.submit("/supervision/access-log/verify", {},
                             page="/supervision/access-log")
    assert response.status_code == 429
    assert len(_events("audit_log.verified")) == 5


def test_verification_needs_csrf(client, login, supervisor):
    login(client, supervisor)
    response = client.post("/supervision/access-log/verify", data={})
    assert response.status_code in (302, 400)
    assert _events("audit_log.verified") == []


def test_district_supervisor_cannot_verify(client, login, make_user, org):
    login(client, make_user("supervisor", unit=org.d1))
    page = client.get("/supervision/access-log").get_data(as_text=True)
    assert "/supervision/access-log/verify" not in page
    response = client.submit("/supervision/access-log/verify", {},
                             page="/supervision/access-log")
    assert response.status_code == 404
    assert _events("audit_log.verified") == []


# --- 4. Access log in plain Vietnamese ----------------------------------------------------------

def _recorded_actions() -> set[str]:
    pattern = re.compile(
        r"(?:audit\.(?:record|defer)\(\s*|\"action\":\s*)\"([a-z_]+(?:\.[a-z_]+)?)\"")
    found = set()
    for path in (ROOT / "casework").rglob("*.py"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    from casework.services.referral_flow import TRANSITIONS

    found |= {f"referral.{t.action}" for t in TRANSITIONS}
    return found


def test_every_recorded_action_has_a_label():
    from casework.blueprints.supervision.labels import ACTIONS

    assert _recorded_actions() - set(ACTIONS) == set()


def test_access_log_shows_vietnamese_labels_and_a_select_of_actions(client, login, supervisor,
                                                                    scenario):
    login(client, supervisor)
    client.get(f"/cases/{scenario.a.id}")
    page = client.get("/supervision/access-log").get_data(as_text=True)
    assert '<select id="action" name="action"' in page
    body = page.split("<tbody>", 1)[1]
    assert "Đăng nhập thành công" in body
    assert "login.succeeded" not in body.replace('title="login.succeeded"', "")
    assert "họ tên" in body  # the full_name field, read on the case page
    assert "Mở xem dữ liệu cá nhân" in body


# --- 5. One definition of partner performance ---------------------------------------------------

def test_supervision_and_the_partner_page_agree(app, org, scenario):
    from casework.indicators import parse_period
    from casework.services import referrals
    from casework.services import supervision as service

    today = date(2026, 11, 29)
    for r in db.session.query(Referral).filter(Referral.provider_id == scenario.y.id):
        if r.status == "sent":
            r.response_due_on = date(2024, 2, 9)  # unanswered long after: overdue
        elif r.status == "accepted":
            r.uptake_due_on = date(2024, 5, 5)  # no uptake since: overdue
    db.session.commit()
    period = parse_period("cum", today, today=today)
    rows = {r["id"]: r for r in service.partner_performance(org.province, period, today)}
    for provider in (scenario.x, scenario.y):
        mine, theirs = rows[provider.id], referrals.performance(provider)
        assert (mine["received"], mine["answered"], mine["accepted"], mine["uptake"]) == (
            theirs.received, theirs.answered, theirs.accepted, theirs.taken_up)
        assert mine["response_days"] == theirs.median_response_days
    overdue = db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.provider_id == scenario.y.id, referrals.overdue_filter(today)))
    assert rows[scenario.y.id]["overdue"] == overdue == 2


# --- 7. The report a tester read ----------------------------------------------------------------

def test_xlsx_uses_vietnamese_periods_and_dates(client, login, supervisor, scenario):
    login(client, supervisor)
    wb = load_workbook(io.BytesIO(client.get("/supervision/report.xlsx?period=2024H1").data))
    summary = {row[0]: row[1:] for row in wb.worksheets[0].iter_rows(values_only=True) if row}
    assert summary["Kỳ báo cáo"][:2] == ("6 tháng đầu năm 2024", "01/01/2024 – 30/06/2024")
    trend = [row[0] for row in wb["Xu hướng"].iter_rows(values_only=True)][1:]
    assert trend[0] == "6 tháng đầu năm 2021"
    assert trend[1] == "6 tháng cuối năm 2021"
    assert not any(re.search(r"\d{4}-\d\d-\d\d|H[12]\b", str(v))
                   for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                   for v in row if v is not None)


def test_cumulative_label_and_plain_median(client, login, supervisor, scenario):
    login(client, supervisor)
    page = client.get("/supervision/report?period=cum&as_of=2024-06-30").get_data(as_text=True)
    assert "Lũy kế từ 01/01/2021 đến 30/06/2024" in page
    dashboard = client.get("/supervision/?period=2024H1").get_data(as_text=True)
    assert "một nửa số người được hỗ trợ được kết nối nhanh hơn" in dashboard


def test_hidden_headline_rate_is_explained(client, login, supervisor, scenario):
    login(client, supervisor)
    page = client.get("/supervision/report?period=2024H1").get_data(as_text=True)
    assert "Trang chỉ số" in page.split('data-testid="report-summary"', 1)[1].split("</dl>")[0]


def test_rates_and_decimals_use_the_vietnamese_format(app):
    from flask_babel import force_locale

    from casework.blueprints.supervision import reporting

    with app.test_request_context(), force_locale("vi"):
        assert reporting.decimal(4.5) == "4,5"
        assert reporting.percent(0.25) == "25 %"


# --- 8. Suppression of the outcome-audit and performance tables ---------------------------------

def test_audit_and_performance_tables_are_suppressed_with_complements():
    from casework.blueprints.supervision import reporting

    data = {"total": {"eligible": 0, "connected": 0, "awaiting_answer": 0, "awaiting_uptake": 0},
            "units": [], "other_groups": {}, "categories": [], "partners": [], "trend": [],
            "median_n": 0, "median_days": None,
            "audit": [{"id": 1, "name": "A", "confirmed": 3, "imported": 9, "sampled": 0,
                       "verified": 0, "disputed": 0},
                      {"id": 2, "name": "B", "confirmed": 20, "imported": 30, "sampled": 6,
                       "verified": 6, "disputed": 0}],
            "performance": [{"id": 1, "name": "A", "received": 12, "answered": 10,
                             "accepted": 8, "uptake": 6, "overdue": 2, "response_days": 2.0},
                            {"id": 2, "name": "B", "received": 40, "answered": 40,
                             "accepted": 30, "uptake": 20, "overdue": 9,
                             "response_days": 3.5}]}
    shown = reporting.protect(data, 5)
    (_a, a), (_b, b) = shown["audit"]
    assert a["confirmed"].hidden
    assert b["confirmed"].hidden
    assert not a["imported"].hidden
    (_a, pa), (_b, pb) = shown["performance"]
    assert pa["overdue"].hidden
    assert pb["overdue"].hidden
    assert reporting.share_text(pa["accepted"], pa["answered"], 5) == "–"  # 2 not accepted
    assert reporting.share_text(pb["accepted"], pb["answered"], 5) == "75 %"
