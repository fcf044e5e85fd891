"""digest editions

Revision ID: 0002_editions
Revises: 0001_articles
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from syndication.store.types import UtcDateTime  # noqa: F401

revision = "0002_editions"
down_revision = "0001_articles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
