"""One-time partner links (issue 12): partners without an account answer a referral through a
link and the code on the woman's slip; each provider chooses the channel its links go by.

Revision ID: 0014_partner_links
Revises: 0019_perf
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_partner_links"
down_revision = "0019_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=80), nullable=False),
        sa.Column("code_hash", sa.String(length=80), nullable=True),
        sa.Column("failed_codes", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_key_hash", sa.String(length=80), nullable=True),
        sa.Column("view_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_actions", sa.String(length=120), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('respond')", name=op.f("ck_partner_links_purpose_known")),
        sa.CheckConstraint("channel IN ('sms', 'zalo', 'email', 'copy', 'slip')",
                           name=op.f("ck_partner_links_channel_known")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_partner_links_created_by_id_users")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"],
                                name=op.f("fk_partner_links_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_links_token_hash")),
    )
    with op.batch_alter_table("partner_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_links_referral_id"), ["referral_id"],
                              unique=False)
    op.add_column("service_providers", sa.Column("link_channel", sa.String(length=10),
                                                 server_default="sms", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("service_providers", schema=None) as batch_op:
        batch_op.drop_column("link_channel")
    with op.batch_alter_table("partner_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_links_referral_id"))
    op.drop_table("partner_links")
