"""PostgreSQL roles: migrations as the schema owner, the app as a role that may only append to and
read the audit tables (README, production steps)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from casework import audit, create_app
from casework.cli.roles import AUDIT_TABLES, grant_statements
from casework.extensions import db
from tests.conftest import PG_URL, base_env, migrate


def _url(role: str, database: str) -> str:
    return make_url(PG_URL).set(username=role, password=None,
                                database=database).render_as_string(False)


@pytest.fixture
def roles(key_file: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Fresh owner and app roles (roles are cluster-wide: unique names, dropped afterwards) and a
    database owned by the owner, migrated and granted the way the README says."""
    suffix = secrets.token_hex(4)
    owner, app_role, name = f"cw_owner_{suffix}", f"cw_app_{suffix}", f"casework_roles_{suffix}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{owner}" LOGIN'))
        conn.execute(sa.text(f'CREATE ROLE "{app_role}" LOGIN'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{owner}"'))
    try:
        migrate(_url(owner, name), key_file, tmp_path / "instance")
        owner_app = create_app(base_env(_url(owner, name), key_file, tmp_path / "instance"))
        result = owner_app.test_cli_runner().invoke(args=["roles", "grant", "--app-role",
                                                          app_role])
        assert result.exit_code == 0, result.output
        with owner_app.app_context():
            db.engine.dispose()
        yield {"owner": _url(owner, name), "app": _url(app_role, name), "name": name}
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{app_role}"'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


REFUSED = [
    "UPDATE audit_events SET action = 'x'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events ADD COLUMN note text",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
    "DROP TRIGGER audit_events_no_change ON audit_events",
    "DROP TABLE audit_events",
    "CREATE TABLE shadow_log (id int)",
]


@pytest.mark.postgres_only
def test_the_app_role_can_append_and_read_the_audit_trail_but_not_rewrite_it(
        roles: dict[str, str], key_file: Path, tmp_path: Path) -> None:
    app = create_app(base_env(roles["app"], key_file, tmp_path / "app-instance"))
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT current_user")).startswith("cw_app_")
        # The app's ordinary work: an ordinary table written, an event appended and read back.
        from casework.services.org_units import create_unit

        unit = create_unit(code="P", name="Tỉnh", kind="province", parent=None, actor=None)
        db.session.commit()
        unit.name = "Tỉnh Đổi Tên"
        db.session.commit()
        audit.record("roles.test", target_type="unit", target_id=unit.id)
        db.session.commit()
        assert audit.verify(db.session).ok
        for statement in REFUSED:
            with pytest.raises(sa.exc.ProgrammingError) as refused:
                db.session.execute(sa.text(statement))
            db.session.rollback()
            assert type(refused.value.orig).__name__ == "InsufficientPrivilege", statement
        assert audit.verify(db.session).ok
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres_only
def test_every_audit_table_is_append_only_for_the_app_role(roles: dict[str, str]) -> None:
    owner = sa.create_engine(roles["owner"], poolclass=sa.pool.NullPool)
    app_role = make_url(roles["app"]).username
    with owner.connect() as conn:
        for table in AUDIT_TABLES:
            granted = set(conn.scalars(sa.text(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :r AND table_name = :t"), {"r": app_role, "t": table}))
            assert granted == {"SELECT", "INSERT"}, table
        ordinary = set(conn.scalars(sa.text(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = :r AND table_name = 'cases'"), {"r": app_role}))
        assert ordinary == {"SELECT", "INSERT", "UPDATE", "DELETE"}
        # A table a later migration adds gets the app's rights by default.
        conn.execute(sa.text("CREATE TABLE later_table (id serial primary key)"))
        conn.commit()
    owner.dispose()
    app_engine = sa.create_engine(roles["app"], poolclass=sa.pool.NullPool)
    with app_engine.connect() as conn:
        conn.execute(sa.text("INSERT INTO later_table DEFAULT VALUES"))
        conn.commit()
    app_engine.dispose()


def test_role_names_are_checked() -> None:
    with pytest.raises(ValueError, match="role name"):
        grant_statements('app"; DROP TABLE users; --')
