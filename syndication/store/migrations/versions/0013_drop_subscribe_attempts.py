"""drop subscribe_attempts: sign-up limits moved to the shared rate limiter

Revision ID: 0013_drop_subscribe_attempts
Revises: 0012_webhook_deliveries

The sign-up rate limit now lives in syndication.ratelimit (memory, Redis or PostgreSQL); nothing reads or
purges this table any more, so the client hashes it holds would otherwise stay for ever.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0013_drop_subscribe_attempts"
down_revision = "0012_webhook_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_subscribe_attempts_attempted_at", table_name="subscribe_attempts")
    op.drop_index("ix_subscribe_attempts_client_hash_attempted_at", table_name="subscribe_attempts")
    op.drop_table("subscribe_attempts")


def downgrade() -> None:
    op.create_table(
        "subscribe_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_hash", sa.String(64), nullable=False),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscribe_attempts"),
    )
    op.create_index(
        "ix_subscribe_attempts_client_hash_attempted_at", "subscribe_attempts", ["client_hash", "attempted_at"]
    )
    op.create_index("ix_subscribe_attempts_attempted_at", "subscribe_attempts", ["attempted_at"])
