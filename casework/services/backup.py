"""Backups that restore, and the proof that they did.

A backup is two things kept apart: a ``pg_dump`` of the database (ciphertext, useless alone)
and, elsewhere, the key file (the secret that makes it readable). :func:`create_backup` dumps
the database and writes, next to the dump, a **manifest** read in the *same snapshot* as the
dump (``pg_export_snapshot`` + ``pg_dump --snapshot``): row counts, the audit chain's head and
the target-5 figures computed from the case tables. The manifest holds no personal data (counts,
period keys, a sequence number and a MAC).

:func:`check_restore`, run on a database restored from the dump with the key file restored
from its own backup, proves the restore: the schema is at the migrations' head, the audit chain
verifies up to the manifest's head (and against the anchor file's anchors it covers), a sample
of women's records decrypts, and the counts and figures equal the manifest's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from casework import audit, indicators
from casework.audit import anchor as audit_anchor
from casework.crypto.errors import DecryptionError, KeyRingError, SubjectErasedError
from casework.crypto.models import Subject
from casework.db import utcnow
from casework.extensions import db
from casework.models.case import Case
from casework.models.org import OrgUnit
from casework.observability.readiness import database_revisions, migration_heads

MANIFEST_VERSION = 1
# Tables whose row counts must survive a restore unchanged (the records, not caches or
# logins in progress).
COUNTED_TABLES = (
    "org_units", "users", "service_providers", "subjects", "cases", "case_episodes",
    "case_custody", "consents", "needs", "referrals", "referral_events", "case_notes",
    "follow_ups", "audit_events",
)
DEFAULT_SAMPLE = 50


class BackupError(RuntimeError):
    """The backup could not be made (the message says why; it holds no password)."""


def libpq_env(database_url: str) -> dict[str, str]:
    """``PG*`` variables for pg_dump/pg_restore, so no password ever appears on a command line."""
    url = make_url(database_url)
    if not url.get_backend_name().startswith("postgresql"):
        raise BackupError("backups are made with pg_dump: CASEWORK_DATABASE_URL must be "
                          "PostgreSQL")
    env = {"PGDATABASE": url.database or "", "PGHOST": url.host or "",
           "PGPORT": str(url.port or 5432), "PGUSER": url.username or ""}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return {k: v for k, v in env.items() if v}


# --- The manifest -------------------------------------------------------------------------------


def _periods(as_of: date) -> list[indicators.Period]:
    """Every year of the plan to ``as_of`` and the cumulative period."""
    periods = [indicators.parse_period(str(year), as_of)
               for year in range(indicators.PLAN_START.year, as_of.year + 1)]
    return [*periods, indicators.parse_period("cum", as_of)]


def figures(session: Session, as_of: date) -> dict[str, dict[str, dict[str, int]]]:
    """The target group's figures per top-level unit and period, counted from the case tables
    (never the stored figures, which a restore must rebuild)."""
    result: dict[str, dict[str, dict[str, int]]] = {}
    roots = session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None))
                            .order_by(OrgUnit.code)).all()
    for root in roots:
        result[root.code] = {p.key: indicators.totals(root, p, stored=False).as_dict()
                             for p in _periods(as_of)}
    return result


def counts(session: Session) -> dict[str, int]:
    return {t: int(session.scalar(text(f"SELECT count(*) FROM {t}")) or 0)  # noqa: S608
            for t in COUNTED_TABLES}


def manifest(session: Session, as_of: date) -> dict[str, Any]:
    """What the database holds, without a single personal value."""
    head = audit.export_head(session)
    return {
        "version": MANIFEST_VERSION,
        "made_at": audit.stamp(utcnow()),
        "as_of": as_of.isoformat(),
        "revisions": sorted(database_revisions()),
        "audit_head": {"seq": head["seq"], "mac": head["mac"]},
        "counts": counts(session),
        "figures": figures(session, as_of),
    }


@dataclass
class BackupResult:
    dump: Path
    manifest: Path
    dump_seconds: float
    manifest_seconds: float
    dump_bytes: int


@contextmanager
def _snapshot() -> Iterator[str]:
    """Run ``db.session`` in a REPEATABLE READ transaction and give its exported snapshot id
    (valid while the transaction is open; rolled back at the end: nothing is written)."""
    db.session.rollback()
    db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        yield str(db.session.scalar(text("SELECT pg_export_snapshot()")))
    finally:
        db.session.rollback()


def create_backup(database_url: str, directory: Path, as_of: date, *, stamp: str,
                  pg_dump: str = "pg_dump") -> BackupResult:
    """Dump the database to ``directory/casework-<stamp>.dump`` (custom format) and write the
    manifest of the same snapshot to ``casework-<stamp>.manifest.json``. Both files mode 0600."""
    executable = shutil.which(pg_dump)
    if executable is None:
        raise BackupError(f"{pg_dump} not found: install postgresql-client")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    dump = directory / f"casework-{stamp}.dump"
    manifest_path = directory / f"casework-{stamp}.manifest.json"
    env = {**os.environ, **libpq_env(database_url)}
    with _snapshot() as snapshot:
        started = time.perf_counter()
        old_umask = os.umask(0o077)
        try:
            completed = subprocess.run(  # noqa: S603 - our own pg_dump, no shell
                [executable, "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={dump}"],
                env=env, capture_output=True, text=True, check=False)
        finally:
            os.umask(old_umask)
        dump_seconds = time.perf_counter() - started
        if completed.returncode != 0:
            dump.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {completed.stderr.strip()[-500:]}")
        started = time.perf_counter()
        document = manifest(db.session(), as_of)
        manifest_seconds = time.perf_counter() - started
    fd = os.open(manifest_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write("\n")
    return BackupResult(dump, manifest_path, dump_seconds, manifest_seconds,
                        dump.stat().st_size)


# --- The restore check --------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


@dataclass
class RestoreReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


def _timed(report: RestoreReport, name: str, run: Callable[[], tuple[bool, str]]) -> None:
    started = time.perf_counter()
    try:
        ok, detail = run()
    except Exception as error:  # a broken restore must fail its check, not the whole drill
        db.session.rollback()
        ok, detail = False, f"{type(error).__name__}: {str(error)[:200]}"
    report.checks.append(Check(name, ok, detail, time.perf_counter() - started))


def check_restore(document: dict[str, Any], *, anchor_file: Path | None = None,
                  sample: int = DEFAULT_SAMPLE) -> RestoreReport:
    """Every check of a restored database against the manifest made with its dump."""
    session = db.session
    report = RestoreReport()

    def migrations() -> tuple[bool, str]:
        current, heads = database_revisions(), migration_heads()
        if current != heads:
            return False, f"schema at {sorted(current)}, code at {sorted(heads)}"
        if sorted(current) != document.get("revisions"):
            return True, (f"at head {sorted(current)} (the backup was at "
                          f"{document.get('revisions')}: upgraded since)")
        return True, f"at head {sorted(current)}"

    def audit_chain() -> tuple[bool, str]:
        head = document["audit_head"]
        anchors: list[dict[str, Any]] = []
        later = 0
        if anchor_file is not None:
            for anchor in audit_anchor.read_anchors(anchor_file):
                if anchor["seq"] <= head["seq"]:
                    anchors.append(anchor)
                else:
                    later += 1
        result = audit.verify(session(), head={**head, "at": document["made_at"]},
                              anchors=anchors)
        if not result.ok:
            return False, (f"{result.problem} at event {result.first_bad_seq} "
                           f"(backup head {head['seq']})")
        if result.head_seq != head["seq"]:
            return False, f"chain ends at {result.head_seq}, the backup's at {head['seq']}"
        note = (f"; {later} anchors name events after the backup: those events are lost"
                if later else "")
        return True, f"{result.count} events verified to head {head['seq']}{note}"

    def decrypt() -> tuple[bool, str]:
        name = Case.__table__.c.full_name_enc
        ids = session.scalars(
            select(Case.id).join(Subject, Case.subject_id == Subject.id)
            .where(Subject.erased.is_(False), name.is_not(None))
            .order_by(func.random()).limit(sample)).all()
        bad = 0
        for case_id in ids:
            case = session.get(Case, case_id)
            try:
                values = (case.full_name, case.date_of_birth, case.phone)  # type: ignore[union-attr]
            except (DecryptionError, KeyRingError, SubjectErasedError):
                bad += 1
                continue
            if not values[0]:
                bad += 1
        session.expunge_all()
        if bad or (not ids and document["counts"].get("cases", 0)):
            return False, f"{bad} of {len(ids)} sampled women's records did not decrypt"
        return True, f"{len(ids)} sampled women's records decrypted"

    def same_counts() -> tuple[bool, str]:
        now = counts(session())
        wrong = {t: (n, now.get(t)) for t, n in document["counts"].items() if now.get(t) != n}
        if wrong:
            return False, "; ".join(f"{t}: {now} (backup {was})"
                                    for t, (was, now) in sorted(wrong.items()))
        return True, f"{sum(now.values())} rows in {len(now)} tables as in the manifest"

    def same_figures() -> tuple[bool, str]:
        as_of = date.fromisoformat(document["as_of"])
        now = figures(session(), as_of)
        if now != document["figures"]:
            wrong = [f"{unit} {key}: {now.get(unit, {}).get(key)} (backup {was})"
                     for unit, periods in document["figures"].items()
                     for key, was in periods.items() if now.get(unit, {}).get(key) != was]
            return False, "; ".join(wrong) or "units differ"
        n = sum(len(p) for p in now.values())
        return True, f"target-5 figures of {n} unit-periods as of {as_of} equal the manifest"

    _timed(report, "migrations", migrations)
    _timed(report, "audit chain", audit_chain)
    _timed(report, "decryption", decrypt)
    _timed(report, "row counts", same_counts)
    _timed(report, "target-5 figures", same_figures)
    return report
