"""scheduler leases: one leader among any number of `syndication run` processes

Revision ID: 0016_scheduler_leases
Revises: 0015_worker_heartbeats

A new table only (no rebuild).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0016_scheduler_leases"
down_revision = "0015_worker_heartbeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=True),
        sa.Column("renewed_at", UtcDateTime(), nullable=False),
        sa.Column("taken_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_leases")
