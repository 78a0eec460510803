"""Encryption for bulk Core inserts (imports): the same bytes the ORM flush hook writes.

The ORM path (``case.full_name = ...`` then flush) costs SQLAlchemy's unit of work per row,
which is too slow for 10,000 imported women. A bulk writer instead builds plain dicts and
inserts them with ``session.execute(insert(Table), rows)``; these helpers give it, for one
row, exactly what the flush hook in :mod:`casework.crypto.fields` would have stored:

* :func:`subject_row` - a new woman's key row (as :func:`casework.crypto.new_subject`);
* :func:`encrypt_values` - the ``<name>_enc`` column values, AES-256-GCM under her data key
  with table, column, row UUID, subject UUID and data-key version in the associated data;
* :func:`index_rows` - the ``blind_index_entries`` rows for every declared index of the model,
  under every blind-index key version that is written (active and decrypt-only).

The caller generates row UUIDs in Python before calling (they are part of the associated
data), and must insert the subject rows before the rows that point at them. Raises
KeyRingError without keys, TypeError for a value of the wrong type, KeyError for a name that
is not an encrypted attribute of the model.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from casework.crypto import envelope, primitives
from casework.crypto.blind_index import full_name, index_value, written_keys
from casework.crypto.fields import encrypted_fields


def subject_row() -> dict[str, Any]:
    """Column values of a new woman's ``subjects`` row (fresh data key, wrapped under the
    active KEK, cached for this request like :func:`casework.crypto.new_subject`)."""
    subject = envelope.new_subject()
    return {"id": subject.id, "wrapped_key": subject.wrapped_key,
            "kek_version": subject.kek_version, "key_version": subject.key_version,
            "erased": False}


def encrypt_values(session: Session, model: type[Any], *, row_id: uuid.UUID,
                   subject_id: uuid.UUID, values: Mapping[str, Any]) -> dict[str, bytes | None]:
    """``{"<name>_enc": ciphertext or None}`` for the encrypted attributes named in ``values``.

    ``session`` is only used to load the woman's data key when it is not cached yet.
    """
    table = model.__tablename__
    fields = encrypted_fields(model)
    out: dict[str, bytes | None] = {}
    for name, value in values.items():
        spec = fields[name]
        if value is None:
            out[spec.column] = None
            continue
        if not isinstance(value, spec.value_type) or (
                spec.value_type is date and isinstance(value, datetime)):
            raise TypeError(f"{name} takes {spec.value_type.__name__} or None")
        version, key = envelope.field_key(session, subject_id, table, spec.column)
        out[spec.column] = primitives.encrypt_field(
            key, primitives.encode_value(value), table=table, column=spec.column,
            row_id=row_id, subject_id=subject_id, dk_version=version)
    return out


def index_rows(model: type[Any], *, row_id: uuid.UUID, subject_id: uuid.UUID,
               values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``blind_index_entries`` rows of one new record (plaintext ``values`` by attribute name;
    an index with a missing or unusable covered field gets no row, as in the ORM path)."""
    table = model.__tablename__
    keys = written_keys()
    rows: list[dict[str, Any]] = []
    for index in getattr(model, "__blind_indexes__", ()):
        term = index.term_for([values.get(f) for f in index.fields])
        if term is None:
            continue
        name = full_name(table, index)
        rows.extend({"index_name": name, "key_version": k.version,
                     "value": index_value(k, name, term), "row_id": row_id,
                     "subject_id": subject_id} for k in keys)
    return rows
