"""Blind indexes: truncated HMACs of normalised terms, for exact-match search and duplicates.

Planning. With ``P`` = the planned number of subjects (``CASEWORK_BLIND_INDEX_POPULATION``)
and ``C`` = the wanted coincidence count (``CASEWORK_BLIND_INDEX_COINCIDENCES``, default 2),
an index keeps ``bits = clamp(floor(log2(P / C)), 8, 32)`` bits. At the planned population a
lookup then returns on average between C and 2C false candidates besides the true ones
(``P / 2**bits``), so a match is never proof to someone who holds the database and a guessed
key, and decrypt-and-filter stays cheap. The bit length is fixed per index key version (stored
with the key) so that changing the setting never breaks existing values; it takes effect at
the next `flask keys rotate-index`.

Search. :func:`candidates` gives a SELECT of the rows whose index value matches; :func:`find`
runs it, decrypts the candidates' indexed fields and keeps only the true matches. Pass the
caller's scoped query (``within``) so only rows the user may see are even considered.
:func:`find_many` does the same for many searches of one index at once (an import's duplicate
check): a few chunked queries instead of one per row.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from casework.crypto import primitives
from casework.crypto.context import get_keyring, key_cache
from casework.crypto.errors import CryptoError
from casework.crypto.keyring import Key
from casework.crypto.models import BlindIndexEntry
from casework.crypto.normalize import fold_loose, normalize_national_id, normalize_phone

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
MIN_BITS, MAX_BITS = 8, 32


def plan_bits(population: int, coincidences: float = 2.0) -> int:
    """Truncation length for ``population`` subjects and the wanted coincidence count."""
    if population < 1 or coincidences <= 0:
        raise ValueError("population and coincidences must be positive")
    raw = math.floor(math.log2(max(population / coincidences, 1.0)))
    return max(MIN_BITS, min(MAX_BITS, raw))


def expected_false_candidates(population: int, bits: int) -> float:
    """Average number of unrelated rows sharing one index value at ``population`` rows."""
    return float(population) / float(1 << bits)


def _name_year(name: Any, born: Any) -> str | None:
    if not isinstance(name, str) or born is None:
        return None
    year = born.year if isinstance(born, date) else int(born)
    folded = fold_loose(name)
    return f"{folded}|{year:04d}" if folded else None


def _phone(value: Any) -> str | None:
    digits = normalize_phone(value) if isinstance(value, str) else ""
    return digits if len(digits) >= 8 else None


def _national_id(value: Any) -> str | None:
    digits = normalize_national_id(value) if isinstance(value, str) else ""
    return digits if len(digits) >= 6 else None


@dataclass(frozen=True)
class BlindIndex:
    """A declared index: its name, the encrypted fields it covers and how to normalise them."""

    name: str
    fields: tuple[str, ...]
    term: Callable[..., str | None]

    def term_for(self, values: Sequence[Any]) -> str | None:
        return self.term(*values)


def name_year_index(name_field: str = "full_name", born_field: str = "date_of_birth",
                    name: str = "name_birth_year") -> BlindIndex:
    """Loose-folded full name + birth year (search with a name and a year or a date)."""
    return BlindIndex(name, (name_field, born_field), _name_year)


def phone_index(field: str = "phone", name: str = "phone") -> BlindIndex:
    return BlindIndex(name, (field,), _phone)


def national_id_index(field: str = "national_id", name: str = "national_id") -> BlindIndex:
    return BlindIndex(name, (field,), _national_id)


def full_name(table: str, index: BlindIndex) -> str:
    return f"{table}.{index.name}"


def _index_key(key: Key, name: str) -> bytes:
    cache = key_cache()
    hit: bytes | None = cache.get(("bi", key.version, name))
    if hit is None:
        hit = primitives.index_key(key.material, name)
        cache[("bi", key.version, name)] = hit
    return hit


def index_value(key: Key, name: str, term: str) -> int:
    """The stored value of ``term`` in index ``name`` under one blind-index key version."""
    return primitives.truncated_hmac(_index_key(key, name), term, key.bits or 0)


def written_keys() -> list[Key]:
    """Blind-index key versions that are maintained on write (active and decrypt-only)."""
    return [k for k in get_keyring().versions("blind_index") if k.usable]


def entries_for(table: str, index: BlindIndex, values: Sequence[Any], *, row_id: uuid.UUID,
                subject_id: uuid.UUID, keys: Sequence[Key] | None = None) -> list[BlindIndexEntry]:
    """The index rows for one record (empty when a covered field is missing)."""
    term = index.term_for(values)
    if term is None:
        return []
    name = full_name(table, index)
    return [
        BlindIndexEntry(index_name=name, key_version=k.version, value=index_value(k, name, term),
                        row_id=row_id, subject_id=subject_id)
        for k in (written_keys() if keys is None else keys)
    ]


def get_index(model: type[Any], index_name: str) -> BlindIndex:
    declared: tuple[BlindIndex, ...] = getattr(model, "__blind_indexes__", ())
    for index in declared:
        if index.name == index_name:
            return index
    raise KeyError(f"{model.__name__} declares no blind index {index_name!r}")


def candidates(model: type[T], index_name: str, *values: Any,
               within: Select[Any] | None = None) -> Select[Any]:
    """SELECT of the rows of ``model`` whose index value matches (candidates, not proof)."""
    index = get_index(model, index_name)
    query: Select[Any] = within if within is not None else select(model)
    term = index.term_for(values)
    if term is None:
        return query.where(false())
    key = get_keyring().active("blind_index")
    name = full_name(model.__tablename__, index)  # type: ignore[attr-defined]
    matching = select(BlindIndexEntry.row_id).where(
        BlindIndexEntry.index_name == name,
        BlindIndexEntry.key_version == key.version,
        BlindIndexEntry.value == index_value(key, name, term),
    )
    row_id: Any = model.id  # type: ignore[attr-defined]
    return query.where(row_id.in_(matching))


def find(session: Session, model: type[T], index_name: str, *values: Any,
         within: Select[Any] | None = None) -> list[T]:
    """Rows that truly match: candidates, decrypted and filtered on the normalised term.

    Filtering decrypts without noting a view; the caller's page notes what it shows.
    """
    from casework.crypto.fields import read_plain

    index = get_index(model, index_name)
    term = index.term_for(values)
    if term is None:
        return []
    rows: Sequence[T] = session.scalars(candidates(model, index_name, *values, within=within)).all()
    return [
        row for row in rows
        if index.term_for([read_plain(row, f, notify=False) for f in index.fields]) == term
    ]


def find_many(session: Session, model: type[T], index_name: str,
              searches: Mapping[K, Mapping[str, Any]], *, within: Select[Any] | None = None,
              chunk: int = 500) -> dict[K, list[T]]:
    """True matches of many searches of one index: ``{search key: [rows]}``.

    ``searches`` maps the caller's keys (anything hashable: a row number, a plan object) to
    the plaintext values of the record to look for, by attribute name (as
    :func:`casework.crypto.bulk.index_rows` takes them); only the fields the index covers are
    read. A key whose values give no usable term, or that matched nothing, is absent from the
    result. The lookup uses the active key version, ``chunk`` index values (and then
    ``chunk`` candidate rows) per query; only entries of rows in ``within`` (the caller's
    scoped SELECT of ``model``, default all rows) are read, candidates are loaded through it,
    their indexed fields decrypted
    without noting a view, and only true matches kept. A row whose woman was erased (her key
    is gone) never matches.
    """
    from casework.crypto.fields import read_plain

    index = get_index(model, index_name)
    keys_by_term: dict[str, list[K]] = defaultdict(list)
    for search_key, record in searches.items():
        term = index.term_for([record.get(f) for f in index.fields])
        if term is not None:
            keys_by_term[term].append(search_key)
    if not keys_by_term:
        return {}
    key = get_keyring().active("blind_index")
    name = full_name(model.__tablename__, index)  # type: ignore[attr-defined]
    terms_by_value: dict[int, list[str]] = defaultdict(list)
    for term in keys_by_term:
        terms_by_value[index_value(key, name, term)].append(term)
    values = list(terms_by_value)
    row_id_column: Any = model.id  # type: ignore[attr-defined]
    query: Select[Any] = within if within is not None else select(model)
    lookup = select(BlindIndexEntry.value, BlindIndexEntry.row_id).where(
        BlindIndexEntry.index_name == name, BlindIndexEntry.key_version == key.version)
    if within is not None:
        # The scope is part of the index lookup: a row outside it is never a hit, so the
        # caller does the same work whether such a row exists or not (no existence oracle).
        lookup = lookup.where(BlindIndexEntry.row_id.in_(within.with_only_columns(row_id_column)))
    hits: dict[uuid.UUID, set[int]] = defaultdict(set)
    for start in range(0, len(values), chunk):
        for value, row_id in session.execute(
                lookup.where(BlindIndexEntry.value.in_(values[start:start + chunk]))):
            hits[row_id].add(value)
    if not hits:
        return {}
    ids = sorted(hits)
    found: dict[K, list[T]] = defaultdict(list)
    for start in range(0, len(ids), chunk):
        for row in session.scalars(query.where(row_id_column.in_(ids[start:start + chunk]))):
            try:
                stored = index.term_for([read_plain(row, f, notify=False) for f in index.fields])
            except CryptoError:
                continue
            for value in hits[row.id]:
                if stored in terms_by_value[value]:
                    for search_key in keys_by_term[stored]:
                        found[search_key].append(row)
    return dict(found)
