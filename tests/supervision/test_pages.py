"""Supervision pages through real HTTP: roles, scope, reports, sign-off, audit, export."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from casework.extensions import db
from casework.models.audit import AuditEvent

H1 = "/supervision/?period=2024H1"


@pytest.fixture
def supervisor(make_user, org):
    return make_user("supervisor", unit=org.province)


def _events(action):
    return db.session.query(AuditEvent).filter(AuditEvent.action == action).all()


def test_dashboard_shows_the_rate_and_drills_down(client, login, supervisor, scenario):
    login(client, supervisor)
    page = client.get(H1).get_data(as_text=True)
    assert "40 %" in page
    assert "Huyện Một" in page
    assert "Huyện Hai" in page
    assert page.count("below-target") == 2  # both districts are under 80 %
    district = client.get(f"{H1}&unit={scenario.org.d1.id}").get_data(as_text=True)
    assert "Xã Một A" in district
    assert "Xã Một B" in district
    assert "Xã Hai A" not in district


def test_district_supervisor_cannot_see_another_district(client, login, make_user, org, scenario):
    user = make_user("supervisor", unit=org.d2)
    login(client, user)
    assert client.get(H1).status_code == 200
    assert client.get(f"{H1}&unit={org.d1.id}").status_code == 404
    assert client.get(f"{H1}&unit={org.province.id}").status_code == 404
    assert client.get(f"/supervision/report.xlsx?period=2024H1&unit={org.d1.id}").status_code == 404


@pytest.mark.parametrize("role", ["caseworker", "partner", "admin"])
def test_other_roles_get_404_on_indicator_pages(client, login, make_user, role):
    login(client, make_user(role))
    for path in ("/supervision/", "/supervision/report", "/supervision/report.xlsx",
                 "/supervision/export.csv", "/supervision/outcomes", "/supervision/partners"):
        assert client.get(path).status_code == 404, path
    expected = 200 if role == "admin" else 404
    assert client.get("/supervision/access-log").status_code == expected


@pytest.mark.parametrize("query", ["period=2024H3", "period=abc", "as_of=2020-01-01",
                                   "as_of=31/13/2024", "unit=abc", "as_of=2999-01-01"])
def test_bad_parameters_answer_400_with_a_message(client, login, supervisor, query):
    login(client, supervisor)
    response = client.get(f"/supervision/?{query}")
    assert response.status_code == 400
    assert 'class="alert alert--error"' in response.get_data(as_text=True)


def _xlsx(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.data))


def test_xlsx_report_hides_small_counts_and_their_complements(client, login, supervisor,
                                                              scenario):
    login(client, supervisor)
    wb = _xlsx(client, "/supervision/report.xlsx?period=2024H1")
    summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True) if row}
    values = list(summary.values())
    assert 10 in values  # eligible
    assert "<5" in values  # connected (4)
    units = list(wb.worksheets[1].iter_rows(values_only=True))[1:]
    # D2 has 2 eligible (hidden); D1's 8 is hidden too, else 10 - 8 would reveal it.
    assert [(r[1], r[2]) for r in units] == [("<5", "<5"), ("<5", "<5")]
    assert len(_events("report.exported")) == 1


def test_without_suppression_the_workbook_has_the_exact_figures(make_app, make_user, login,
                                                                org, scenario):
    app = make_app(small_count_suppression="0")
    client = app.test_client()
    user = make_user("supervisor", unit=org.province)
    login(client, user)
    wb = _xlsx(client, "/supervision/report.xlsx?period=2024H1")
    units = list(wb.worksheets[1].iter_rows(values_only=True))[1:]
    assert [(r[0], r[1], r[2]) for r in units] == [("Huyện Hai", 2, 1), ("Huyện Một", 8, 3)]


def test_printable_report_is_aggregate_and_suppressed(client, login, supervisor, scenario):
    login(client, supervisor)
    page = client.get("/supervision/report?period=2024H1").get_data(as_text=True)
    assert "&lt;5" in page
    assert "Nguyễn" not in page
    assert scenario.a.case_number not in page
    assert "<svg" in page
    assert 'stroke-dasharray="6 4"' in page


def test_sign_off_locks_the_figures_and_lists_amendments(client, login, supervisor, scenario,
                                                         make_case, make_need, org):
    login(client, supervisor)
    response = client.submit("/supervision/report/sign-off",
                             {"unit": org.province.id, "period": "2024H1"},
                             page="/supervision/report?period=2024H1")
    assert response.status_code == 302
    again = client.submit("/supervision/report/sign-off",
                          {"unit": org.province.id, "period": "2024H1"},
                          page="/supervision/report?period=2024H1", follow_redirects=True)
    assert "already signed off" in again.get_data(as_text=True) or \
        "đã được ký duyệt" in again.get_data(as_text=True)
    # A case typed in late changes the live figures, not the signed ones.
    from datetime import date

    late = make_case(org.c3, intake_date=date(2024, 2, 1))
    make_need(late, "jobs")
    wb = _xlsx(client, "/supervision/report.xlsx?period=2024H1")
    summary = [row for row in wb.worksheets[0].iter_rows(values_only=True) if row]
    assert any(10 in row for row in summary)  # still the signed 10, not 11
    page = client.get("/supervision/report?period=2024H1").get_data(as_text=True)
    assert "amendments" in page.lower() or "Sửa đổi" in page
    amendments = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "<td>total</td>" not in amendments  # tables and figures in words, not codes
    assert "<td>Tổng hợp</td>" in amendments
    snapshot = json.loads(db.session.query(
        __import__("casework.models.supervision", fromlist=["PeriodSignOff"]).PeriodSignOff
    ).one().snapshot)
    assert snapshot["total"]["eligible"] == 10
    assert len(_events("report.signed_off")) == 1


def test_an_unfinished_period_cannot_be_signed_off(client, login, supervisor):
    login(client, supervisor)
    response = client.submit("/supervision/report/sign-off", {"period": "cum"},
                             page="/supervision/report?period=cum", follow_redirects=True)
    from casework.models.supervision import PeriodSignOff

    assert db.session.query(PeriodSignOff).count() == 0
    assert response.status_code == 200


def test_outcome_audit_sample_and_verdicts(client, login, supervisor, scenario, org):
    login(client, supervisor)
    page = client.get("/supervision/outcomes?period=2024H1")
    assert page.status_code == 200
    response = client.submit("/supervision/outcomes?period=2024H1",
                             {"unit": org.province.id, "period": "2024H1",
                              "provider": scenario.x.id, "size": 10},
                             page="/supervision/outcomes?period=2024H1")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    sample_path = response.headers["Location"]
    from casework.models.supervision import OutcomeSample

    sample = db.session.query(OutcomeSample).one()
    assert len(sample.items) == 4  # X confirmed A, F, G (and I, another group) in H1
    item = sample.items[0]
    verdict_path = f"/supervision/outcomes/{sample.id}/items/{item.id}"
    p = f"v{item.position}-"
    client.submit(verdict_path, {p + "status": "disputed", p + "note": ""}, page=sample_path)
    db.session.expire_all()
    assert item.status == "pending"  # a dispute needs a reason
    client.submit(verdict_path, {p + "status": "disputed", p + "note": "Chưa đến học"},
                  page=sample_path)
    db.session.expire_all()
    assert item.status == "disputed"
    report = client.get("/supervision/report?period=2024H1").get_data(as_text=True)
    assert "badge--err" in report


def test_sample_is_404_outside_scope(client, login, make_user, org, scenario, supervisor):
    login(client, supervisor)
    client.submit("/supervision/outcomes?period=2024H1",
                  {"unit": org.province.id, "period": "2024H1", "provider": scenario.x.id,
                   "size": 5}, page="/supervision/outcomes?period=2024H1")
    from casework.models.supervision import OutcomeSample

    sample = db.session.query(OutcomeSample).one()
    other = client.application.test_client()
    login(other, make_user("supervisor", unit=org.d2))
    assert other.get(f"/supervision/outcomes/{sample.id}").status_code == 404
    assert other.get("/supervision/outcomes/999999").status_code == 404


def test_access_log_filters_and_verifies(client, login, supervisor, scenario):
    login(client, supervisor)
    client.get("/supervision/report?period=2024H1")
    page = client.get("/supervision/access-log?action=report.viewed").get_data(as_text=True)
    body = page.split("<tbody>", 1)[1]
    assert "Xem báo cáo" in body  # the Vietnamese label, the code only in a tooltip
    assert "Đăng nhập" not in body
    assert 'data-testid="verify-result"' not in page
    page = client.submit("/supervision/access-log/verify", {}, page="/supervision/access-log")
    assert page.status_code == 200
    assert 'data-testid="verify-result"' in page.get_data(as_text=True)
    assert "alert--success" in page.get_data(as_text=True)
    assert client.get("/supervision/access-log?date_from=2024-13-01").status_code == 400
    assert client.get("/supervision/access-log?action=report.").status_code == 400


def test_deidentified_export_has_no_personal_fields_and_stable_keys(make_app, make_user, login,
                                                                    org, scenario):
    app = make_app(small_count_suppression="0")
    client = app.test_client()
    login(client, make_user("supervisor", unit=org.province))
    first = client.get("/supervision/export.csv?period=2024H1").get_data(as_text=True)
    second = client.get("/supervision/export.csv?period=2024H1").get_data(as_text=True)
    assert first == second
    lines = [line for line in first.strip().splitlines() if not line.startswith("#")]
    assert lines[0].startswith("ma_an_danh,nhom,don_vi_cap_huyen,quy_tiep_nhan")
    assert len(lines) == 1 + 10 + 2  # target group and the two other groups, one row each
    for secret in ("Nguyễn", "0912345678", str(scenario.a.id), scenario.a.case_number):
        assert secret not in first
    assert len(_events("export.deidentified")) == 2
