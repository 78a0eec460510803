"""Target 6 through real HTTP: the officer's flow, scope (404 across units), audit of views,
the public form (receipt, status only, hostile input, rate limits) and the XLSX export."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.tipoff import TipOff, TipOffEvent
from casework.services.effective_dates import LOCAL_ZONE, today
from tests.test_hostile_walk import HOSTILE, encode


def _now() -> str:
    return datetime.now(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")


def _record(client, **extra):
    data = {"channel": "phone", "received_at": _now(), "summary": "Có người môi giới ở bến xe",
            "reporter_name": "Lê Văn Báo", "reporter_contact": "0987654321",
            "persons_named": "Chủ nhà nghỉ X", **extra}
    return client.submit("/tipoffs/new", data)


def _item() -> TipOff:
    db.session.expire_all()
    return db.session.scalars(select(TipOff).order_by(TipOff.created_at.desc())).first()


def test_officer_records_classifies_forwards_and_supervisor_counts_it(
        app, client, make_user, login, org):
    officer = make_user("caseworker", unit=org.c1)
    login(client, officer)
    assert _record(client).status_code == 302
    item = _item()
    page = f"/tipoffs/{item.id}"
    response = client.submit(f"/tipoffs/{item.id}/classify", {
        "classify-version": str(item.version), "classify-classification": "crime",
        "classify-on": today().isoformat(), "classify-note": ""}, page=page)
    assert response.status_code == 302
    item = _item()
    response = client.submit(f"/tipoffs/{item.id}/handle", {
        "handle-version": str(item.version), "handle-action": "forwarded_police",
        "handle-on": today().isoformat(), "handle-police_office": "Công an huyện Một",
        "handle-acknowledged_on": today().isoformat()}, page=page)
    assert response.status_code == 302
    item = _item()
    assert (item.handling, item.handled_on) == ("forwarded_police", today())
    assert [e.kind for e in item.events] == ["received", "classified", "forwarded_police"]
    client = app.test_client()
    login(client, make_user("supervisor", unit=org.d1))
    html = client.get("/tipoffs/indicator").get_data(as_text=True)
    assert re.search(r'id="fig-due">1<', html)
    assert re.search(r'id="fig-in-time">1<', html)
    report = client.get("/tipoffs/report").get_data(as_text=True)
    assert re.search(r'id="fig-due">&lt;5<', report)  # small counts hidden when printed
    xlsx = client.get("/tipoffs/indicator.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["B4"].value == "<5"


def test_a_refused_receive_keeps_values_and_writes_nothing(client, make_user, login):
    login(client, make_user("caseworker"))
    response = _record(client, anonymous="y")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Lê Văn Báo" in html  # kept for correction
    assert db.session.scalar(select(func.count()).select_from(TipOff)) == 0


def test_other_units_partners_and_admins_get_404(app, client, make_user, login, org):
    login(client, make_user("caseworker", unit=org.c1))
    _record(client)
    item = _item()
    for user in (make_user("caseworker", unit=org.c3), make_user("supervisor", unit=org.d2),
                 make_user("partner"), make_user("admin")):
        client = app.test_client()
        login(client, user)
        for path in (f"/tipoffs/{item.id}", f"/tipoffs/{item.id}/transfer"):
            assert client.get(path).status_code == 404, (user.role, path)
        assert item.reference not in client.get("/tipoffs/").get_data(as_text=True)
    client = app.test_client()
    login(client, make_user("supervisor", unit=org.d1))
    assert client.get(f"/tipoffs/{item.id}").status_code == 200


def test_every_view_of_decrypted_content_is_audited(client, make_user, login, org):
    officer = make_user("caseworker", unit=org.c1)
    login(client, officer)
    _record(client)
    item = _item()
    assert client.get(f"/tipoffs/{item.id}").status_code == 200
    db.session.expire_all()
    viewed = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "viewed", AuditEvent.target_id == str(item.id))).all()
    assert viewed
    fields = set(json.loads(viewed[-1].fields))
    assert {"summary", "reporter_name", "reporter_contact", "persons_named"} <= fields


def test_transfer_moves_the_item_and_keeps_its_history(client, make_user, login, org):
    login(client, make_user("caseworker", unit=org.c1))
    _record(client)
    item = _item()
    response = client.submit(f"/tipoffs/{item.id}/transfer", {
        "version": str(item.version), "to_unit": str(org.c3.id), "on": today().isoformat()})
    assert response.status_code == 302
    assert client.get(f"/tipoffs/{item.id}").status_code == 404  # no longer ours
    item = _item()
    assert item.org_unit_id == org.c3.id
    assert [c.org_unit_id for c in item.custody] == [org.c1.id, org.c3.id]


# --- The public form ---------------------------------------------------------------------------

def _send(client, **extra):
    data = {"unit": "", "summary": "Có dấu hiệu mua bán người", "anonymous": "y", **extra}
    page = client.get("/tipoffs/send").get_data(as_text=True)
    if not data["unit"]:
        data["unit"] = re.search(r'<option[^>]*value="(\d+)"', page).group(1)
    return client.submit("/tipoffs/send", data)


def test_public_form_gives_a_receipt_that_shows_the_status_only(client, org):
    response = _send(client, summary="Nội dung bí mật ABC123")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    code = re.search(r'id="receipt-code">([A-Z2-7-]+)<', html).group(1)
    item = _item()
    assert item.channel == "online"
    assert item.receipt_hash
    assert code.replace("-", "") not in item.receipt_hash
    status = client.submit("/tipoffs/status", {"code": code.lower()})
    text = status.get_data(as_text=True)
    assert status.status_code == 200
    assert 'id="public-status"' in text
    assert "ABC123" not in text
    wrong = client.submit("/tipoffs/status", {"code": "A" * 26})
    assert wrong.status_code == 400
    assert 'id="public-status"' not in wrong.get_data(as_text=True)


def test_public_pages_load_no_third_party_script(client, org):
    html = client.get("/tipoffs/send").get_data(as_text=True)
    for src in re.findall(r'<script[^>]*src="([^"]+)"', html):
        assert src.startswith("/static/"), src
    assert "http://" not in html.replace("http://www.w3.org", "")


@pytest.mark.parametrize("name", ["summary", "persons_named", "reporter_name",
                                  "reporter_contact", "unit", "anonymous", "csrf_token"])
def test_hostile_values_on_the_public_form(app, client, org, name):
    app.config["CASEWORK_TIPOFF_FORM_RATE_LIMIT"] = "100000 per minute"
    before = db.session.scalar(select(func.count()).select_from(TipOffEvent))
    for value in HOSTILE:
        data = {"unit": str(org.province.id), "summary": "Tin báo",
                "csrf_token": client.csrf_token("/tipoffs/send"), name: value}
        response = client.post("/tipoffs/send", data=encode(data),
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (name, value[:20])
        items = db.session.scalar(select(func.count()).select_from(TipOff))
        events = db.session.scalar(select(func.count()).select_from(TipOffEvent))
        assert items == events - before  # each item whole, with its receipt event, or nothing


def test_public_form_and_status_are_rate_limited_per_address(app, client, org):
    app.config["CASEWORK_TIPOFF_FORM_RATE_LIMIT"] = "3 per hour"
    app.config["CASEWORK_TIPOFF_STATUS_RATE_LIMIT"] = "2 per hour"
    codes = [_send(client).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert db.session.scalar(select(func.count()).select_from(TipOff)) == 3
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert _send(other).status_code == 200  # another address is not held back
    statuses = [client.submit("/tipoffs/status", {"code": "B" * 26}).status_code
                for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_a_case_opened_from_a_tipoff_is_linked_both_ways(app, client, make_user, login, org):
    login(client, make_user("caseworker", unit=org.c1))
    _record(client, summary="Chị H. cần giúp đỡ sau khi thoát khỏi ổ môi giới")
    item = _item()
    form = client.get(f"/cases/new?tipoff={item.id}").get_data(as_text=True)
    assert 'id="from-tipoff"' in form
    assert "Chị H. cần giúp đỡ" in form  # her story prefilled, to be corrected with her
    response = client.submit(f"/cases/new?tipoff={item.id}", {
        "full_name": "Nguyễn Thị Hoa", "group": "high_risk", "referral_source": "union",
        "intake_date": today().isoformat(), "org_unit": org.c1.id})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = _item()
    assert item.case_id is not None
    assert [e.kind for e in item.events][-1] == "case_opened"
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert item.reference in case_page
    assert client.get(f"/tipoffs/{item.id}").get_data(as_text=True).count("/cases/") >= 1
    other = app.test_client()
    login(other, make_user("caseworker", unit=org.c3))
    assert other.get(f"/cases/new?tipoff={item.id}").status_code == 404
    assert other.get("/cases/new?tipoff=not-a-uuid").status_code == 404


def test_the_police_acknowledgment_is_recorded_after_the_forwarding(client, make_user, login,
                                                                     org):
    login(client, make_user("caseworker", unit=org.c1))
    _record(client)
    item = _item()
    page = f"/tipoffs/{item.id}"
    client.submit(f"/tipoffs/{item.id}/classify", {
        "classify-version": str(item.version), "classify-classification": "crime",
        "classify-on": today().isoformat()}, page=page)
    item = _item()
    client.submit(f"/tipoffs/{item.id}/handle", {
        "handle-version": str(item.version), "handle-action": "forwarded_police",
        "handle-on": today().isoformat(), "handle-police_office": "Công an xã"}, page=page)
    assert 'id="ack-form"' in client.get(page).get_data(as_text=True)
    item = _item()
    response = client.submit(f"/tipoffs/{item.id}/acknowledge", {
        "ack-version": str(item.version), "ack-acknowledged_on": today().isoformat()}, page=page)
    assert response.status_code == 302
    assert [e.kind for e in _item().events][-1] == "acknowledged"
    assert 'id="ack-form"' not in client.get(page).get_data(as_text=True)


def test_a_receipt_code_still_works_after_an_app_key_rotation(make_app, tmp_path, org):
    from casework.crypto import EXTENSION
    from casework.crypto.keyring import (
        create_key_file,
        load_keyring,
        new_key,
        with_state,
        write_keyring,
    )

    path = tmp_path / "own-keys" / "keys.json"
    create_key_file(path)
    kapp = make_app(key_file=str(path))
    client = kapp.test_client()
    html = _send(client).get_data(as_text=True)
    code = re.search(r'id="receipt-code">([A-Z2-7-]+)<', html).group(1)
    ring = load_keyring(path)
    ring = with_state(ring, "app", 1, "decrypt-only").replace_key(new_key("app", 2))
    write_keyring(ring, path)
    with kapp.app_context():
        assert kapp.extensions[EXTENSION].get(force=True).active("app").version == 2
    status = client.submit("/tipoffs/status", {"code": code})
    assert status.status_code == 200
    assert 'id="public-status"' in status.get_data(as_text=True)
