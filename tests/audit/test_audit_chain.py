"""The audit trail: HMAC chain, append-only triggers, tamper detection, serialised appends."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import exc, select, text

from casework import audit
from casework.extensions import db
from casework.models.audit import POSTGRES_DROP_TRIGGERS, SQLITE_DROP_TRIGGERS, AuditEvent


def _record(n: int) -> list[str]:
    targets = [str(uuid.uuid4()) for _ in range(n)]
    for i, target in enumerate(targets):
        audit.record(
            "case.updated",
            target_type="case",
            target_id=target,
            fields=["phone", "address"],
            details={"step": i},
        )
    db.session.commit()
    return targets


def _sql(statement: str, **params: Any) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def _attacker_drops_triggers() -> None:
    drops = SQLITE_DROP_TRIGGERS if db.engine.dialect.name == "sqlite" else POSTGRES_DROP_TRIGGERS
    for statement in drops:
        db.session.execute(text(statement))
    db.session.commit()


def _last_seq() -> int:
    return db.session.scalar(select(db.func.max(AuditEvent.seq))) or 0


def _verify(**kwargs: Any) -> audit.VerifyResult:
    db.session.expunge_all()
    return audit.verify(db.session, **kwargs)


def test_events_are_chained_in_sequence(app: Flask) -> None:
    start = _last_seq()
    _record(5)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.seq > start).order_by(AuditEvent.seq)
    ).all()
    assert [e.seq for e in events] == list(range(start + 1, start + 6))
    for earlier, later in itertools.pairwise(events):
        assert later.prev_mac == earlier.mac
    assert events[0].fields == '["address", "phone"]'
    assert events[0].actor_role == "system"
    result = _verify()
    assert result.ok
    assert result.head_seq == start + 5


def test_details_are_scrubbed(app: Flask) -> None:
    audit.record("note", details={"comment": "called 0912 345 678, lan@example.vn"})
    db.session.commit()
    stored = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert json.loads(stored.details) == {"comment": "called [phone], [email]"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'nothing' WHERE seq = :seq",
        "DELETE FROM audit_events WHERE seq = :seq",
    ],
)
def test_database_refuses_update_and_delete(app: Flask, statement: str) -> None:
    _record(2)
    with pytest.raises(exc.DBAPIError, match="append-only"):
        _sql(statement, seq=_last_seq())
    db.session.rollback()
    assert _verify().ok


@pytest.mark.postgres_only
def test_postgres_refuses_truncate(app: Flask) -> None:
    _record(1)
    with pytest.raises(exc.DBAPIError, match="append-only"):
        _sql("TRUNCATE audit_events")
    db.session.rollback()


def test_edit_detected_at_its_sequence_number(app: Flask) -> None:
    _record(6)
    target = _last_seq() - 3
    _attacker_drops_triggers()
    _sql("UPDATE audit_events SET outcome = 'denied' WHERE seq = :s", s=target)
    result = _verify()
    assert not result.ok
    assert result.first_bad_seq == target


def test_delete_detected(app: Flask) -> None:
    _record(6)
    target = _last_seq() - 2
    _attacker_drops_triggers()
    _sql("DELETE FROM audit_events WHERE seq = :s", s=target)
    assert _verify().first_bad_seq == target


def test_forged_insert_detected(app: Flask) -> None:
    _record(4)
    last = _last_seq()
    forged = db.session.get(AuditEvent, last)
    _sql(
        "INSERT INTO audit_events (seq, occurred_at, action, fields, outcome, key_version, "
        "prev_mac, mac) VALUES (:seq, :at, 'case.viewed', '[]', 'ok', 1, :prev, :mac)",
        seq=last + 1,
        at=forged.occurred_at,
        prev=forged.mac,
        mac="0" * 64,
    )
    assert _verify().first_bad_seq == last + 1


def test_replaced_event_detected(app: Flask) -> None:
    _record(5)
    target = _last_seq() - 1
    _attacker_drops_triggers()
    original = db.session.get(AuditEvent, target)
    values = {c: getattr(original, c) for c in ("occurred_at", "prev_mac", "mac", "key_version")}
    _sql("DELETE FROM audit_events WHERE seq = :s", s=target)
    _sql(
        "INSERT INTO audit_events (seq, occurred_at, action, fields, outcome, key_version, "
        "prev_mac, mac) VALUES (:s, :occurred_at, 'login.succeeded', '[]', 'ok', "
        ":key_version, :prev_mac, :mac)",
        s=target,
        **values,
    )
    assert _verify().first_bad_seq == target


def test_reorder_detected(app: Flask) -> None:
    _record(5)
    a = _last_seq() - 3
    _attacker_drops_triggers()
    _sql("UPDATE audit_events SET seq = -1 WHERE seq = :a", a=a)
    _sql("UPDATE audit_events SET seq = :a WHERE seq = :b", a=a, b=a + 1)
    _sql("UPDATE audit_events SET seq = :b WHERE seq = -1", b=a + 1)
    assert _verify().first_bad_seq == a


def test_truncation_detected_with_the_exported_head(app: Flask, tmp_path: Path) -> None:
    _record(5)
    head = audit.export_head(db.session)
    last = head["seq"]
    _attacker_drops_triggers()
    _sql("DELETE FROM audit_events WHERE seq >= :s", s=last - 1)
    assert _verify().ok  # without an anchor a clean cut is invisible
    result = _verify(head=head)
    assert not result.ok
    assert result.first_bad_seq == last - 1


def test_cli_verify_and_export_head(app: Flask, tmp_path: Path) -> None:
    _record(3)
    runner = app.test_cli_runner()
    head_file = tmp_path / "head.json"
    exported = runner.invoke(args=["audit", "export-head", "--output", str(head_file)])
    assert exported.exit_code == 0
    assert json.loads(head_file.read_text())["seq"] == _last_seq()
    ok = runner.invoke(args=["audit", "verify", "--head", str(head_file)])
    assert ok.exit_code == 0
    assert ok.output.startswith("OK ")
    target = _last_seq() - 1
    _attacker_drops_triggers()
    _sql("UPDATE audit_events SET target_id = 'someone-else' WHERE seq = :s", s=target)
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1
    assert f"BAD first bad sequence number {target}" in bad.output


def test_concurrent_appends_stay_one_chain(app: Flask) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(15):
                    audit.record("load.test", target_type="thread", target_id=f"{n}-{i}")
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    start = _last_seq()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert _last_seq() == start + 45
    assert _verify().ok
