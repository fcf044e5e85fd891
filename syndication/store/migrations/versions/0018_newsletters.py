"""newsletters: subscriptions per newsletter, consent per newsletter, segments, special editions

Revision ID: 0018_newsletters
Revises: 0017_console

Nothing is dropped or rewritten: every subscriber, consent record and ledger row stays. Each subscriber
gets one subscription to the newsletter named like their frequency (``daily`` or ``weekly``, the names of
the default editions, and what ``[[digest.editions]]`` read as newsletters find through ``readers_of``),
with the subscriber's status: active stays active, pending stays pending, anything else is unsubscribed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0018_newsletters"
down_revision = "0017_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("newsletter", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("confirmed", UtcDateTime(), nullable=True),
        sa.Column("unsubscribed", UtcDateTime(), nullable=True),
        sa.Column("unsubscribe_reason", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscribers.id"], name="fk_subscriptions_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("subscriber_id", "newsletter", name="uq_subscriptions_subscriber_id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_subscriptions_newsletter_status_subscriber_id", "subscriptions", ["newsletter", "status", "subscriber_id"]
    )
    op.create_table(
        "segments",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
    )
    op.add_column("consent_records", sa.Column("newsletter", sa.String(50), nullable=True))
    op.add_column("subscribers", sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column("digest_editions", sa.Column("newsletter", sa.String(50), nullable=True))
    op.add_column(
        "digest_editions", sa.Column("kind", sa.String(10), nullable=False, server_default="regular")
    )
    op.execute(
        """
        INSERT INTO subscriptions (subscriber_id, newsletter, status, created, confirmed, unsubscribed,
                                   unsubscribe_reason)
        SELECT id, frequency,
               CASE status WHEN 'active' THEN 'active' WHEN 'pending' THEN 'pending' ELSE 'unsubscribed' END,
               created, confirmed,
               CASE WHEN status IN ('active', 'pending') THEN NULL ELSE COALESCE(unsubscribed, created) END,
               CASE WHEN status IN ('active', 'pending') THEN NULL ELSE COALESCE(unsubscribe_reason, status) END
        FROM subscribers
        ORDER BY id
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("digest_editions") as batch:
        batch.drop_column("kind")
        batch.drop_column("newsletter")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("consent_records") as batch:
        batch.drop_column("newsletter")
    op.drop_table("segments")
    op.drop_index("ix_subscriptions_newsletter_status_subscriber_id", table_name="subscriptions")
    op.drop_table("subscriptions")
