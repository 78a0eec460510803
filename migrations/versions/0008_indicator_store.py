"""Stored target-5 figures (issue 6, scale): per-woman results per period and the change log.

Triggers on the five tables the indicator reads append the case id of every written row to
``indicator_changes`` (on PostgreSQL with the writing transaction's id), so the stored figures
know which women to recompute whatever code path wrote: the ORM, the bulk import or a hand-run
UPDATE. The trigger SQL is repeated here rather than imported, so the migration stays frozen.

Revision ID: 0008_indicator_store
Revises: 0007_imports
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_indicator_store"
down_revision = "0007_imports"
branch_labels = None
depends_on = None

# (table, column holding the case id)
WATCHED = (
    ("cases", "id"),
    ("case_episodes", "case_id"),
    ("case_custody", "case_id"),
    ("needs", "case_id"),
    ("referrals", "case_id"),
)


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, column in WATCHED:
        statements += [
            f"CREATE TRIGGER indicator_changes_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN INSERT INTO indicator_changes (case_id) VALUES (NEW.{column}); END",
            f"CREATE TRIGGER indicator_changes_{table}_update AFTER UPDATE ON {table} "
            f"BEGIN INSERT INTO indicator_changes (case_id) VALUES (NEW.{column}); "
            f"INSERT INTO indicator_changes (case_id) SELECT OLD.{column} "
            f"WHERE OLD.{column} IS NOT NEW.{column}; END",
            f"CREATE TRIGGER indicator_changes_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN INSERT INTO indicator_changes (case_id) VALUES (OLD.{column}); END",
        ]
    return statements


def _postgres_function(name: str, column: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP <> 'DELETE' THEN "
        "INSERT INTO indicator_changes (case_id, txid) "
        f"VALUES (NEW.{column}, pg_current_xact_id()::text::bigint); "
        "END IF; "
        "IF TG_OP = 'DELETE' THEN "
        "INSERT INTO indicator_changes (case_id, txid) "
        f"VALUES (OLD.{column}, pg_current_xact_id()::text::bigint); "
        "ELSIF TG_OP = 'UPDATE' THEN "
        f"IF OLD.{column} IS DISTINCT FROM NEW.{column} THEN "
        "INSERT INTO indicator_changes (case_id, txid) "
        f"VALUES (OLD.{column}, pg_current_xact_id()::text::bigint); "
        "END IF; "
        "END IF; "
        "RETURN NULL; "
        "END $$"
    )


def _postgres_triggers() -> list[str]:
    statements = [
        _postgres_function("indicator_note_case", "id"),
        _postgres_function("indicator_note_case_row", "case_id"),
    ]
    for table, column in WATCHED:
        function = "indicator_note_case" if column == "id" else "indicator_note_case_row"
        statements.append(
            f"CREATE TRIGGER indicator_changes AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    return statements


def _drop_triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS indicator_changes ON {table}" for table, _ in WATCHED] + [
            "DROP FUNCTION IF EXISTS indicator_note_case()",
            "DROP FUNCTION IF EXISTS indicator_note_case_row()",
        ]
    return [
        f"DROP TRIGGER IF EXISTS indicator_changes_{table}_{event}"
        for table, _ in WATCHED
        for event in ("insert", "update", "delete")
    ]


def upgrade() -> None:
    op.create_table(
        "indicator_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_changes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("indicator_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_changes_txid"), ["txid"], unique=False)

    op.create_table(
        "indicator_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_periods")),
        sa.UniqueConstraint(
            "period_start", "period_end", name=op.f("uq_indicator_periods_period_start_period_end")
        ),
    )
    with op.batch_alter_table("indicator_periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_periods_used_at"), ["used_at"], unique=False)

    op.create_table(
        "indicator_woman_categories",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("grp", sa.String(length=30), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("connected", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["indicator_periods.id"],
            name=op.f("fk_indicator_woman_categories_period_id_indicator_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "period_id", "case_id", "category", name=op.f("pk_indicator_woman_categories")
        ),
    )
    with op.batch_alter_table("indicator_woman_categories", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_woman_categories_figures",
            ["period_id", "unit_id", "grp", "category", "connected"],
            unique=False,
        )

    op.create_table(
        "indicator_woman_partners",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("grp", sa.String(length=30), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("connected", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["indicator_periods.id"],
            name=op.f("fk_indicator_woman_partners_period_id_indicator_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "period_id", "case_id", "provider_id", name=op.f("pk_indicator_woman_partners")
        ),
    )
    with op.batch_alter_table("indicator_woman_partners", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_woman_partners_figures",
            ["period_id", "unit_id", "grp", "provider_id", "connected"],
            unique=False,
        )

    op.create_table(
        "indicator_women",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("grp", sa.String(length=30), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("connected", sa.SmallInteger(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["indicator_periods.id"],
            name=op.f("fk_indicator_women_period_id_indicator_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("period_id", "case_id", name=op.f("pk_indicator_women")),
    )
    with op.batch_alter_table("indicator_women", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_women_figures",
            ["period_id", "unit_id", "grp", "connected", "stage", "days"],
            unique=False,
        )

    dialect = op.get_bind().dialect.name
    for statement in _postgres_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    for statement in _drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("indicator_women", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_women_figures")

    op.drop_table("indicator_women")
    with op.batch_alter_table("indicator_woman_partners", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_woman_partners_figures")

    op.drop_table("indicator_woman_partners")
    with op.batch_alter_table("indicator_woman_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_woman_categories_figures")

    op.drop_table("indicator_woman_categories")
    with op.batch_alter_table("indicator_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_periods_used_at"))

    op.drop_table("indicator_periods")
    with op.batch_alter_table("indicator_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_changes_txid"))

    op.drop_table("indicator_changes")
