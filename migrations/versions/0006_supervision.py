"""Supervision (issue 6): outcome-audit samples and verdicts, sign-offs of a unit's period.

Revision ID: 0006_supervision
Revises: 0005_referral_network
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_supervision"
down_revision = "0005_referral_network"
branch_labels = None
depends_on = None


INDICATOR_INDEXES = (  # covering indexes of the target-5 computation (models/supervision.py)
    ("ix_case_episodes_case_dates", "case_episodes", ["case_id", "opened_on", "closed_on"]),
    ("ix_case_custody_case_dates", "case_custody",
     ["case_id", "from_date", "to_date", "org_unit_id"]),
    ("ix_needs_case_facts", "needs", ["case_id", "identified_on", "ended_on", "category", "id"]),
    ("ix_referrals_need_facts", "referrals",
     ["need_id", "status", "referred_on", "uptake_on", "provider_id"]),
)


def upgrade() -> None:
    op.create_table(
        "outcome_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=24), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("requested_size", sa.Integer(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["drawn_by_id"], ["users.id"],
                                name=op.f("fk_outcome_samples_drawn_by_id_users")),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"],
                                name=op.f("fk_outcome_samples_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["provider_id"], ["service_providers.id"],
                                name=op.f("fk_outcome_samples_provider_id_service_providers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_samples")),
    )
    with op.batch_alter_table("outcome_samples") as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_samples_org_unit_id"), ["org_unit_id"])
        batch_op.create_index(batch_op.f("ix_outcome_samples_provider_id"), ["provider_id"])

    op.create_table(
        "period_sign_offs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=24), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"],
                                name=op.f("fk_period_sign_offs_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["signed_by_id"], ["users.id"],
                                name=op.f("fk_period_sign_offs_signed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_sign_offs")),
        sa.UniqueConstraint("org_unit_id", "period_key",
                            name=op.f("uq_period_sign_offs_org_unit_id_period_key")),
    )
    with op.batch_alter_table("period_sign_offs") as batch_op:
        batch_op.create_index(batch_op.f("ix_period_sign_offs_org_unit_id"), ["org_unit_id"])

    op.create_table(
        "uptake_verifications",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["checked_by_id"], ["users.id"],
                                name=op.f("fk_uptake_verifications_checked_by_id_users")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"],
                                name=op.f("fk_uptake_verifications_referral_id_referrals")),
        sa.ForeignKeyConstraint(["sample_id"], ["outcome_samples.id"],
                                name=op.f("fk_uptake_verifications_sample_id_outcome_samples")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_uptake_verifications_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uptake_verifications")),
        sa.UniqueConstraint("sample_id", "referral_id",
                            name=op.f("uq_uptake_verifications_sample_id_referral_id")),
    )
    with op.batch_alter_table("uptake_verifications") as batch_op:
        batch_op.create_index(batch_op.f("ix_uptake_verifications_referral_id"), ["referral_id"])
        batch_op.create_index(batch_op.f("ix_uptake_verifications_sample_id"), ["sample_id"])
        batch_op.create_index(batch_op.f("ix_uptake_verifications_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_uptake_verifications_subject_id"), ["subject_id"])

    for name, table, columns in INDICATOR_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDICATOR_INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("uptake_verifications") as batch_op:
        batch_op.drop_index(batch_op.f("ix_uptake_verifications_subject_id"))
        batch_op.drop_index(batch_op.f("ix_uptake_verifications_status"))
        batch_op.drop_index(batch_op.f("ix_uptake_verifications_sample_id"))
        batch_op.drop_index(batch_op.f("ix_uptake_verifications_referral_id"))
    op.drop_table("uptake_verifications")
    with op.batch_alter_table("period_sign_offs") as batch_op:
        batch_op.drop_index(batch_op.f("ix_period_sign_offs_org_unit_id"))
    op.drop_table("period_sign_offs")
    with op.batch_alter_table("outcome_samples") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_samples_provider_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_samples_org_unit_id"))
    op.drop_table("outcome_samples")
