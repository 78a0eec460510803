"""Each person chooses her channels on her account page; her numbers are sealed at rest."""

from __future__ import annotations

from sqlalchemy import text

from casework.extensions import db
from casework.outbox import contacts


def test_a_partner_chooses_sms_and_zalo_and_her_numbers_are_sealed(client, login, make_user):
    partner = make_user("partner")
    login(client, partner)
    page = client.get("/account/messages")
    assert page.status_code == 200
    response = client.submit("/account/messages", {
        "email": "", "phone": "0912 345 001", "zalo": "+84 912 345 002",
        "channels": ["sms", "zalo"], "digest": "y"})
    assert response.status_code == 302
    prefs = contacts.preferences(partner)
    assert (prefs.phone, prefs.zalo, prefs.channels, prefs.digest) == (
        "84912345001", "84912345002", ("sms", "zalo"), True)
    stored = " ".join(str(v) for row in db.session.execute(
        text("SELECT * FROM contact_preferences")) for v in row)
    assert "912345001" not in stored
    assert "912345002" not in stored
    html = client.get("/account/messages").get_data(as_text=True)
    assert "84912345001" in html  # she sees her own number back


def test_bad_input_gets_a_vietnamese_message_and_keeps_the_values(client, login, make_user):
    user = make_user("caseworker")
    login(client, user)
    response = client.submit("/account/messages", {
        "email": "", "phone": "12ab", "zalo": "", "channels": ["sms"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nhập số di động" in html
    assert 'value="12ab"' in html
    response = client.submit("/account/messages", {
        "email": "", "phone": "", "zalo": "", "channels": ["email"]})
    assert response.status_code == 400
    assert "Nhập địa chỉ cho mỗi kênh" in response.get_data(as_text=True)
    response = client.submit("/account/messages", {"channels": ["fax"], "email": "a@b.vn"})
    assert response.status_code == 400
    assert db.session.execute(text("SELECT count(*) FROM contact_preferences")).scalar() == 0
