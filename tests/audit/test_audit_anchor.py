"""Anchors of the audit head outside the database: a cut tail, an emptied table and a rolled-back
database are reported with the events they lost, by the command and by the access-log page."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select, text

from casework import audit
from casework.audit import anchor as audit_anchor
from casework.extensions import db
from casework.models.audit import POSTGRES_DROP_TRIGGERS, SQLITE_DROP_TRIGGERS, AuditEvent


def _record(n: int) -> None:
    for i in range(n):
        audit.record("case.updated", target_type="case", target_id=f"t-{i}", details={"i": i})
    db.session.commit()


def _last_seq() -> int:
    return db.session.scalar(select(db.func.max(AuditEvent.seq))) or 0


def _drop_triggers_and_run(statement: str, **params: Any) -> None:
    """What an attacker holding the table's owner (or a superuser) can do."""
    drops = SQLITE_DROP_TRIGGERS if db.engine.dialect.name == "sqlite" else POSTGRES_DROP_TRIGGERS
    for drop in drops:
        db.session.execute(text(drop))
    db.session.execute(text(statement), params)
    db.session.commit()
    db.session.expunge_all()


def _anchor_lines(app: Flask) -> list[dict[str, Any]]:
    path = audit_anchor.anchor_path(app)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def cli(app: Flask) -> Any:
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["audit", *args])


def test_the_anchor_file_is_appended_with_mode_0600(app: Flask, cli: Any) -> None:
    _record(3)
    first = cli("anchor")
    assert first.exit_code == 0, first.output
    path = audit_anchor.anchor_path(app)
    assert path == Path(app.instance_path) / "audit-anchors.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Unchanged" in cli("anchor").output  # the same head is not written twice
    _record(2)
    assert cli("anchor").exit_code == 0
    lines = _anchor_lines(app)
    assert [line["seq"] for line in lines] == [_last_seq() - 2, _last_seq()]
    assert lines[-1]["mac"] == db.session.get(AuditEvent, _last_seq()).mac
    assert {"seq", "mac", "at", "source"} <= set(lines[-1])


def test_the_anchor_path_is_configurable_and_a_writable_file_is_refused(
        make_app: Any, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "anchors.jsonl"
    app = make_app(audit_anchor_path=str(path))
    with app.app_context():
        _record(1)
        assert app.test_cli_runner().invoke(args=["audit", "anchor"]).exit_code == 0
        assert path.exists()
        os.chmod(path, 0o666)  # noqa: S103 - the unsafe mode under test
        refused = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert refused.exit_code != 0
        assert "writable by others" in refused.output


def test_verify_anchors_the_head(app: Flask, cli: Any) -> None:
    _record(4)
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "no anchor yet" in result.output
    assert _anchor_lines(app)[-1]["seq"] == _last_seq()
    again = cli("verify")
    assert f"anchored up to {_last_seq()}" in again.output
    assert len(_anchor_lines(app)) == 1


def test_cut_tail_is_reported_with_the_missing_events(app: Flask, cli: Any) -> None:
    _record(6)
    assert cli("anchor").exit_code == 0
    last = _last_seq()
    _drop_triggers_and_run("DELETE FROM audit_events WHERE seq > :s", s=last - 3)
    assert audit.verify(db.session).ok  # the chain alone cannot see a clean cut
    result = cli("verify")
    assert result.exit_code == 1
    assert f"BAD events {last - 2}-{last} missing (the log ends at {last - 3})" in result.output


def test_emptied_table_is_reported(app: Flask, cli: Any) -> None:
    _record(3)
    assert cli("anchor").exit_code == 0
    last = _last_seq()
    _drop_triggers_and_run("DELETE FROM audit_events")
    result = cli("verify")
    assert result.exit_code == 1
    assert f"BAD events 1-{last} missing (the log is empty)" in result.output


def test_rolled_back_database_is_reported(app: Flask, cli: Any) -> None:
    _record(3)
    assert cli("anchor").exit_code == 0
    kept = _last_seq()
    _record(4)
    assert cli("anchor").exit_code == 0
    top = _last_seq()
    # Restore an older copy (the events after the first anchor go) and carry on writing:
    # the chain is sound again, and as long as before, but it is not the one anchored.
    _drop_triggers_and_run("DELETE FROM audit_events WHERE seq > :s", s=kept)
    _record(6)
    assert audit.verify(db.session).ok
    result = cli("verify")
    assert result.exit_code == 1
    assert (f"BAD events {kept + 1}-{top} no longer match the anchor "
            "(database rolled back or rewritten)") in result.output


def test_no_anchor_is_written_over_a_cut(app: Flask, cli: Any) -> None:
    _record(5)
    assert cli("anchor").exit_code == 0
    last = _last_seq()
    _drop_triggers_and_run("DELETE FROM audit_events WHERE seq > :s", s=last - 2)
    _record(4)  # the app carries on; its head is now past the anchored one
    refused = cli("anchor")
    assert refused.exit_code == 1
    assert f"anchored event {last}" in refused.output
    audit_anchor.maybe_anchor(app)  # nor after a request
    assert [line["seq"] for line in _anchor_lines(app)] == [last]
    assert cli("verify").exit_code == 1  # and the loss stays reported


def test_an_anchor_is_written_after_requests_at_most_every_interval(
        make_app: Any, make_user: Any, login: Any) -> None:
    app = make_app(audit_anchor_minutes="10")
    client = app.test_client()
    with time_machine.travel("2026-03-02 08:00 +0000", tick=False):
        login(client, make_user("caseworker"))
        client.get("/account")
        first = _anchor_lines(app)
        assert len(first) == 1
        assert first[0]["source"] == "schedule"
    with time_machine.travel("2026-03-02 08:05 +0000", tick=False):
        client.get("/account")
        assert _anchor_lines(app) == first
    with time_machine.travel("2026-03-02 08:11 +0000", tick=False):
        client.get("/account")
        lines = _anchor_lines(app)
        assert len(lines) == 2
        assert lines[1]["seq"] > first[0]["seq"]


def _province_supervisor(make_user: Any, org: Any) -> Any:
    return make_user("supervisor", unit=org.province)


def test_access_log_page_reports_a_cut_tail(make_app: Any, make_user: Any, login: Any,
                                             org: Any) -> None:
    app = make_app(audit_anchor_minutes="0")
    client = app.test_client()
    login(client, _province_supervisor(make_user, org))
    ok = client.submit("/supervision/access-log/verify", {}, page="/supervision/access-log")
    assert "alert--success" in ok.get_data(as_text=True)
    anchored = _anchor_lines(app)[-1]["seq"]  # the page anchored the head it verified
    token = client.csrf_token("/supervision/access-log")
    _drop_triggers_and_run("DELETE FROM audit_events WHERE seq > :s", s=anchored - 2)
    page = client.post("/supervision/access-log/verify", data={"csrf_token": token})
    body = page.get_data(as_text=True)
    assert (f"các sự kiện từ số {anchored - 1} đến số {anchored}" in body), body
    assert "Nhật ký bị mất phần cuối" in body
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "audit_log.verified").order_by(AuditEvent.seq.desc())).first()
    assert event.outcome == "failed"
    assert json.loads(event.details)["missing_from"] == anchored - 1


def test_access_log_page_reports_an_emptied_log(make_app: Any, make_user: Any, login: Any,
                                                org: Any) -> None:
    app = make_app(audit_anchor_minutes="0")
    client = app.test_client()
    login(client, _province_supervisor(make_user, org))
    client.submit("/supervision/access-log/verify", {}, page="/supervision/access-log")
    anchored = _anchor_lines(app)[-1]["seq"]
    token = client.csrf_token("/supervision/access-log")
    _drop_triggers_and_run("DELETE FROM audit_events")
    body = client.post("/supervision/access-log/verify",
                       data={"csrf_token": token}).get_data(as_text=True)
    assert f"Nhật ký đã bị xóa sạch: các sự kiện từ số 1 đến số {anchored}" in body


def test_a_torn_last_line_is_not_trusted(app: Flask, cli: Any) -> None:
    _record(3)
    assert cli("anchor").exit_code == 0
    path = audit_anchor.anchor_path(app)
    with path.open("a") as handle:
        handle.write('{"seq": 999, "ma')  # a crash in the middle of a write
    assert audit_anchor.latest_anchor(path)["seq"] == _last_seq()
    assert cli("verify").exit_code == 0


def test_access_log_page_says_when_the_anchor_file_is_unsafe(make_app: Any, make_user: Any,
                                                             login: Any, org: Any) -> None:
    app = make_app(audit_anchor_minutes="0")
    client = app.test_client()
    login(client, _province_supervisor(make_user, org))
    client.submit("/supervision/access-log/verify", {}, page="/supervision/access-log")
    os.chmod(audit_anchor.anchor_path(app), 0o622)  # noqa: S103 - the unsafe mode under test
    page = client.submit("/supervision/access-log/verify", {}, page="/supervision/access-log")
    assert page.status_code == 200
    assert "tệp mốc neo không an toàn" in page.get_data(as_text=True)
