"""Imports (issue 7): import batches (who, when, keyed file MAC, counts, status).

Imported rows carry ``external_ref`` on their own tables (migration 0003), so no other table
changes here.

Revision ID: 0007_imports
Revises: 0006_supervision
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_imports"
down_revision = "0006_supervision"
branch_labels = None
depends_on = None

COUNTS = ("rows_total", "rows_accepted", "rows_rejected", "rows_existing", "cases_created",
          "needs_created", "referrals_created", "consents_created", "transfers_created",
          "closures_created")


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("file_mac", sa.String(length=64), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"],
                                name=op.f("fk_import_batches_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_import_batches_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_file_mac"), ["file_mac"])
        batch_op.create_index(batch_op.f("ix_import_batches_org_unit_id"), ["org_unit_id"])
        batch_op.create_index(batch_op.f("ix_import_batches_user_id"), ["user_id"])


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_user_id"))
        batch_op.drop_index(batch_op.f("ix_import_batches_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_import_batches_file_mac"))
    op.drop_table("import_batches")
