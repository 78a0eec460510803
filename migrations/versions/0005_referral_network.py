"""Referral network (issue 5): provider directory, notifications and referral additions.

Revision ID: 0005_referral_network
Revises: 0004_case_workflow
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_referral_network"
down_revision = "0004_case_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        # Server defaults fill existing rows; the model supplies the value for new ones.
        batch_op.add_column(sa.Column("response_days", sa.Integer(), nullable=False,
                                      server_default="7"))
        batch_op.add_column(sa.Column("followup_days", sa.Integer(), nullable=False,
                                      server_default="30"))
    with op.batch_alter_table("service_providers", schema=None) as batch_op:
        batch_op.alter_column("response_days", server_default=None)
        batch_op.alter_column("followup_days", server_default=None)

    op.create_table(
        "provider_areas",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"],
                                name=op.f("fk_provider_areas_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["provider_id"], ["service_providers.id"],
                                name=op.f("fk_provider_areas_provider_id_service_providers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("provider_id", "org_unit_id", name=op.f("pk_provider_areas")),
    )
    with op.batch_alter_table("provider_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_areas_org_unit_id"), ["org_unit_id"],
                              unique=False)

    op.create_table(
        "provider_categories",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["service_providers.id"],
                                name=op.f("fk_provider_categories_provider_id_service_providers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("provider_id", "category", name=op.f("pk_provider_categories")),
    )
    with op.batch_alter_table("provider_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_categories_category"), ["category"],
                              unique=False)

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_outcome", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_referrals_sent_by_id_users"), "users",
                                    ["sent_by_id"], ["id"])
        # Nothing is deployed yet, so the table is empty: the model generates the value.
        batch_op.add_column(sa.Column("partner_reference", sa.String(length=11), nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_referrals_partner_reference"),
                                          ["partner_reference"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("case_number", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=11), nullable=True),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"],
                                name=op.f("fk_notifications_referral_id_referrals")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_referral_id"), ["referral_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_notifications_user_unread", ["user_id", "read_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_unread")
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_referral_id"))
    op.drop_table("notifications")

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_referrals_partner_reference"), type_="unique")
        batch_op.drop_column("partner_reference")
        batch_op.drop_constraint(batch_op.f("fk_referrals_sent_by_id_users"), type_="foreignkey")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("review_outcome")
        batch_op.drop_column("sent_by_id")

    with op.batch_alter_table("provider_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_categories_category"))
    op.drop_table("provider_categories")
    with op.batch_alter_table("provider_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_areas_org_unit_id"))
    op.drop_table("provider_areas")

    with op.batch_alter_table("service_providers", schema=None) as batch_op:
        batch_op.drop_column("followup_days")
        batch_op.drop_column("response_days")
        batch_op.drop_column("address")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_phone")
