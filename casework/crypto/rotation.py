"""Key rotation (the byte-level work behind `flask keys ...`): status, KEK epochs, re-wrap,
blind-index rotation. Functions flush, never commit; the CLI commits (per batch for the
long-running ones, which is what makes them resumable after a crash).

Why a KEK is added in ``decrypt-only`` state and promoted separately: every running process
must know a KEK before any process wraps with it. Processes re-read the key file within a
second of a change (``KeyRingHolder``), so add, wait, promote, then re-wrap.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, inspect, select, update
from sqlalchemy.orm import Session

from casework.crypto import primitives
from casework.crypto.blind_index import entries_for, full_name, plan_bits
from casework.crypto.context import get_keyring
from casework.crypto.envelope import forget_subject, unwrap_subject_key
from casework.crypto.errors import KeyDependencyError, KeyRingError
from casework.crypto.fields import encrypted_fields, encrypted_models, read_plain
from casework.crypto.keyring import KeyRing, new_key, with_state, write_keyring
from casework.crypto.models import BlindIndexEntry, Subject
from casework.models.audit import AuditEvent


@dataclass(frozen=True)
class KeyUse:
    purpose: str
    version: int
    state: str
    depends: str  # human-readable: what still needs this version


def present_models(session: Session) -> list[type[Any]]:
    """Registered encrypted models whose table exists in this database."""
    inspector = inspect(session.connection())
    return [m for m in encrypted_models() if inspector.has_table(m.__tablename__)]


def status(session: Session) -> list[KeyUse]:
    """Every key version and what depends on it (counts come from the database)."""
    per_kek = dict(session.execute(
        select(Subject.kek_version, func.count()).where(Subject.erased.is_(False))
        .group_by(Subject.kek_version)).all())
    per_index = dict(session.execute(
        select(BlindIndexEntry.key_version, func.count()).group_by(BlindIndexEntry.key_version)
    ).all())
    per_audit = dict(session.execute(
        select(AuditEvent.key_version, func.count()).group_by(AuditEvent.key_version)).all())
    uses: list[KeyUse] = []
    for key in get_keyring():
        if key.purpose == "kek":
            depends = f"{per_kek.get(key.version, 0)} subjects' data keys"
        elif key.purpose == "blind_index":
            depends = f"{per_index.get(key.version, 0)} index values ({key.bits} bits)"
        elif key.purpose == "audit":
            depends = f"{per_audit.get(key.version, 0)} audit events (verification)"
        else:
            depends = "sealed app secrets (TOTP seeds, tokens): not counted"
        uses.append(KeyUse(key.purpose, key.version, key.state, depends))
    return uses


def _save(ring: KeyRing) -> KeyRing:
    if ring.path is None:
        raise KeyRingError("the key ring has no file to save to")
    write_keyring(ring, ring.path)
    return get_keyring(fresh=True)


def add_kek() -> int:
    """Add a new KEK epoch in decrypt-only state; returns its version."""
    ring = get_keyring(fresh=True)
    version = ring.next_version("kek")
    _save(ring.replace_key(new_key("kek", version, "decrypt-only")))
    return version


def promote_kek(version: int) -> int:
    """Make KEK ``version`` the one that wraps; the previous active becomes decrypt-only."""
    ring = get_keyring(fresh=True)
    ring.get("kek", version)  # must exist and not be destroyed
    old = ring.active("kek").version
    if old != version:
        ring = with_state(with_state(ring, "kek", old, "decrypt-only"), "kek", version, "active")
        _save(ring)
    return old


def rewrap_batch(session: Session, batch: int = 500) -> int:
    """Re-wrap up to ``batch`` data keys under the active KEK; returns how many were done."""
    return rewrap_page(session, batch, after=None)[0]


def rewrap_page(session: Session, batch: int = 500, *,
                after: uuid.UUID | None = None) -> tuple[int, uuid.UUID | None]:
    """Re-wrap the next ``batch`` old-KEK data keys after ``after`` (keyset pagination).

    Returns (re-wrapped, cursor); the cursor is None when the end of the table was reached.
    Idempotent and online: each row is updated only if it still has the wrapping we read
    (a concurrent erasure or rotation wins), so re-running after a crash just continues.
    """
    kek = get_keyring().active("kek")
    query = (select(Subject.id, Subject.wrapped_key, Subject.kek_version, Subject.key_version)
             .where(Subject.erased.is_(False), Subject.wrapped_key.is_not(None),
                    Subject.kek_version != kek.version)
             .order_by(Subject.id).limit(batch))
    if after is not None:
        query = query.where(Subject.id > after)
    rows = session.execute(query).all()
    params = []
    for subject_id, wrapped, kek_version, key_version in rows:
        if wrapped is None or kek_version is None:
            continue
        old = get_keyring().secret("kek", kek_version)
        data_key = primitives.unwrap_key(old, wrapped, subject_id=subject_id,
                                         dk_version=key_version)
        params.append({"b_id": subject_id, "b_old": wrapped, "b_new": primitives.wrap_key(
            kek.material, kek.version, data_key, subject_id=subject_id, dk_version=key_version)})
    done = 0
    if params:
        table = cast(Table, Subject.__table__)
        result = session.execute(
            update(table).where(table.c.id == bindparam("b_id"),
                                table.c.wrapped_key == bindparam("b_old"),
                                table.c.erased.is_(False))
            .values(wrapped_key=bindparam("b_new"), kek_version=kek.version), params)
        sane = session.get_bind().dialect.supports_sane_multi_rowcount
        done = (result.rowcount if sane else len(params)) or 0  # type: ignore[attr-defined]
    session.flush()
    return done, (rows[-1][0] if len(rows) == batch else None)


def remaining_to_rewrap(session: Session) -> int:
    active = get_keyring().active("kek").version
    return session.scalar(select(func.count()).select_from(Subject).where(
        Subject.erased.is_(False), Subject.wrapped_key.is_not(None),
        Subject.kek_version != active)) or 0


def destroy_kek(session: Session, version: int) -> None:
    """Destroy a retired KEK epoch. Refused while it is active or wraps any data key."""
    ring = get_keyring(fresh=True)
    key = ring.get("kek", version)
    if key.state == "active":
        raise KeyDependencyError(f"KEK version {version} is active: promote another first")
    users = session.scalar(select(func.count()).select_from(Subject).where(
        Subject.kek_version == version, Subject.erased.is_(False))) or 0
    if users:
        raise KeyDependencyError(
            f"KEK version {version} still wraps {users} data keys: run `flask keys rewrap`")
    _save(with_state(ring, "kek", version, "destroyed"))


def _her_rows(session: Session, subject_id: uuid.UUID) -> Iterator[Any]:
    for model in present_models(session):
        yield from session.scalars(select(model).where(model.subject_id == subject_id))


def rotate_subject(session: Session, subject_id: uuid.UUID) -> int:
    """Give one woman a new data key and re-encrypt her fields; returns fields re-encrypted.

    Only her rows change; every other ciphertext stays byte-identical. Atomic: the caller
    commits once, so a crash leaves either the old key and ciphertexts or the new ones.
    """
    subject = session.get(Subject, subject_id, with_for_update=True)
    if subject is None:
        raise LookupError(f"no subject {subject_id}")
    old_key, old_version = unwrap_subject_key(subject), subject.key_version
    new_version, new_dk = old_version + 1, primitives.new_data_key()
    count = 0
    for row in _her_rows(session, subject_id):
        table = row.__tablename__
        for spec in encrypted_fields(type(row)).values():
            blob = getattr(row, spec.column)
            if blob is None:
                continue
            ad = {"table": table, "column": spec.column, "row_id": row.id,
                  "subject_id": subject_id}
            plain = primitives.decrypt_field(
                primitives.field_key(old_key, table, spec.column), blob, **ad)
            setattr(row, spec.column, primitives.encrypt_field(
                primitives.field_key(new_dk, table, spec.column), plain,
                dk_version=new_version, **ad))
            count += 1
        row.__dict__.pop("_cw_plain", None)
    kek = get_keyring().active("kek")
    subject.wrapped_key = primitives.wrap_key(kek.material, kek.version, new_dk,
                                              subject_id=subject_id, dk_version=new_version)
    subject.kek_version, subject.key_version = kek.version, new_version
    forget_subject(subject_id)
    session.flush()
    return count


# -- blind-index key rotation ------------------------------------------------------------------

def stage_index_key(population: int, coincidences: float = 2.0) -> int:
    """Add a new blind-index key (decrypt-only = written, not searched); returns its version.

    Reuses an already staged key, so re-running after a crash continues the same rotation.
    """
    ring = get_keyring(fresh=True)
    active = ring.active("blind_index").version
    staged = [k for k in ring.versions("blind_index") if k.usable and k.version > active]
    if staged:
        return staged[-1].version
    version = ring.next_version("blind_index")
    _save(ring.replace_key(new_key("blind_index", version, "decrypt-only",
                                   bits=plan_bits(population, coincidences))))
    return version


def backfill_index(session: Session, version: int, model: type[Any], *,
                   after: uuid.UUID | None, batch: int = 500) -> uuid.UUID | None:
    """Write missing values of index key ``version`` for the next ``batch`` rows of ``model``.

    Returns the cursor for the next call, or None when the model is done. Idempotent: rows
    that already have a value for this key version are skipped.
    """
    key = get_keyring().get("blind_index", version)
    query = select(model).order_by(model.id).limit(batch)
    if after is not None:
        query = query.where(model.id > after)
    rows: Sequence[Any] = session.scalars(query).all()
    for row in rows:
        have = set(session.scalars(select(BlindIndexEntry.index_name).where(
            BlindIndexEntry.row_id == row.id, BlindIndexEntry.key_version == version)))
        for index in model.__blind_indexes__:
            if full_name(model.__tablename__, index) in have:
                continue
            values = [read_plain(row, f, notify=False) for f in index.fields]
            session.add_all(entries_for(model.__tablename__, index, values, row_id=row.id,
                                        subject_id=row.subject_id, keys=[key]))
    session.flush()
    return rows[-1].id if len(rows) == batch else None


def switch_index(version: int) -> int:
    """Search with ``version`` from now on; the old active key stays written (decrypt-only)."""
    ring = get_keyring(fresh=True)
    old = ring.active("blind_index").version
    if old != version:
        _save(with_state(with_state(ring, "blind_index", old, "decrypt-only"),
                         "blind_index", version, "active"))
    return old


def retire_index_keys(session: Session) -> list[int]:
    """Delete the values of every non-active blind-index key older than the active one and
    destroy those keys (the last step of rotate-index)."""
    ring = get_keyring(fresh=True)
    active = ring.active("blind_index").version
    old = [k.version for k in ring.versions("blind_index") if k.usable and k.version < active]
    for version in old:
        session.execute(delete(BlindIndexEntry).where(BlindIndexEntry.key_version == version))
    session.flush()
    return old


def destroy_index_keys(versions: list[int]) -> None:
    ring = get_keyring(fresh=True)
    for version in versions:
        ring = with_state(ring, "blind_index", version, "destroyed")
    _save(ring)
