"""PostgreSQL roles: the schema owner runs migrations; the app runs as a role with only what it
needs. On the audit tables that role may INSERT and SELECT, nothing else: it cannot UPDATE,
DELETE or TRUNCATE them, and (not being their owner) cannot ALTER them, drop or disable their
triggers. ``flask roles grant --app-role NAME``, run with the owner's database URL after
``flask db upgrade``, applies the grants, including default privileges for tables the owner
creates in later migrations.
"""

from __future__ import annotations

import re

import click
from flask.cli import AppGroup
from sqlalchemy import text

from casework.extensions import db

# Tables the app may only append to and read. (The app never writes alembic_version.)
AUDIT_TABLES = ("audit_events",)
READ_ONLY_TABLES = ("alembic_version",)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

roles_cli = AppGroup("roles", help="PostgreSQL roles: grants for the application's role.")


def grant_statements(app_role: str) -> list[str]:
    """The SQL that gives ``app_role`` exactly the app's rights, to run as the schema owner."""
    if not _ROLE_NAME.match(app_role):
        raise ValueError("a role name is lower-case letters, digits and underscores")
    role = f'"{app_role}"'
    statements = [
        # Nobody but the owner creates objects in the schema (PostgreSQL < 15 let everyone).
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    for table in AUDIT_TABLES:
        statements += [
            f"REVOKE ALL ON TABLE {table} FROM PUBLIC",
            f"REVOKE ALL ON TABLE {table} FROM {role}",
            f"GRANT SELECT, INSERT ON TABLE {table} TO {role}",
        ]
    for table in READ_ONLY_TABLES:
        statements += [f"REVOKE ALL ON TABLE {table} FROM {role}",
                       f"GRANT SELECT ON TABLE {table} TO {role}"]
    return statements


@roles_cli.command("grant")
@click.option("--app-role", required=True, help="The role the app connects as (e.g. casework_app).")
def grant_cmd(app_role: str) -> None:
    """Grant the app's role its rights; run as the schema owner, after every `db upgrade`."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("Roles exist on PostgreSQL only.")
    try:
        statements = grant_statements(app_role)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    with db.engine.begin() as connection:
        owner = connection.scalar(text("SELECT current_user"))
        if owner == app_role:
            raise click.ClickException("Run this as the schema owner, not as the app's role.")
        for statement in statements:
            connection.execute(text(statement))
    click.echo(f"Granted {app_role} the app's rights (audit tables: SELECT and INSERT only).")
