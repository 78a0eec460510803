"""Her rights (issue 19): the province's retention schedule and the monthly decisions.

Revision ID: 0017_rights
Revises: 0015_tipoffs
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_rights"
down_revision = "0015_tipoffs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closed_case_years", sa.Integer(), nullable=False),
        sa.Column("withdrawn_record_days", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"],
                                name=op.f("fk_retention_schedules_set_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_schedules")),
    )
    op.create_table(
        "retention_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason_code", sa.String(length=30), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_retention_decisions_case_id_cases")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_retention_decisions_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_decisions")),
    )
    with op.batch_alter_table("retention_decisions") as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_decisions_case_id"), ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("retention_decisions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_decisions_case_id"))
    op.drop_table("retention_decisions")
    op.drop_table("retention_schedules")
