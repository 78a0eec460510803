"""Blind-index lookup time at 1,000 and 100,000 subjects (it must not grow with the count).

    .venv/bin/python bench/crypto_blind_index.py [--sizes 1000,100000] [--lookups 500]

Each lookup is `blind_index.find`: one indexed query for candidates, then decrypt-and-filter
with a cold key cache (a fresh request). Index bits are those planned for 200,000 subjects.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from typing import Any

from crypto_common import PhoneRecord, bench_env, session
from sqlalchemy import insert

from casework.crypto import blind_index, clear_key_cache, primitives
from casework.crypto.blind_index import full_name
from casework.crypto.models import BlindIndexEntry, Subject
from casework.db import utcnow


def populate(engine: Any, ring: Any, start: int, stop: int) -> None:
    """Insert women start..stop-1 with phone 09xxxxxxxx (bulk; same bytes the ORM writes)."""
    kek, bik = ring.active("kek"), ring.active("blind_index")
    index = PhoneRecord.__blind_indexes__[0]
    name = full_name("bench_phone", index)
    now = utcnow()
    with session(engine) as s:
        for chunk in range(start, stop, 5000):
            subjects, rows, entries = [], [], []
            for n in range(chunk, min(chunk + 5000, stop)):
                sid, rid, dk = uuid.uuid4(), uuid.uuid4(), primitives.new_data_key()
                subjects.append({"id": sid, "kek_version": kek.version, "key_version": 1,
                                 "created_at": now, "erased": False,
                                 "wrapped_key": primitives.wrap_key(
                                     kek.material, kek.version, dk, subject_id=sid,
                                     dk_version=1)})
                phone = f"09{n:08d}"
                key = primitives.field_key(dk, "bench_phone", "phone_enc")
                rows.append({"id": rid, "subject_id": sid, "phone_enc": primitives.encrypt_field(
                    key, primitives.encode_value(phone), table="bench_phone",
                    column="phone_enc", row_id=rid, subject_id=sid, dk_version=1)})
                entries.append({"index_name": name, "key_version": bik.version, "row_id": rid,
                                "subject_id": sid,
                                "value": blind_index.index_value(bik, name, index.term(phone))})
            s.execute(insert(Subject), subjects)
            s.execute(insert(PhoneRecord), rows)
            s.execute(insert(BlindIndexEntry), entries)
            s.commit()


def measure(engine: Any, population: int, lookups: int) -> tuple[float, float, float]:
    rng = random.Random(7)
    with session(engine) as s:  # the indexed query alone, warm
        phones = [f"09{rng.randrange(population):08d}" for _ in range(lookups)]
        start = time.perf_counter()
        for phone in phones:
            s.execute(blind_index.candidates(PhoneRecord, "phone", phone)).all()
        query_only = (time.perf_counter() - start) / lookups
    candidates = 0
    start = time.perf_counter()
    for _ in range(lookups):
        phone = f"09{rng.randrange(population):08d}"
        clear_key_cache()
        with session(engine) as s:
            found = s.scalars(blind_index.candidates(PhoneRecord, "phone", phone)).all()
            candidates += len(found)
            if [r.phone for r in blind_index.find(s, PhoneRecord, "phone", phone)] != [phone]:
                raise SystemExit(f"lookup of {phone} returned the wrong rows")
    return query_only, (time.perf_counter() - start) / lookups, candidates / lookups


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    with bench_env(args.database_url) as (engine, ring, _keys):
        have = 0
        print(f"backend: {engine.dialect.name}, index bits: {ring.active('blind_index').bits}")
        for size in sizes:
            populate(engine, ring, have, size)
            have = size
            if engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load
                with engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            query_only, per_lookup, cands = measure(engine, size, args.lookups)
            print(f"{size:>8} subjects: index query {query_only * 1e3:6.3f} ms; find "
                  f"(query + decrypt-filter, cold keys) {per_lookup * 1e3:6.3f} ms; "
                  f"{cands:.3f} candidates per lookup")


if __name__ == "__main__":
    main()
