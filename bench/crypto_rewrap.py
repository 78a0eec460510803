"""Re-wrap 100,000 data keys under a new KEK (what `flask keys rewrap` does), in batches.

    .venv/bin/python bench/crypto_rewrap.py [--subjects 100000] [--batch 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import time
import uuid

from crypto_common import bench_env, session
from sqlalchemy import func, insert, select

from casework.crypto import primitives, use_keyring
from casework.crypto.keyring import new_key, with_state
from casework.crypto.models import Subject
from casework.crypto.rotation import rewrap_page
from casework.db import utcnow


def populate(engine: object, ring: object, count: int) -> None:
    kek = ring.active("kek")  # type: ignore[attr-defined]
    now = utcnow()
    with session(engine) as s:
        for start in range(0, count, 10_000):
            rows = []
            for _ in range(min(10_000, count - start)):
                sid = uuid.uuid4()
                wrapped = primitives.wrap_key(kek.material, kek.version,
                                              primitives.new_data_key(), subject_id=sid,
                                              dk_version=1)
                rows.append({"id": sid, "wrapped_key": wrapped, "kek_version": kek.version,
                             "key_version": 1, "created_at": now, "erased": False})
            s.execute(insert(Subject), rows)
            s.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with bench_env(args.database_url) as (engine, ring, _keys):
        populate(engine, ring, args.subjects)
        rotated = with_state(ring.replace_key(new_key("kek", 2, "decrypt-only")), "kek", 2,
                             "active")
        rotated = with_state(rotated, "kek", 1, "decrypt-only")
        with use_keyring(rotated):
            start = time.perf_counter()
            done = 0
            with session(engine) as s:
                cursor = None
                while True:
                    n, cursor = rewrap_page(s, args.batch, after=cursor)
                    s.commit()
                    done += n
                    if cursor is None:
                        break
            elapsed = time.perf_counter() - start
            with session(engine) as s:
                left = s.scalar(select(func.count()).select_from(Subject)
                                .where(Subject.kek_version != 2))
        print(f"backend: {engine.dialect.name}, re-wrapped {done} data keys in {elapsed:.1f} s "
              f"({done / elapsed:,.0f}/s, batch {args.batch}); left on the old KEK: {left}")


if __name__ == "__main__":
    main()
