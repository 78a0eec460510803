"""Envelope encryption: one random data key per woman, wrapped under the active KEK.

Data keys are unwrapped at most once per request (cached by :mod:`casework.crypto.context`)
and field keys are derived from them with HKDF, so a page that shows five fields of one
woman costs one unwrap.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from casework.crypto import primitives
from casework.crypto.context import get_keyring, key_cache
from casework.crypto.errors import CryptoError, SubjectErasedError
from casework.crypto.models import Subject


def new_subject() -> Subject:
    """A new woman's key row: fresh data key, wrapped under the active KEK (add it to a session).

    Raises KeyRingError when no key ring is loaded.
    """
    kek = get_keyring().active("kek")
    subject_id = uuid.uuid4()
    data_key = primitives.new_data_key()
    wrapped = primitives.wrap_key(kek.material, kek.version, data_key, subject_id=subject_id,
                                  dk_version=1)
    key_cache()[("dk", subject_id)] = (1, data_key)
    return Subject(id=subject_id, wrapped_key=wrapped, kek_version=kek.version, key_version=1,
                   erased=False)


def unwrap_subject_key(subject: Subject | Any) -> bytes:
    """Unwrap one subject's data key (no cache). Raises SubjectErasedError, DecryptionError."""
    if subject.erased or subject.wrapped_key is None or subject.kek_version is None:
        raise SubjectErasedError(f"subject {subject.id} was erased")
    kek = get_keyring().secret("kek", subject.kek_version)
    return primitives.unwrap_key(kek, subject.wrapped_key, subject_id=subject.id,
                                 dk_version=subject.key_version)


_PREFETCH = 500  # wrapped keys fetched in one query when a page lists many women
_KEY_ROWS = (select(Subject.id, Subject.key_version, Subject.wrapped_key, Subject.kek_version,
                    Subject.erased)
             .where(Subject.id.in_(bindparam("ids", expanding=True))))


def _wrapped_keys(session: Session, subject_id: uuid.UUID) -> Any:
    """The stored key row of ``subject_id``, fetched with those of every other woman whose rows
    this session holds and whose key is not cached yet: one query for a list page, not one per
    woman. Only wrapped keys are fetched; each is unwrapped when first needed."""
    cache = key_cache()
    hit = cache.get(("wrapped", subject_id))
    if hit is not None:
        return hit
    wanted = {subject_id}
    for obj in list(session.identity_map.values()):
        other = getattr(obj, "subject_id", None)
        if isinstance(other, uuid.UUID) and ("dk", other) not in cache:
            wanted.add(other)
            if len(wanted) >= _PREFETCH:
                break
    # Core on the session's connection: no autoflush, no ORM bookkeeping.
    rows = session.connection().execute(_KEY_ROWS, {"ids": list(wanted)}).all()
    for row in rows:
        cache[("wrapped", row.id)] = row
    return cache.get(("wrapped", subject_id))


def data_key(session: Session, subject_id: uuid.UUID) -> tuple[int, bytes]:
    """(version, key) of a woman's current data key, unwrapped once per request."""
    cache = key_cache()
    hit = cache.get(("dk", subject_id))
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    # A key row changed in this session (rotation, erasure) wins over the stored one.
    subject: Any = session.identity_map.get(identity_key(Subject, subject_id))
    if subject is None:
        subject = _wrapped_keys(session, subject_id)
    if subject is None:
        raise CryptoError(f"subject {subject_id} does not exist")
    entry = (subject.key_version, unwrap_subject_key(subject))
    cache[("dk", subject_id)] = entry
    cache.pop(("wrapped", subject_id), None)
    return entry


def field_key(session: Session, subject_id: uuid.UUID, table: str,
              column: str) -> tuple[int, bytes]:
    """(data-key version, derived key) for one woman's column, cached per request."""
    cache = key_cache()
    hit = cache.get(("fk", subject_id, table, column))
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    version, dk = data_key(session, subject_id)
    entry = (version, primitives.field_key(dk, table, column))
    cache[("fk", subject_id, table, column)] = entry
    return entry


def forget_subject(subject_id: uuid.UUID) -> None:
    """Drop a woman's cached keys (after her key was rotated or erased)."""
    cache = key_cache()
    for cache_key in [k for k in cache if isinstance(k, tuple) and k[1] == subject_id]:
        del cache[cache_key]
