"""partners and API keys

Revision ID: 0005_partners
Revises: 0004_delivery_ledger
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from syndication.store.types import UtcDateTime  # noqa: F401

revision = "0005_partners"
down_revision = "0004_delivery_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
