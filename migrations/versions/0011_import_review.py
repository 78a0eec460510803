"""Import review (issue 18): supervisors' queue of imported women who may already be on file
outside the importer's scope, and each user's daily count of identity checks.

Revision ID: 0011_import_review
Revises: 0010_set_password_links
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_import_review"
down_revision = "0010_set_password_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_identity_checks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_import_identity_checks_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_import_identity_checks")),
    )
    op.create_table(
        "import_match_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("matched_case_id", sa.Uuid(), nullable=False),
        sa.Column("kinds", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"],
                                name=op.f("fk_import_match_reviews_batch_id_import_batches")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_import_match_reviews_case_id_cases")),
        sa.ForeignKeyConstraint(["matched_case_id"], ["cases.id"],
                                name=op.f("fk_import_match_reviews_matched_case_id_cases")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"],
                                name=op.f("fk_import_match_reviews_reviewed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_match_reviews")),
    )
    with op.batch_alter_table("import_match_reviews") as batch_op:
        batch_op.create_index(batch_op.f("ix_import_match_reviews_batch_id"), ["batch_id"])
        batch_op.create_index(batch_op.f("ix_import_match_reviews_case_id"), ["case_id"])
        batch_op.create_index(batch_op.f("ix_import_match_reviews_matched_case_id"),
                              ["matched_case_id"])


def downgrade() -> None:
    with op.batch_alter_table("import_match_reviews") as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_match_reviews_matched_case_id"))
        batch_op.drop_index(batch_op.f("ix_import_match_reviews_case_id"))
        batch_op.drop_index(batch_op.f("ix_import_match_reviews_batch_id"))
    op.drop_table("import_match_reviews")
    op.drop_table("import_identity_checks")
