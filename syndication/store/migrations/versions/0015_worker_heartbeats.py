"""worker heartbeats: one row per worker planning or sending, refreshed while it works

Revision ID: 0015_worker_heartbeats
Revises: 0014_partner_versions

A new table only (no rebuild). Claims left by workers that never beat age by their own time,
as before, but against ``[workers] lease_seconds`` (default 60 s) instead of 30 minutes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0015_worker_heartbeats"
down_revision = "0014_partner_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_workers",
        sa.Column("worker", sa.String(200), primary_key=True),
        sa.Column("beat_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("delivery_workers")
