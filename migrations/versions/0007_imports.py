"""Imports (issue 7): import batches and row references.

Revision ID: 0007_imports
Revises: 0006_supervision
"""

import sqlalchemy as sa  # noqa: F401  (used as the area adds operations)
from alembic import op  # noqa: F401

revision = "0007_imports"
down_revision = "0006_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
