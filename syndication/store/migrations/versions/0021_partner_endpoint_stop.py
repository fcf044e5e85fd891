"""partner push endpoints can be stopped: when, if they were

Revision ID: 0021_partner_endpoint_stop
Revises: 0020_console_totp_sealed

``partner_endpoints.stopped_at``: set by ``syndication partners push-stop NAME``, when the newsroom ends a
partner's pushes (the partner keeps its key and may still poll). The endpoint's row, its pushes and their
attempts stay, so the partner's usage keeps its history. Every existing endpoint goes on as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0021_partner_endpoint_stop"
down_revision = "0020_console_totp_sealed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partner_endpoints", sa.Column("stopped_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    # A downgraded version knows no stopped endpoints: it would push to them again.
    op.drop_column("partner_endpoints", "stopped_at")
