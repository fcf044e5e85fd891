"""scheduler runs and lock

Revision ID: 0006_scheduler
Revises: 0005_partners
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from syndication.store.types import UtcDateTime  # noqa: F401

revision = "0006_scheduler"
down_revision = "0005_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
