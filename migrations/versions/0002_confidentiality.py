"""Confidentiality core: subjects (per-woman data keys), blind-index values, audit events.

The audit table is append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL). The trigger SQL is repeated here rather than imported, so the migration stays
frozen when the models change.

Revision ID: 0002_confidentiality
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_confidentiality"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
)
POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_refuse_change()",
)


def _run(statements: tuple[str, ...]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("actor_unit_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("prev_mac", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_actor_user_id"), ["actor_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_events_target_id"), ["target_id"], unique=False)

    op.create_table(
        "subjects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(length=80), nullable=True),
        sa.Column("kek_version", sa.Integer(), nullable=True),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subjects_erased"), ["erased"], unique=False)
        batch_op.create_index(batch_op.f("ix_subjects_kek_version"), ["kek_version"], unique=False)

    op.create_table(
        "blind_index_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("index_name", sa.String(length=80), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"],
            name=op.f("fk_blind_index_entries_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blind_index_entries")),
        sa.UniqueConstraint(
            "row_id", "index_name", "key_version",
            name=op.f("uq_blind_index_entries_row_id_index_name_key_version"),
        ),
    )
    with op.batch_alter_table("blind_index_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_blind_index_entries_lookup", ["index_name", "key_version", "value"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_blind_index_entries_subject_id"), ["subject_id"], unique=False
        )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_TRIGGERS)
    elif dialect == "postgresql":
        _run(POSTGRES_TRIGGERS)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DROP)
    elif dialect == "postgresql":
        _run(POSTGRES_DROP)

    with op.batch_alter_table("blind_index_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blind_index_entries_subject_id"))
        batch_op.drop_index("ix_blind_index_entries_lookup")
    op.drop_table("blind_index_entries")

    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subjects_kek_version"))
        batch_op.drop_index(batch_op.f("ix_subjects_erased"))
    op.drop_table("subjects")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_target_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))
    op.drop_table("audit_events")
