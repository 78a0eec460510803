"""Target 6 (issue 15): tip-offs and complaints, their events and custody, the province"s
handling deadlines (one row with DOMAIN.md"s defaults) and public holidays.

Revision ID: 0015_tipoffs
Revises: 0016_unit_activity
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_tipoffs"
down_revision = "0016_unit_activity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_holidays")),
        sa.UniqueConstraint("day", name=op.f("uq_public_holidays_day")),
    )
    op.create_table(
        "tipoff_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crime_working_days", sa.Integer(), nullable=False),
        sa.Column("classify_days", sa.Integer(), nullable=False),
        sa.Column("settle_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "classify_days BETWEEN 1 AND 365", name=op.f("ck_tipoff_settings_classify_days_range")
        ),
        sa.CheckConstraint(
            "crime_working_days BETWEEN 1 AND 60", name=op.f("ck_tipoff_settings_crime_days_range")
        ),
        sa.CheckConstraint(
            "settle_days BETWEEN 1 AND 365", name=op.f("ck_tipoff_settings_settle_days_range")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_tipoff_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipoff_settings")),
    )
    op.execute(
        sa.text(
            "INSERT INTO tipoff_settings (id, crime_working_days, classify_days, "
            "settle_days, updated_at) VALUES (1, 1, 10, 30, CURRENT_TIMESTAMP)"
        )
    )
    op.create_table(
        "tipoffs",
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("received_unit_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("not_to_be_named", sa.Boolean(), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("classification", sa.String(length=30), nullable=True),
        sa.Column("classified_on", sa.Date(), nullable=True),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("handling", sa.String(length=30), nullable=True),
        sa.Column("handled_on", sa.Date(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("receipt_hash", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reporter_name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("reporter_contact_enc", sa.LargeBinary(), nullable=True),
        sa.Column("persons_named_enc", sa.LargeBinary(), nullable=True),
        sa.Column("summary_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_tipoffs_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["tipoffs.id"], name=op.f("fk_tipoffs_duplicate_of_id_tipoffs")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_tipoffs_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["users.id"], name=op.f("fk_tipoffs_received_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["received_unit_id"],
            ["org_units.id"],
            name=op.f("fk_tipoffs_received_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_tipoffs_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipoffs")),
        sa.UniqueConstraint("receipt_hash", name=op.f("uq_tipoffs_receipt_hash")),
        sa.UniqueConstraint("reference", name=op.f("uq_tipoffs_reference")),
    )
    with op.batch_alter_table("tipoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tipoffs_handled_on"), ["handled_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_tipoffs_org_unit_id"), ["org_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tipoffs_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_tipoffs_subject_id"), ["subject_id"], unique=False)
    op.create_table(
        "tipoff_custody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tipoff_id", sa.Uuid(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_tipoff_custody_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["tipoff_id"], ["tipoffs.id"], name=op.f("fk_tipoff_custody_tipoff_id_tipoffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipoff_custody")),
    )
    with op.batch_alter_table("tipoff_custody", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tipoff_custody_org_unit_id"), ["org_unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tipoff_custody_tipoff_id"), ["tipoff_id"], unique=False
        )
    op.create_table(
        "tipoff_events",
        sa.Column("tipoff_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_tipoff_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_tipoff_events_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["tipoff_id"], ["tipoffs.id"], name=op.f("fk_tipoff_events_tipoff_id_tipoffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipoff_events")),
    )
    with op.batch_alter_table("tipoff_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tipoff_events_subject_id"), ["subject_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tipoff_events_tipoff_id"), ["tipoff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tipoff_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tipoff_events_tipoff_id"))
        batch_op.drop_index(batch_op.f("ix_tipoff_events_subject_id"))
    op.drop_table("tipoff_events")
    with op.batch_alter_table("tipoff_custody", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tipoff_custody_tipoff_id"))
        batch_op.drop_index(batch_op.f("ix_tipoff_custody_org_unit_id"))
    op.drop_table("tipoff_custody")
    with op.batch_alter_table("tipoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tipoffs_subject_id"))
        batch_op.drop_index(batch_op.f("ix_tipoffs_received_on"))
        batch_op.drop_index(batch_op.f("ix_tipoffs_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_tipoffs_handled_on"))
    op.drop_table("tipoffs")
    op.drop_table("tipoff_settings")
    op.drop_table("public_holidays")
