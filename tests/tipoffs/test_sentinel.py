"""Sentinel scan for target 6: the reporter's name and contact, the persons named and the
summary typed through the app never reach the database files, a dump, logs or audit rows."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import select

from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.services.effective_dates import LOCAL_ZONE
from tests.crypto.test_sentinel import _database_bytes, _forms


def test_tipoff_canaries_never_reach_storage_logs_or_audit(client, make_user, login, org,
                                                           caplog):
    tag = secrets.token_hex(3)
    canaries = {
        "reporter_name": f"Đặng Thị Huệ Canary{tag}",
        "reporter_contact": f"0913 {int(tag, 16) % 1000:03d} 246",
        "persons_named": f"Trùm môi giới Sentinel{tag}",
        "summary": f"Ổ mại dâm ở phố Hàng Thuỷ dấu{tag}",
    }
    caplog.set_level(logging.DEBUG)
    login(client, make_user("caseworker", unit=org.c1))
    response = client.submit("/tipoffs/new", {
        "channel": "phone", "received_at": datetime.now(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M"),
        **canaries})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert canaries["persons_named"] in page  # it round-trips for the officer
    audit_rows = " ".join(f"{e.target_id} {e.fields} {e.details}"
                          for e in db.session.scalars(select(AuditEvent)))
    raw = _database_bytes(db.engine.url)
    logs = caplog.text.encode("utf-8")
    for value in canaries.values():
        for form in _forms(value):
            assert form not in raw
            assert form.decode() not in audit_rows
            assert form not in logs
