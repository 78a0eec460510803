"""Save and load a record with 8 encrypted fields versus the same record in clear.

    .venv/bin/python bench/crypto_fields.py [--records 2000] [--database-url URL]

Each save is its own transaction (like one form post); each load is a fresh session with a
cold key cache (like one page view) that reads all eight fields.
"""

from __future__ import annotations

import argparse
from typing import Any

from crypto_common import FIELDS, ClearRecord, SecretRecord, bench_env, session, timed
from sqlalchemy import select

from casework.crypto import clear_key_cache, new_subject


def save_clear(engine: Any, n: int) -> list[Any]:
    ids = []
    for _ in range(n):
        with session(engine) as s:
            row = ClearRecord(**FIELDS)
            s.add(row)
            s.commit()
            ids.append(row.id)
    return ids


def save_secret(engine: Any, n: int) -> list[Any]:
    ids = []
    for _ in range(n):
        with session(engine) as s:
            subject = new_subject()
            s.add(subject)
            row = SecretRecord(subject=subject, **FIELDS)
            s.add(row)
            s.commit()
            ids.append(row.id)
        clear_key_cache()
    return ids


def load(engine: Any, model: Any, ids: list[Any]) -> None:
    for row_id in ids:
        with session(engine) as s:
            row = s.scalars(select(model).where(model.id == row_id)).one()
            values = [getattr(row, name) for name in FIELDS]
            if values[0] != FIELDS["full_name"]:
                raise SystemExit("decryption returned the wrong value")
        clear_key_cache()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with bench_env(args.database_url) as (engine, _ring, _keys):
        save_clear(engine, 50)  # warm-up
        save_secret(engine, 50)
        clear_ids: list[Any] = []
        secret_ids: list[Any] = []
        t_save_clear = timed(lambda: clear_ids.extend(save_clear(engine, args.records)))
        t_save_secret = timed(lambda: secret_ids.extend(save_secret(engine, args.records)))
        t_load_clear = timed(load, engine, ClearRecord, clear_ids)
        t_load_secret = timed(load, engine, SecretRecord, secret_ids)
        n = args.records
        print(f"backend: {engine.dialect.name}, records: {n}")
        for label, clear, secret in (("save", t_save_clear, t_save_secret),
                                     ("load", t_load_clear, t_load_secret),
                                     ("save+load", t_save_clear + t_load_clear,
                                      t_save_secret + t_load_secret)):
            print(f"{label:>9}: clear {clear / n * 1e3:6.3f} ms/record, "
                  f"encrypted {secret / n * 1e3:6.3f} ms/record, ratio {secret / clear:4.2f}x")


if __name__ == "__main__":
    main()
