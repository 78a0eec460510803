"""Key rotation: KEK re-wrap (interrupted and resumed), one woman's data key, the index key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from casework.crypto import blind_index
from casework.crypto.context import clear_key_cache, get_keyring
from casework.crypto.models import BlindIndexEntry, Subject
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.services import keys
from tests.conftest import PRODUCTION_SECRET

ENC_COLUMNS = ("full_name_enc", "date_of_birth_enc", "phone_enc", "national_id_enc", "story_enc")


def _cli(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def _snapshot(model: Any) -> dict[Any, tuple[bytes | None, ...]]:
    cols = [getattr(model, c) for c in ENC_COLUMNS]
    return {row[0]: tuple(row[1:]) for row in db.session.execute(select(model.id, *cols))}


def _plaintexts(model: Any) -> dict[Any, tuple[Any, ...]]:
    db.session.expunge_all()
    clear_key_cache()
    return {n.id: (n.full_name, n.date_of_birth, n.phone, n.national_id, n.story)
            for n in db.session.scalars(select(model))}


def _kek_counts() -> dict[int | None, int]:
    return dict(db.session.execute(
        select(Subject.kek_version, func.count()).group_by(Subject.kek_version)).all())


@pytest.fixture
def rotating(app_with_keys: Callable[..., Flask], notes_table: Callable[[], Any],
             make_many_notes: Callable[..., Any]) -> Any:
    app = app_with_keys()
    with app.app_context():
        model = notes_table()
        make_many_notes(30)
        yield app, model


def test_rewrap_interrupted_then_resumed_loses_nothing(rotating: Any) -> None:
    app, model = rotating
    before_plain, before_blobs = _plaintexts(model), _snapshot(model)
    assert "added KEK version 2" in _cli(app, "keys", "add-kek", "--reason", "yearly").output
    assert _cli(app, "keys", "promote-kek", "2", "--reason", "yearly").exit_code == 0
    refused = _cli(app, "keys", "destroy-kek", "1", "--reason", "too early")
    assert refused.exit_code != 0
    assert "still wraps 30 data keys" in refused.output

    assert keys.rewrap_batch(db.session, 12) == 12
    db.session.commit()
    keys.rewrap_batch(db.session, 12)  # the crash: this batch is never committed
    db.session.rollback()
    assert _kek_counts() == {1: 18, 2: 12}
    assert _plaintexts(model) == before_plain  # mixed epochs read fine

    resumed = _cli(app, "keys", "rewrap", "--reason", "resume", "--batch", "7")
    assert resumed.exit_code == 0, resumed.output
    assert "done: 18 data keys re-wrapped" in resumed.output
    assert _kek_counts() == {2: 30}
    assert _cli(app, "keys", "rewrap", "--reason", "again").output.endswith(
        "done: 0 data keys re-wrapped\n")
    assert _snapshot(model) == before_blobs  # field ciphertexts untouched

    destroyed = _cli(app, "keys", "destroy-kek", "1", "--reason", "retired")
    assert destroyed.exit_code == 0, destroyed.output
    assert get_keyring(fresh=True).versions("kek")[0].state == "destroyed"
    entries = json.loads(Path(str(get_keyring().path)).read_text())["keys"]
    kek1 = next(e for e in entries if e["purpose"] == "kek" and e["version"] == 1)
    assert kek1["state"] == "destroyed"
    assert "key" not in kek1
    assert _plaintexts(model) == before_plain
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"keys.kek_added", "keys.kek_promoted", "keys.rewrap_finished",
            "keys.kek_destroyed"} <= actions
    status = _cli(app, "keys", "status").output
    assert "kek             2 active        30 subjects' data keys" in status
    assert "destroyed" in status


def test_rewrap_killed_by_a_signal_resumes(rotating: Any, database_url: str,
                                           tmp_path: Path) -> None:
    app, model = rotating
    make_more = 120
    from casework.crypto import new_subject

    for _ in range(make_more):
        db.session.add(new_subject())
    db.session.commit()
    before = _plaintexts(model)
    _cli(app, "keys", "add-kek", "--reason", "r")
    _cli(app, "keys", "promote-kek", "2", "--reason", "r")
    env = {**os.environ, "FLASK_APP": "casework:create_app", "CASEWORK_ENV": "testing",
           "CASEWORK_DATABASE_URL": database_url,
           "CASEWORK_KEY_FILE": str(get_keyring().path),
           "CASEWORK_SECRET_KEY": PRODUCTION_SECRET,
           "CASEWORK_INSTANCE_PATH": str(tmp_path / "inst")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "keys", "rewrap", "--reason", "killed", "--batch", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("re-wrapped"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    proc.stdout.close()
    db.session.expunge_all()
    counts = _kek_counts()
    assert sum(counts.values()) == 150
    assert _plaintexts(model) == before  # nothing lost, whatever the split
    assert _cli(app, "keys", "rewrap", "--reason", "resume").exit_code == 0
    assert _kek_counts() == {2: 150}
    assert _plaintexts(model) == before


def test_rotate_subject_touches_only_her_ciphertexts(rotating: Any,
                                                     make_note: Callable[..., Any]) -> None:
    app, model = rotating
    her = make_note(full_name="Đặng Thị Mai", phone="0911 000 999")
    second = make_note(subject=db.session.get(Subject, her.subject_id), story="thứ hai")
    her_id, her_subject, second_id = her.id, her.subject_id, second.id
    others_subjects = {s.id: (s.wrapped_key, s.key_version) for s in
                       db.session.scalars(select(Subject).where(Subject.id != her_subject))}
    before_blobs, before_plain = _snapshot(model), _plaintexts(model)
    index_before = set(db.session.execute(
        select(BlindIndexEntry.row_id, BlindIndexEntry.index_name, BlindIndexEntry.value)))

    result = _cli(app, "keys", "rotate-subject", str(her_subject), "--reason", "leak")
    assert result.exit_code == 0, result.output
    after_blobs = _snapshot(model)
    for row_id, blobs in before_blobs.items():
        if row_id in (her_id, second_id):
            assert all(a != b for a, b in zip(blobs, after_blobs[row_id], strict=True)
                       if a is not None)
        else:
            assert after_blobs[row_id] == blobs
    assert {s.id: (s.wrapped_key, s.key_version) for s in db.session.scalars(
        select(Subject).where(Subject.id != her_subject))} == others_subjects
    assert db.session.get(Subject, her_subject).key_version == 2
    assert _plaintexts(model) == before_plain
    assert set(db.session.execute(select(BlindIndexEntry.row_id, BlindIndexEntry.index_name,
                                         BlindIndexEntry.value))) == index_before
    assert [n.id for n in blind_index.find(db.session, model, "phone", "0911000999")] == [her_id]


def test_index_rotation_keeps_search_working_throughout(rotating: Any,
                                                        make_note: Callable[..., Any]) -> None:
    _app, model = rotating
    old_id = make_note(phone="0912 111 222").id

    def search(phone: str) -> list[Any]:
        db.session.expunge_all()
        return [n.id for n in blind_index.find(db.session, model, "phone", phone)]

    version = keys.stage_index_key(population=1000)
    assert version == 2
    assert keys.stage_index_key(population=1000) == 2  # re-running continues, no new key
    assert search("0912111222") == [old_id]
    during_id = make_note(phone="0912 333 444").id  # dual-written under v1 and v2
    assert {e.key_version for e in db.session.scalars(
        select(BlindIndexEntry).where(BlindIndexEntry.row_id == during_id))} == {1, 2}
    cursor = keys.backfill_index(db.session, version, model, after=None, batch=10)
    db.session.commit()
    assert search("0912333444") == [during_id]
    while cursor is not None:
        cursor = keys.backfill_index(db.session, version, model, after=cursor, batch=10)
        db.session.commit()
    assert keys.switch_index(version) == 1
    assert search("0912111222") == [old_id]
    assert search("0912333444") == [during_id]
    assert keys.retire_index_keys(db.session) == [1]
    db.session.commit()
    keys.destroy_index_keys([1])
    assert search("0912111222") == [old_id]
    assert set(db.session.scalars(select(BlindIndexEntry.key_version))) == {2}
    bits = get_keyring().active("blind_index").bits
    assert bits == 8  # planned for population 1000
    assert max(db.session.scalars(select(BlindIndexEntry.value))) < 2**8


def test_rotate_index_command(rotating: Any, make_note: Callable[..., Any]) -> None:
    app, model = rotating
    note_id = make_note(national_id="079 190 000 111").id
    result = _cli(app, "keys", "rotate-index", "--reason", "yearly", "--batch", "8")
    assert result.exit_code == 0, result.output
    assert "destroyed blind-index key versions: [1]" in result.output
    assert [k.state for k in get_keyring(fresh=True).versions("blind_index")] == [
        "destroyed", "active"]
    db.session.expunge_all()
    assert [n.id for n in blind_index.find(db.session, model, "national_id",
                                           "079190000111")] == [note_id]
    entries = db.session.scalar(select(func.count()).select_from(BlindIndexEntry))
    assert entries == 31 * 3
