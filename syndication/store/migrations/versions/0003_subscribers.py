"""subscribers and consent

Revision ID: 0003_subscribers
Revises: 0002_editions
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from syndication.store.types import UtcDateTime  # noqa: F401

revision = "0003_subscribers"
down_revision = "0002_editions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
