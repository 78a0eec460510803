"""Logins in progress kept on the server (issue 11): the cookie holds a random key only.

Revision ID: 0009_login_state
Revises: 0008_indicator_store
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_login_state"
down_revision = "0008_indicator_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("second_step", sa.String(length=10), nullable=False),
        sa.Column("next_url", sa.String(length=2048), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("enrol_seed_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "second_step IN ('verify', 'enrol')",
            name=op.f("ck_pending_logins_second_step_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pending_logins_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_logins")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_pending_logins_key_hash")),
    )
    with op.batch_alter_table("pending_logins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_logins_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pending_logins_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_logins_created_at"))
        batch_op.drop_index(batch_op.f("ix_pending_logins_user_id"))
    op.drop_table("pending_logins")
