"""subscribers and consent

Revision ID: 0003_subscribers
Revises: 0002_editions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0003_subscribers"
down_revision = "0002_editions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("slot", sa.String(5), nullable=True),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("confirmed", UtcDateTime(), nullable=True),
        sa.Column("unsubscribed", UtcDateTime(), nullable=True),
        sa.Column("unsubscribe_reason", sa.String(200), nullable=True),
        sa.Column("link_sent", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("email", name="uq_subscribers_email"),
    )
    op.create_index("ix_subscribers_email_hash", "subscribers", ["email_hash"])
    op.create_index("ix_subscribers_status_frequency_id", "subscribers", ["status", "frequency", "id"])
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("form", sa.String(200), nullable=False),
        sa.Column("wording_version", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_consent_records_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_consent_records_subscriber_id", "consent_records", ["subscriber_id"])
    op.create_table(
        "suppressions",
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email_hash", name="pk_suppressions"),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sg_event_id", sa.String(100), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        sa.UniqueConstraint("sg_event_id", name="uq_webhook_events_sg_event_id"),
    )
    op.create_index("ix_webhook_events_received_at", "webhook_events", ["received_at"])
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


def downgrade() -> None:
    op.drop_index("ix_subscribe_attempts_attempted_at", table_name="subscribe_attempts")
    op.drop_index("ix_subscribe_attempts_client_hash_attempted_at", table_name="subscribe_attempts")
    op.drop_table("subscribe_attempts")
    op.drop_index("ix_webhook_events_received_at", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("suppressions")
    op.drop_index("ix_consent_records_subscriber_id", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_index("ix_subscribers_status_frequency_id", table_name="subscribers")
    op.drop_index("ix_subscribers_email_hash", table_name="subscribers")
    op.drop_table("subscribers")
