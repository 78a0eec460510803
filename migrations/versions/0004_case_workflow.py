"""Case workflow (issue 4): columns and tables the case records area adds.

Revision ID: 0004_case_workflow
Revises: 0003_case_records
"""

import sqlalchemy as sa  # noqa: F401  (used as the area adds operations)
from alembic import op  # noqa: F401

revision = "0004_case_workflow"
down_revision = "0003_case_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
