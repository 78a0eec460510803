"""Performance: the definition fingerprint of each stored indicator period (a release that
changes the definition, or a dump restored into another database, rebuilds it at its next
read) and the indexes the scoped, paginated lists read.

Revision ID: 0019_perf
Revises: 0017_rights
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_perf"
down_revision = "0017_rights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("indicator_periods", sa.Column("fingerprint", sa.String(64), nullable=False,
                                                 server_default=""))
    op.create_index("ix_cases_list", "cases", ["org_unit_id", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_list", table_name="cases")
    with op.batch_alter_table("indicator_periods") as batch:
        batch.drop_column("fingerprint")
