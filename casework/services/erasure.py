"""Crypto-erasure of one woman: destroy her data key and index values, keep a tombstone.

After :func:`erase_subject` and the caller's commit, nothing of hers can be decrypted or
found by search in the live database: her wrapped data key and blind-index values are gone
(overwritten on disk by SQLite's ``secure_delete`` and a WAL checkpoint; PostgreSQL gets a
``VACUUM`` of the touched tables), and her encrypted columns are NULL. Her subject row stays
as a tombstone (no personal data) so counts and referral statistics stay right.

A backup taken before the erasure still holds her wrapped key; it becomes unreadable when
that backup expires (``CASEWORK_BACKUP_RETENTION_DAYS``) or when the KEK epoch that wrapped
it is destroyed, whichever comes first. :attr:`ErasureReceipt.complete_at` is that date.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Engine, delete, event, text, update
from sqlalchemy.orm import Session

from casework import audit
from casework.crypto.envelope import forget_subject
from casework.crypto.fields import encrypted_fields
from casework.crypto.models import BlindIndexEntry, Subject
from casework.crypto.rotation import present_models
from casework.db import rows_affected, utcnow

log = logging.getLogger("casework.erasure")
DEFAULT_RETENTION_DAYS = 35


@dataclass(frozen=True)
class ErasureReceipt:
    subject_id: uuid.UUID
    erased_at: datetime
    complete_at: datetime  # when no backup can still hold her wrapped data key
    fields_cleared: int
    index_values_removed: int


def _retention_days() -> int:
    if has_app_context():
        return int(current_app.config.get("CASEWORK_BACKUP_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    return DEFAULT_RETENTION_DAYS


def completion_date(erased_at: datetime) -> datetime:
    """When an erasure done at ``erased_at`` is complete, given the backup retention."""
    return erased_at + timedelta(days=_retention_days())


def scrub_storage(engine: Engine) -> None:
    """Push erased bytes out of the database files (best effort; logged, never raised).

    SQLite: checkpoint the WAL into the main file and truncate the WAL; with secure_delete
    the freed cells were zeroed. PostgreSQL: VACUUM the tables that held her key and index
    values (dead row versions are pruned; WAL segments recycle on their own schedule).
    """
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM subjects, blind_index_entries")
    except Exception:
        log.exception("erasure: storage scrub did not complete; it will on the next checkpoint")


def erase_subject(subject_id: uuid.UUID, *, actor: Any, reason: str,
                  session: Session | None = None) -> ErasureReceipt:
    """Crypto-erase one woman. Flushes; the caller commits (the storage scrub runs after).

    Idempotent: erasing an erased subject returns the original receipt without a new event.
    Raises LookupError for an unknown subject and ValueError without a reason.
    """
    if not reason or not reason.strip():
        raise ValueError("an erasure needs a reason")
    if session is None:
        from casework.extensions import db

        session = db.session()
    subject = session.get(Subject, subject_id, with_for_update=True)
    if subject is None:
        raise LookupError(f"no subject {subject_id}")
    if subject.erased and subject.erased_at is not None:
        return ErasureReceipt(subject.id, subject.erased_at, completion_date(subject.erased_at),
                              0, 0)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))

    cleared = 0
    for model in present_models(session):
        columns = {spec.column: None for spec in encrypted_fields(model).values()}
        if not columns:
            continue
        result = session.execute(
            update(model).where(model.subject_id == subject_id).values(columns)
            .execution_options(synchronize_session="fetch"))
        cleared += rows_affected(result) * len(columns)
    for obj in list(session.identity_map.values()):
        if getattr(obj, "subject_id", None) == subject_id:
            obj.__dict__.pop("_cw_plain", None)
            obj.__dict__.pop("_cw_pending", None)
    removed = rows_affected(session.execute(
        delete(BlindIndexEntry).where(BlindIndexEntry.subject_id == subject_id)
    ))

    now = utcnow()
    subject.wrapped_key = None
    subject.kek_version = None
    subject.erased = True
    subject.erased_at = now
    forget_subject(subject_id)
    audit.record("subject.erased", target_type="subject", target_id=subject_id, actor=actor,
                 details={"reason": reason, "index_values_removed": removed}, session=session)
    session.flush()
    engine = session.get_bind()
    if not isinstance(engine, Engine):
        engine = engine.engine
    event.listen(session, "after_commit", lambda _s: scrub_storage(engine), once=True)
    return ErasureReceipt(subject_id, now, completion_date(now), cleared, removed)
