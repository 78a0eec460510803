"""Text typed in forms is stored without bidi or zero-width characters (issue 18, finding 8;
the normaliser itself: ``tests/test_text.py``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from casework.extensions import db
from casework.models.need import Need
from casework.services.effective_dates import today as vn_today


def test_a_need_note_typed_in_the_form_is_stored_without_bidi_or_zero_width(
        client, make_user, login, make_case, org):
    case = make_case(org.c1, intake_date=vn_today() - timedelta(days=3))
    login(client, make_user("caseworker", unit=org.c1))
    response = client.submit(f"/cases/{case.id}/needs/new", {
        "category": "loans", "identified_on": vn_today().isoformat(),
        "note": "Cần vay\u200d vốn\u202e 5 triệu\u2066\r\nlần 2\u200e"})
    assert response.status_code == 302
    need = db.session.scalar(select(Need).where(Need.case_id == case.id))
    assert need.note == "Cần vay vốn 5 triệu\nlần 2"
