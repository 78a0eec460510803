"""How long each migration takes on province-sized data, and what it locks (PostgreSQL).

    .venv/bin/python bench/migrations.py --server-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/migrations.py --server-url ... --template casework_bench  # reuse data

Generates ``--cases`` cases (default 100,000, with bench/generate.py's mix: 300,000 referrals)
into a template database at the head revision, unless ``--template`` names one already made.
Then, for every migration in order, on a fresh copy of the template (``CREATE DATABASE ...
TEMPLATE``): ``flask db downgrade`` to the revision before it (untimed), then ``flask db
upgrade`` to it, timed, while a second connection samples ``pg_locks`` every 20 ms for the
migrating backend. So each migration runs on the data every earlier migration's tables hold
(the tables it creates itself start empty, as in a real upgrade). Reported per migration: wall
time, the strongest lock taken on each table, and how long ACCESS EXCLUSIVE locks were held
(the locks that stop the app's reads: a long one is not safe while serving).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from sqlalchemy.engine import make_url

APP_NAME = "casework_migration_bench"
STRENGTH = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
            "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]


def admin(server_url: str) -> sa.Engine:
    return sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def url_for(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(False)


class LockSampler(threading.Thread):
    """Samples the relation locks held by the migrating backend (found by application_name)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.stop = threading.Event()
        self.strongest: dict[str, str] = {}
        self.exclusive_seconds: dict[str, float] = defaultdict(float)

    def run(self) -> None:
        query = sa.text("""
            SELECT c.relname, l.mode FROM pg_locks l
            JOIN pg_stat_activity a ON a.pid = l.pid
            JOIN pg_class c ON c.oid = l.relation
            WHERE a.application_name = :app AND l.granted AND c.relkind IN ('r', 'p')
              AND c.relnamespace = 'public'::regnamespace""")
        with self.engine.connect() as conn:
            last = time.perf_counter()
            while not self.stop.is_set():
                rows = conn.execute(query, {"app": APP_NAME}).all()
                conn.rollback()
                now = time.perf_counter()
                for relname, mode in rows:
                    if STRENGTH.index(mode) > STRENGTH.index(self.strongest.get(relname,
                                                                                STRENGTH[0])):
                        self.strongest[relname] = mode
                    if mode == "AccessExclusiveLock":
                        self.exclusive_seconds[relname] += now - last
                last = now
                time.sleep(0.02)
        self.engine.dispose()


def revisions() -> list[tuple[str, str | None]]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent
                                                  / "migrations"))
    script = ScriptDirectory.from_config(config)
    ordered = list(reversed(list(script.walk_revisions())))
    return [(r.revision, r.down_revision if isinstance(r.down_revision, str) else None)
            for r in ordered]


def generate(server_url: str, name: str, cases: int, instance: Path) -> float:
    import generate as generator  # bench/generate.py
    from flask_migrate import upgrade

    with admin(server_url).connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    app = generator.make_app(url_for(server_url, name), instance)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        generator.generate(cases, cases * 3, min(cases, 2000))
        from casework.extensions import db

        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - started


def measure(server_url: str, template: str, instance: Path) -> None:
    import generate as generator
    from flask_migrate import downgrade, upgrade

    engine = admin(server_url)
    with engine.connect() as conn:
        size = conn.scalar(sa.text("SELECT pg_size_pretty(pg_database_size(:n))"),
                           {"n": template})
    source = sa.create_engine(url_for(server_url, template), poolclass=sa.pool.NullPool)
    with source.connect() as conn:  # closed again: CREATE DATABASE ... TEMPLATE needs it idle
        n_cases = conn.scalar(sa.text("SELECT count(*) FROM cases"))
        n_referrals = conn.scalar(sa.text("SELECT count(*) FROM referrals"))
    source.dispose()
    print(f"data: {n_cases} cases, {n_referrals} referrals, database {size}")
    print(f"{'migration':32s} {'seconds':>8s}  {'ACCESS EXCLUSIVE held (s) / strongest locks'}")
    for revision, down in revisions():
        copy = f"casework_migcopy_{secrets.token_hex(4)}"
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"'))
        try:
            url = url_for(server_url, copy)
            app = generator.make_app(url, instance)
            with app.app_context():
                downgrade(revision=down or "base")
                from casework.extensions import db

                db.engine.dispose()
            tagged = make_url(url).update_query_dict({"application_name": APP_NAME})
            app = generator.make_app(tagged.render_as_string(False), instance)
            sampler = LockSampler(url)
            sampler.start()
            started = time.perf_counter()
            failure = ""
            try:
                with app.app_context():
                    try:
                        upgrade(revision=revision)
                    finally:
                        db.session.remove()
                        db.engine.dispose()
            except Exception as error:  # a migration that cannot run on this data: say so
                cause = getattr(error, "orig", error)
                failure = f"FAILS: {type(cause).__name__}: {str(cause).splitlines()[0][:90]}"
            finally:
                seconds = time.perf_counter() - started
                sampler.stop.set()
                sampler.join()
            if failure:
                print(f"{revision:32s} {seconds:8.2f}  {failure}", flush=True)
                continue
            held = ", ".join(f"{t} {s:.2f}" for t, s in sorted(
                sampler.exclusive_seconds.items(), key=lambda x: -x[1]) if s >= 0.05)
            shares = sorted(t for t, m in sampler.strongest.items()
                            if m in ("ShareLock", "ShareRowExclusiveLock", "ExclusiveLock"))
            print(f"{revision:32s} {seconds:8.2f}  {held or '-'}"
                  + (f"  | writes blocked: {', '.join(shares)}" if shares else ""), flush=True)
        finally:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server-url", required=True,
                        help="a PostgreSQL URL with CREATE DATABASE rights (any database)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--template", help="reuse a database generated earlier (at head)")
    parser.add_argument("--instance", default="instance/bench")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    instance = Path(args.instance)
    template = args.template
    if template is None:
        template = f"casework_migbench_{secrets.token_hex(3)}"
        seconds = generate(args.server_url, template, args.cases, instance)
        print(f"generated {args.cases} cases into {template} in {seconds:.0f} s (kept; "
              f"drop it when done)")
    measure(args.server_url, template, instance)


if __name__ == "__main__":
    main()
