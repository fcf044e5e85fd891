"""delivery ledger

Revision ID: 0004_delivery_ledger
Revises: 0003_subscribers
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from syndication.store.types import UtcDateTime  # noqa: F401

revision = "0004_delivery_ledger"
down_revision = "0003_subscribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
