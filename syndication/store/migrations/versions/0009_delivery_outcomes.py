"""per-recipient outcomes in the send ledger: error text and provider evidence

Revision ID: 0009_delivery_outcomes
Revises: 0008_ids_never_reused

A recipient can now fail, bounce or be in doubt on its own (one refused address no longer fails
its batch): ``error`` keeps the (redacted) reason. ``evidence`` keeps the strongest provider event
seen for the message (SendGrid's ``processed`` and later), which settles a message in doubt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_delivery_outcomes"
down_revision = "0008_ids_never_reused"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("delivery_recipients", sa.Column("error", sa.Text(), nullable=True))
    op.add_column("delivery_recipients", sa.Column("evidence", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_recipients") as batch:
        batch.drop_column("evidence")
        batch.drop_column("error")
