"""The activity pages through real HTTP: entry for one's own unit, submit, review, report."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.activity import ActivityRecord, ActivitySubmission

GOOD = {"held_on": "2025-05-10", "form": "meeting", "officers": "3", "members": "45",
        "partners": "Công an xã", "title": "", "amendment_note": ""}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ActivityRecord)) or 0


def test_a_commune_officer_records_an_activity_for_her_own_commune(client, org, make_user,
                                                                    login):
    officer = make_user("caseworker", unit=org.c1)
    login(client, officer)
    response = client.submit("/activity/new/communication", GOOD)
    assert response.status_code == 302
    record = db.session.scalar(select(ActivityRecord))
    assert (record.org_unit_id, record.officers, record.members) == (org.c1.id, 3, 45)
    page = client.get("/activity/?period=2025H1").get_data(as_text=True)
    assert "Công an xã" in page


def test_every_mistake_is_said_in_vietnamese_and_nothing_is_saved(client, org, make_user,
                                                                  login):
    login(client, make_user("caseworker", unit=org.c1))
    for bad, message in (({"held_on": "2099-01-01"}, "tương lai"),
                         ({"officers": "0", "members": "0"}, "số người được tuyên truyền"),
                         ({"members": "-3"}, "từ 0"),
                         ({"members": "²"}, ""),
                         ({"held_on": "31/02/2025"}, "ngày")):
        response = client.submit("/activity/new/communication", {**GOOD, **bad})
        assert response.status_code == 400, bad
        assert message in response.get_data(as_text=True), bad
    assert _count() == 0


def test_another_units_record_answers_404(client, org, make_user, login):
    other = ActivityRecord(org_unit_id=org.c2.id, kind="communication", form="meeting",
                           held_on=date(2025, 3, 3), members=5)
    db.session.add(other)
    db.session.commit()
    login(client, make_user("caseworker", unit=org.c1))
    assert client.get(f"/activity/records/{other.id}").status_code == 404
    assert client.submit(f"/activity/records/{other.id}/delete", {},
                         page="/activity/").status_code == 404
    assert _count() == 1


def test_a_partner_never_reaches_the_activity_pages(client, make_user, login):
    login(client, make_user("partner"))
    for path in ("/activity/", "/activity/new/post", "/activity/reviews", "/activity/report"):
        assert client.get(path).status_code == 404


def test_submit_return_correct_and_approve(app, org, make_user, login):
    officer = make_user("caseworker", unit=org.c1)
    district = make_user("supervisor", unit=org.d1)
    client = app.test_client()
    login(client, officer)
    client.submit("/activity/new/communication", GOOD)
    assert client.submit("/activity/submit", {"period": "2025H1"},
                         page="/activity/?period=2025H1").status_code == 302
    # Waiting for approval: nothing in the half-year changes.
    response = client.submit("/activity/new/communication", GOOD)
    assert response.status_code == 400
    client = app.test_client()
    login(client, district)
    assert "Xã Một A" in client.get("/activity/reviews?period=2025H1").get_data(as_text=True)
    path = f"/activity/reviews/{org.c1.id}?period=2025H1"
    assert client.submit(path, {"decision": "returned", "comment": ""}).status_code == 400
    assert client.submit(path, {"decision": "returned",
                                "comment": "Thiếu bài đăng quý 2"}).status_code == 302
    # The district cannot review itself, nor a unit of the other district.
    assert client.get(f"/activity/reviews/{org.d1.id}?period=2025H1").status_code == 404
    assert client.get(f"/activity/reviews/{org.c3.id}?period=2025H1").status_code == 404
    client = app.test_client()
    login(client, officer)
    assert "Thiếu bài đăng quý 2" in client.get("/activity/?period=2025H1").get_data(
        as_text=True)
    client.submit("/activity/new/post", {"held_on": "2025-05-02", "form": "fanpage",
                                         "link": "https://facebook.com/x/1",
                                         "amendment_note": ""})
    client.submit("/activity/submit", {"period": "2025H1"}, page="/activity/?period=2025H1")
    client = app.test_client()
    login(client, district)
    assert client.submit(path, {"decision": "approved", "comment": ""}).status_code == 302
    found = db.session.scalar(select(ActivitySubmission))
    assert found.status == "approved"
    client = app.test_client()
    login(client, officer)
    # Approved: a correction needs a note, and then it is an amendment.
    assert client.submit("/activity/new/communication", GOOD).status_code == 400
    assert client.submit("/activity/new/communication",
                         {**GOOD, "amendment_note": "Bổ sung"}).status_code == 302


def _xlsx_summary(content: bytes) -> dict[tuple[int, str], tuple[object, object, object]]:
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    out = {}
    target = None
    for row in ws.iter_rows(min_row=7, values_only=True):
        if row[0] is None or not isinstance(row[0], int):
            continue
        target = row[0]
        out[(target, row[2])] = (row[3], row[4], row[5])
    return out


def test_the_report_page_and_the_workbook_say_the_same(client, activity_world, login):
    world = activity_world
    login(client, world.sup[world.org.province])
    page = client.get("/activity/report?period=2025")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "45 / 59" in html
    assert "1.980 / 2.800" in html
    response = client.get("/activity/report.xlsx?period=2025")
    assert response.status_code == 200
    assert "bao-cao-ke-hoach" in response.headers["Content-Disposition"]
    summary = _xlsx_summary(response.data)
    assert summary[(2, "Cán bộ Hội được tuyên truyền")][:2] == (45, 59)
    assert summary[(2, "Hội viên, phụ nữ được tuyên truyền")][:2] == (1980, 2800)
    assert abs(summary[(3, "Hội LHPN cấp huyện")][2] - 1.0) < 1e-9
    assert summary[(6, "Tin báo, đơn thư được xử lý kịp thời")][:2] == (0, 0)  # none received
    ws = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert ws.cell(row=7, column=6).number_format == "0%"
