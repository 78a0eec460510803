"""Backup and restore drill timings on generated data (PostgreSQL).

    .venv/bin/python bench/backup_restore.py \
        --server-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        --template casework_migbench_xxxxxx --instance instance/bench

Takes a database made by bench/generate.py (or bench/migrations.py, which keeps its template)
and the instance folder holding its key file, and times what the runbook does:
``flask backup create`` (pg_dump + manifest from one snapshot), ``pg_restore`` into an empty
database, ``flask backup verify-restore`` on it. Prints the data size, the dump's size and each
time; drops the restored copy afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server-url", required=True)
    parser.add_argument("--template", required=True, help="the generated database")
    parser.add_argument("--instance", required=True, help="folder with casework-keys.json")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from casework.services.backup import libpq_env

    admin = sa.create_engine(args.server_url, isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    source = make_url(args.server_url).set(database=args.template).render_as_string(False)
    restored_name = f"casework_restorebench_{secrets.token_hex(3)}"
    restored = make_url(args.server_url).set(database=restored_name).render_as_string(False)
    instance = Path(args.instance).resolve()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLASK_APP": "casework:create_app",
           "CASEWORK_ENV": "development", "CASEWORK_INSTANCE_PATH": str(instance),
           "CASEWORK_KEY_FILE": str(instance / "casework-keys.json"),
           "CASEWORK_SECRET_KEY": "bench-" + "x" * 40}
    with admin.connect() as conn:
        size = conn.scalar(sa.text("SELECT pg_size_pretty(pg_database_size(:n))"),
                           {"n": args.template})
    with sa.create_engine(source, poolclass=sa.pool.NullPool).connect() as conn:
        counts = conn.execute(sa.text("SELECT (SELECT count(*) FROM cases), "
                                      "(SELECT count(*) FROM referrals), "
                                      "(SELECT count(*) FROM audit_events)")).one()
    print(f"data: {counts[0]} cases, {counts[1]} referrals, {counts[2]} audit events; "
          f"database {size}")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "flask", "backup", "create",
                               "--output-dir", folder], env={**env,
                               "CASEWORK_DATABASE_URL": source}, cwd=ROOT, check=True,
                              capture_output=True, text=True)
        print(f"flask backup create        {time.perf_counter() - started:7.1f} s")
        print("  " + done.stdout.strip().replace("\n", "\n  "))
        dump = next(Path(folder).glob("*.dump"))
        manifest = next(Path(folder).glob("*.manifest.json"))
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{restored_name}"'))
        try:
            started = time.perf_counter()
            pg = libpq_env(restored)
            subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                            f"--dbname={pg['PGDATABASE']}", str(dump)],
                           env={**os.environ, **pg}, check=True)
            print(f"pg_restore                 {time.perf_counter() - started:7.1f} s")
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "flask", "backup", "verify-restore",
                                   "--manifest", str(manifest)],
                                  env={**env, "CASEWORK_DATABASE_URL": restored}, cwd=ROOT,
                                  capture_output=True, text=True, check=False)
            print(f"flask backup verify-restore {time.perf_counter() - started:6.1f} s "
                  f"(exit {done.returncode})")
            print("  " + done.stdout.strip().replace("\n", "\n  "))
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
