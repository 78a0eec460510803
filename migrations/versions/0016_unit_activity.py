"""Unit activity (issue 16): activity records per unit, yearly counts, half-year submissions
and read-only API tokens, for targets 1-4, 7 and 8 and the all-targets report.

Revision ID: 0016_unit_activity
Revises: 0013_outbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_unit_activity"
down_revision = "0013_outbox"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "activity_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=True),
        sa.Column("officers", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("partners", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("amendment_note", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("activity_records", "org_unit_id", "org_units"),
        _fk("activity_records", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_records")),
    )
    op.create_index("ix_activity_records_unit_kind_day", "activity_records",
                    ["org_unit_id", "kind", "held_on"])
    op.create_table(
        "unit_year_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("officers", sa.Integer(), nullable=False),
        sa.Column("concerned_officers", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("amendment_note", sa.String(length=500), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        _fk("unit_year_counts", "org_unit_id", "org_units"),
        _fk("unit_year_counts", "updated_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_year_counts")),
        sa.UniqueConstraint("org_unit_id", "year",
                            name=op.f("uq_unit_year_counts_org_unit_id_year")),
    )
    op.create_index(op.f("ix_unit_year_counts_org_unit_id"), "unit_year_counts",
                    ["org_unit_id"])
    op.create_table(
        "activity_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=False),
        _fk("activity_submissions", "org_unit_id", "org_units"),
        _fk("activity_submissions", "submitted_by_id", "users"),
        _fk("activity_submissions", "reviewed_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_submissions")),
        sa.UniqueConstraint("org_unit_id", "period_key",
                            name=op.f("uq_activity_submissions_org_unit_id_period_key")),
    )
    op.create_index(op.f("ix_activity_submissions_org_unit_id"), "activity_submissions",
                    ["org_unit_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("last_used_at", TS, nullable=True),
        _fk("api_tokens", "org_unit_id", "org_units"),
        _fk("api_tokens", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_org_unit_id"), "api_tokens", ["org_unit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_org_unit_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_activity_submissions_org_unit_id"), table_name="activity_submissions")
    op.drop_table("activity_submissions")
    op.drop_index(op.f("ix_unit_year_counts_org_unit_id"), table_name="unit_year_counts")
    op.drop_table("unit_year_counts")
    op.drop_index("ix_activity_records_unit_kind_day", table_name="activity_records")
    op.drop_table("activity_records")
