"""Referral network (issue 5): provider directory, notifications and referral additions.

Revision ID: 0005_referral_network
Revises: 0004_case_workflow
"""

import sqlalchemy as sa  # noqa: F401  (used as the area adds operations)
from alembic import op  # noqa: F401

revision = "0005_referral_network"
down_revision = "0004_case_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
