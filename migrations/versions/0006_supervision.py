"""Supervision (issue 6): uptake verification, sign-offs and report snapshots.

Revision ID: 0006_supervision
Revises: 0005_referral_network
"""

import sqlalchemy as sa  # noqa: F401  (used as the area adds operations)
from alembic import op  # noqa: F401

revision = "0006_supervision"
down_revision = "0005_referral_network"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
