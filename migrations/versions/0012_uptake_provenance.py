"""Uptake provenance (DOMAIN.md, "Uptake provenance"): how each uptake became known, and the
supervisor's verification of a caseworker's report.

Existing uptakes are backfilled: confirmed by a user of Casework (the partner's account) or,
without a confirming user, recorded from paper by the import. The stored indicator periods are
dropped, so they are rebuilt under the definition that reads the new column.

Revision ID: 0012_uptake_provenance
Revises: 0011_import_review
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_uptake_provenance"
down_revision = "0011_import_review"
branch_labels = None
depends_on = None

STORED_FIGURES = ("indicator_woman_partners", "indicator_woman_categories", "indicator_women",
                  "indicator_periods")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): on SQLite a batch would copy ``referrals`` and lose the
    # indicator's change triggers (migration 0008).
    op.add_column("referrals", sa.Column("uptake_provenance", sa.String(20), nullable=True))
    op.add_column("referrals", sa.Column("uptake_evidence", sa.String(20), nullable=True))
    op.add_column("referrals", sa.Column("uptake_verified_at", sa.DateTime(timezone=True),
                                         nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # SQLite takes a reference in ADD COLUMN only
        op.execute("ALTER TABLE referrals ADD COLUMN uptake_verified_by_id INTEGER"
                   " CONSTRAINT fk_referrals_uptake_verified_by_id_users REFERENCES users (id)")
    else:
        op.add_column("referrals", sa.Column("uptake_verified_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_referrals_uptake_verified_by_id_users"), "referrals",
                              "users", ["uptake_verified_by_id"], ["id"])
    op.create_index(op.f("ix_referrals_uptake_provenance"), "referrals", ["uptake_provenance"])
    op.execute("UPDATE referrals SET uptake_provenance = CASE WHEN uptake_confirmed_by_id IS NULL"
               " THEN 'paper_import' ELSE 'partner_account' END WHERE uptake_on IS NOT NULL")
    for table in STORED_FIGURES:
        op.execute(f"DELETE FROM {table}")


def downgrade() -> None:
    for table in STORED_FIGURES:
        op.execute(f"DELETE FROM {table}")
    op.drop_index(op.f("ix_referrals_uptake_provenance"), table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("uptake_verified_by_id")
        batch.drop_column("uptake_verified_at")
        batch.drop_column("uptake_evidence")
        batch.drop_column("uptake_provenance")
    if op.get_bind().dialect.name == "sqlite":  # the batch copied the table without triggers
        for statement in (
            "CREATE TRIGGER indicator_changes_referrals_insert AFTER INSERT ON referrals "
            "BEGIN INSERT INTO indicator_changes (case_id) VALUES (NEW.case_id); END",
            "CREATE TRIGGER indicator_changes_referrals_update AFTER UPDATE ON referrals "
            "BEGIN INSERT INTO indicator_changes (case_id) VALUES (NEW.case_id); "
            "INSERT INTO indicator_changes (case_id) SELECT OLD.case_id "
            "WHERE OLD.case_id IS NOT NEW.case_id; END",
            "CREATE TRIGGER indicator_changes_referrals_delete AFTER DELETE ON referrals "
            "BEGIN INSERT INTO indicator_changes (case_id) VALUES (OLD.case_id); END",
        ):
            op.execute(statement)
