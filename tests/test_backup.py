"""Backups that restore: dump, restore into an empty database, prove it (and refuse what isn't).

The round trip runs on PostgreSQL (CI's second pass): the demo province is loaded through the
app's services, ``flask backup create`` dumps it with its manifest, ``pg_restore`` loads the dump
into an empty database, and ``flask backup verify-restore`` proves it. A restore checked with
another key file, against a manifest whose figures differ, or missing its newest audit event
fails, saying which check.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from casework import create_app, demo
from casework.crypto.keyring import create_key_file
from casework.extensions import db
from casework.services.backup import libpq_env
from tests.conftest import PG_URL, _admin_engine, base_env


@pytest.fixture
def restored_url():
    name = f"casework_restore_{os.getpid()}_{secrets.token_hex(4)}"
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(False)
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _restore(dump: Path, url: str) -> None:
    env = libpq_env(url)
    done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                           f"--dbname={env['PGDATABASE']}", str(dump)], env={**os.environ, **env},
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _verify(url: str, key_file: Path, tmp_path: Path, manifest: Path, *extra: str):
    """Run the drill as an operator would: an app on the restored database (its own context,
    not the test's, which the CLI would otherwise reuse)."""
    app = create_app(base_env(url, key_file, tmp_path / "restored-instance"))
    with app.app_context():
        try:
            return app.test_cli_runner().invoke(
                args=["backup", "verify-restore", "--manifest", str(manifest), *extra])
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres_only
def test_a_backup_restores_into_an_empty_database_and_proves_it(
        app, database_url, restored_url, key_file, tmp_path):
    demo.load_all()
    db.session.commit()
    backups = tmp_path / "backups"
    result = app.test_cli_runner().invoke(
        args=["backup", "create", "--output-dir", str(backups)])
    assert result.exit_code == 0, result.output
    dump = next(backups.glob("casework-*.dump"))
    manifest = next(backups.glob("casework-*.manifest.json"))
    assert (dump.stat().st_mode & 0o777, manifest.stat().st_mode & 0o777) == (0o600, 0o600)
    document = json.loads(manifest.read_text("utf-8"))
    assert document["counts"]["cases"] > 0
    assert document["counts"]["audit_events"] == document["audit_head"]["seq"] > 0
    connected = sum(f["connected"] for periods in document["figures"].values()
                    for f in periods.values())
    assert connected > 0, "the demo's figures should not all be zero"
    assert "Nguyễn" not in manifest.read_text("utf-8")  # counts and codes, no names

    _restore(dump, restored_url)

    proven = _verify(restored_url, key_file, tmp_path, manifest)
    assert proven.exit_code == 0, proven.output
    for check in ("migrations", "audit chain", "decryption", "row counts", "target-5 figures"):
        assert f"OK  {check}" in proven.output
    assert "RESTORE PROVEN" in proven.output

    # The wrong key file: nothing decrypts, the audit chain's MACs do not match.
    other_keys = tmp_path / "other-keys.json"
    create_key_file(other_keys)
    wrong_keys = _verify(restored_url, other_keys, tmp_path, manifest)
    assert wrong_keys.exit_code == 1
    assert "BAD decryption" in wrong_keys.output
    assert "BAD audit chain" in wrong_keys.output
    assert "RESTORE NOT PROVEN" in wrong_keys.output

    # A manifest that is not this backup's: the figures differ.
    changed = json.loads(manifest.read_text("utf-8"))
    unit = next(iter(changed["figures"]))
    changed["figures"][unit]["cum"]["connected"] += 1
    other_manifest = tmp_path / "other.manifest.json"
    other_manifest.write_text(json.dumps(changed), "utf-8")
    mismatched = _verify(restored_url, key_file, tmp_path, other_manifest)
    assert mismatched.exit_code == 1
    assert "BAD target-5 figures" in mismatched.output
    assert f"{unit} cum: " in mismatched.output
    assert "OK  decryption" in mismatched.output

    # A restore that lost its newest audit event (triggers bypassed as a superuser would).
    engine = sa.create_engine(restored_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("SET session_replication_role = replica"))
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = "
                             "(SELECT max(seq) FROM audit_events)"))
    engine.dispose()
    cut = _verify(restored_url, key_file, tmp_path, manifest)
    assert cut.exit_code == 1
    assert "BAD audit chain" in cut.output
    assert "cut tail" in cut.output
    assert "BAD row counts" in cut.output


@pytest.mark.postgres_only
def test_anchors_newer_than_the_backup_are_reported_as_lost(
        app, database_url, restored_url, key_file, tmp_path):
    from casework.audit import anchor as audit_anchor

    demo.load_all()
    db.session.commit()
    backups = tmp_path / "backups"
    assert app.test_cli_runner().invoke(
        args=["backup", "create", "--output-dir", str(backups)]).exit_code == 0
    anchors = tmp_path / "anchors.jsonl"
    audit_anchor.write_anchor(db.session(), anchors, source="test")
    from casework import audit

    audit.record("test.after_backup")
    db.session.commit()
    audit_anchor.write_anchor(db.session(), anchors, source="test")
    dump = next(backups.glob("casework-*.dump"))
    _restore(dump, restored_url)
    result = _verify(restored_url, key_file, tmp_path,
                     next(backups.glob("casework-*.manifest.json")),
                     "--anchor-file", str(anchors))
    assert result.exit_code == 0, result.output
    assert "1 anchors name events after the backup: those events are lost" in result.output


def test_backups_need_postgresql_and_never_put_a_password_on_a_command_line(app, tmp_path):
    env = libpq_env("postgresql+psycopg://casework_owner:s3cret@db.example:5433/casework")
    assert env == {"PGDATABASE": "casework", "PGHOST": "db.example", "PGPORT": "5433",
                   "PGUSER": "casework_owner", "PGPASSWORD": "s3cret"}
    if not PG_URL:
        result = app.test_cli_runner().invoke(args=["backup", "create", "--output-dir",
                                                    str(tmp_path)])
        assert result.exit_code == 1
        assert "CASEWORK_DATABASE_URL must be PostgreSQL" in result.output
