"""Readiness: may this process take traffic? (``/readyz``; liveness stays ``/healthz``.)

A check is a function taking the app and returning ``None`` when all is well, or a short
problem for the operator's log (never shown to the caller, who sees only the check's name and
``"fail"``). The built-in checks: the database answers, the key file is loaded, the schema is at
the migrations' head. Other parts add theirs with :func:`register_check` when the app is built
(e.g. the outbox's backlog: ``register_check(app, "outbox", outbox_backlog_check)``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text

from casework.extensions import db

log = logging.getLogger("casework.readiness")
Check = Callable[[Flask], str | None]
CHECKS = "casework.readiness_checks"
MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


@cache
def migration_heads() -> frozenset[str]:
    """The revision ids at the head of ``migrations/`` (read once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_database(app: Flask) -> str | None:
    db.session.execute(text("SELECT 1"))
    return None


def check_keys(app: Flask) -> str | None:
    from casework.crypto import get_keyring

    ring = get_keyring()
    ring.active("app")  # a ring without an active app key cannot sign anyone in
    return None


def database_revisions() -> frozenset[str]:
    rows: list[object] = list(
        db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return frozenset(str(r) for r in rows)


def check_migrations(app: Flask) -> str | None:
    current, heads = database_revisions(), migration_heads()
    if current != heads:
        return f"schema at {sorted(current)}, code expects {sorted(heads)}: run `flask db upgrade`"
    return None


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add ``check`` under ``name`` to the app's readiness checks (replacing one so named)."""
    checks: dict[str, Check] = app.extensions.setdefault(CHECKS, {})
    checks[name] = check


def init_app(app: Flask) -> None:
    register_check(app, "database", check_database)
    register_check(app, "keys", check_keys)
    register_check(app, "migrations", check_migrations)


def run_checks(app: Flask) -> tuple[bool, dict[str, str]]:
    """Run every check in order: ``(all ok, {name: "ok" | "fail"})``. A check that raises
    fails; its exception's type (not its text, which may hold a URL) goes to the log."""
    results: dict[str, str] = {}
    checks: dict[str, Check] = app.extensions.get(CHECKS, {})
    for name, check in checks.items():
        try:
            problem = check(app)
        except Exception as error:
            db.session.rollback()
            problem = type(error).__name__
        if problem:
            log.warning("not ready: %s: %s", name, problem)
        results[name] = "fail" if problem else "ok"
    return all(v == "ok" for v in results.values()), results
