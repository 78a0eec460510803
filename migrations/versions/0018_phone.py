"""One-time form tokens (issue 13): every create form saves once, whatever is resubmitted.

Revision ID: 0018_phone
Revises: 0014_partner_links
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_phone"
down_revision = "0014_partner_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_form_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_used_form_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_used_form_tokens")),
    )
    with op.batch_alter_table("used_form_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_form_tokens_user_id"), ["user_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("used_form_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_form_tokens_user_id"))
    op.drop_table("used_form_tokens")
