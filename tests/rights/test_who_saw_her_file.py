"""Who saw her file: partner reads (logged against her referrals) and import matches appear under
her case, with usernames, units and partner names; the access log speaks the same words."""

from __future__ import annotations

import json

from sqlalchemy import select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.services import access_history


def _import_match(app, case, org, caseworker):
    from casework.services.imports import auditing

    with app.test_request_context():
        auditing.record_matches({case.id: False}, unit=org.c1, source="web", stage="check",
                                actor=caseworker)
        db.session.commit()


def test_partner_and_import_reads_appear_under_the_case(app, client, login, org, shared,
                                                       make_user):
    woman, referral = shared.women[0], shared.referrals[0]
    login(client, shared.partner_p)
    assert client.get(f"/partner/referrals/{referral.id}").status_code == 200
    _import_match(app, woman, org, shared.caseworker)
    db.session.expire_all()

    rows = access_history.case_access(woman)
    by_action = {r.action: r for r in rows}
    assert {"referral.shared", "referral.partner_viewed", "import.case_matched"} <= set(by_action)
    partner_row = by_action["referral.partner_viewed"]
    assert (partner_row.username, partner_row.place) == ("doitac_p", "Trung tâm Dạy nghề Thử")
    assert partner_row.kind == "opened"
    assert set(partner_row.fields) == {"given_name", "phone"}
    assert by_action["referral.shared"].kind == "received"
    assert by_action["import.case_matched"].place == org.c1.name
    # Nothing of another woman's file, and every row is one of her audit events.
    others = {str(w.id) for w in shared.women[1:]} | {str(r.id) for r in shared.referrals[1:]}
    seqs = {r.seq for r in rows}
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs))):
        assert event.target_id not in others

    client = app.test_client()
    supervisor = make_user("supervisor", unit=org.province)
    login(client, supervisor)
    page = client.get(f"/cases/{woman.id}").get_data(as_text=True)
    assert f"/rights/cases/{woman.id}/access" in page  # one click from the case page
    response = client.get(f"/rights/cases/{woman.id}/access")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for word in ("doitac_p", "Trung tâm Dạy nghề Thử", "canbo1", org.c1.name,
                 "Đối tác", "số điện thoại"):
        assert word in html
    assert str(referral.id) not in html
    assert str(woman.id)[:8] not in html.split("/rights/")[0]
    viewed = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "rights.access_viewed")).all()
    assert [e.target_id for e in viewed] == [str(woman.id)]


def test_caseworkers_do_not_get_the_access_list_but_her_printed_pack_has_it(
        client, login, shared, org):
    woman = shared.women[0]
    login(client, shared.caseworker)
    assert client.get(f"/rights/cases/{woman.id}/access").status_code == 404
    pack = client.get(f"/cases/{woman.id}/data").get_data(as_text=True)
    assert "pack-access" in pack
    assert "canbo1" in pack
    assert "Lịch sử đồng ý" in pack  # the consent history, in Vietnamese
    assert "full_name" not in pack  # labels, not field keys


def test_her_pack_downloads_as_a_vietnamese_workbook(client, login, shared):
    import io

    from openpyxl import load_workbook

    woman = shared.women[0]
    login(client, shared.caseworker)
    response = client.get(f"/rights/cases/{woman.id}/pack.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert "Lịch sử đồng ý" in book.sheetnames
    access = book[book.sheetnames[-1]]
    cells = [c.value for row in access.iter_rows() for c in row]
    assert "canbo1" in cells
    details = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert "Trần Thị Mẫu 0" in details
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.exported")
                               .order_by(AuditEvent.seq.desc())).first()
    assert json.loads(event.details)["format"] == "xlsx"


def test_access_log_shows_case_numbers_usernames_units_and_matches_part_of_a_number(
        app, client, login, shared, org, make_user):
    woman = shared.women[1]
    login(client, shared.partner_p)
    client.get(f"/partner/referrals/{shared.referrals[1].id}")
    client = app.test_client()
    login(client, make_user("supervisor", unit=org.province))
    part = woman.case_number[-4:]  # not the full number
    html = client.get(f"/supervision/access-log?case={part}").get_data(as_text=True)
    assert woman.case_number in html
    assert "doitac_p" in html
    assert "Trung tâm Dạy nghề Thử" in html
    assert str(shared.referrals[1].id)[:8] not in html  # no internal ids
    assert shared.women[0].case_number not in html or part in shared.women[0].case_number
    by_user = client.get("/supervision/access-log?user=canbo").get_data(as_text=True)
    assert "canbo1" in by_user
    assert org.c1.name in by_user
