"""Case workflow (issue 4): notes, follow-ups, case-number counters, consent field lists,
encrypted late-entry reasons.

Revision ID: 0004_case_workflow
Revises: 0003_case_records
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_case_workflow"
down_revision = "0003_case_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_number_counters",
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"],
                                name=op.f("fk_case_number_counters_org_unit_id_org_units")),
        sa.PrimaryKeyConstraint("org_unit_id", "year", name=op.f("pk_case_number_counters")),
    )
    op.create_table(
        "case_notes",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("backdate_reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_case_notes_author_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_case_notes_case_id_cases")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_case_notes_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notes_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_notes_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "follow_ups",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("title_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_follow_ups_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_follow_ups_created_by_id_users")),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"],
                                name=op.f("fk_follow_ups_done_by_id_users")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_follow_ups_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_ups_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_follow_ups_open_due", ["done_on", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_ups_subject_id"), ["subject_id"], unique=False)

    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_fields", sa.String(length=200), nullable=False,
                                      server_default="full_name,phone"))

    op.create_table(
        "late_entry_reasons",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_late_entry_reasons_case_id_cases")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_late_entry_reasons_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_entry_reasons")),
    )
    with op.batch_alter_table("late_entry_reasons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_late_entry_reasons_case_id"), ["case_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_late_entry_reasons_subject_id"), ["subject_id"],
                              unique=False)
    # Free-text reasons are never stored in clear: the old column stays NULL (bulk writers
    # still name it), the reason lives encrypted in late_entry_reasons.
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_reason_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_case_events_late_reason_id_late_entry_reasons"),
                                    "late_entry_reasons", ["late_reason_id"], ["id"])
        batch_op.create_check_constraint(op.f("ck_case_events_no_clear_reason"),
                                         "backdate_reason IS NULL")
    with op.batch_alter_table("need_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_reason_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_need_events_late_reason_id_late_entry_reasons"),
                                    "late_entry_reasons", ["late_reason_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("need_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_need_events_late_reason_id_late_entry_reasons"), type_="foreignkey")
        batch_op.drop_column("late_reason_id")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_case_events_no_clear_reason"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_case_events_late_reason_id_late_entry_reasons"), type_="foreignkey")
        batch_op.drop_column("late_reason_id")
    with op.batch_alter_table("late_entry_reasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_late_entry_reasons_subject_id"))
        batch_op.drop_index(batch_op.f("ix_late_entry_reasons_case_id"))
    op.drop_table("late_entry_reasons")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("shared_fields")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_ups_subject_id"))
        batch_op.drop_index("ix_follow_ups_open_due")
        batch_op.drop_index(batch_op.f("ix_follow_ups_case_id"))
    op.drop_table("follow_ups")
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notes_subject_id"))
        batch_op.drop_index(batch_op.f("ix_case_notes_case_id"))
    op.drop_table("case_notes")
    op.drop_table("case_number_counters")
