"""webhook event ids stored as SHA-256; single-use subscribe form tokens

Revision ID: 0007_hostile_input
Revises: 0006_scheduler

Event ids used to be cut to 100 characters, so long ids sharing a prefix collided. They are now
stored as the SHA-256 (hex) of the whole id. Ids already stored are rewritten the same way, so a
retry of an event recorded before the upgrade is still recognised (an id that was cut short cannot
be restored; it only matters for the 14 days the ids are kept). The downgrade cannot turn hashes
back into ids and leaves them as they are.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0007_hostile_input"
down_revision = "0006_scheduler"
branch_labels = None
depends_on = None

_events = sa.table("webhook_events", sa.column("id", sa.Integer()), sa.column("sg_event_id", sa.String(100)))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_events.c.id, _events.c.sg_event_id)).all()
    for row_id, event_id in rows:
        digest = hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()
        connection.execute(sa.update(_events).where(_events.c.id == row_id).values(sg_event_id=digest))
    op.create_table(
        "used_form_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_used_form_tokens"),
    )
    op.create_index("ix_used_form_tokens_expires_at", "used_form_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_used_form_tokens_expires_at", table_name="used_form_tokens")
    op.drop_table("used_form_tokens")
