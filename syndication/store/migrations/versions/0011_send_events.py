"""send events: one table for every backend's events, report counters, the run's pause reason

Revision ID: 0011_send_events
Revises: 0010_article_terms

``send_events`` keeps each provider event once (unique on provider and the SHA-256 of its id).
``send_report_counts``, ``send_click_counts`` and ``send_event_marks`` are the per-edition and
per-slot sums that reports read, increased as events arrive. ``delivery_runs.pause_reason``
says why the complaint brake paused a run (status ``paused``). New tables and a nullable column
only: no table is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0011_send_events"
down_revision = "0010_article_terms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("edition_id", sa.String(64), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("slot", sa.String(5), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("variant", sa.String(200), nullable=True),
        sa.Column("bounce_type", sa.String(10), nullable=True),
        sa.Column("smtp_status", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("article_id", sa.String(64), nullable=True),
        sa.UniqueConstraint("provider", "event_key", name="uq_send_events_provider"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_send_events_subscriber_id_kind", "send_events", ["subscriber_id", "kind", "occurred_at"])
    op.create_index("ix_send_events_edition_id", "send_events", ["edition_id"])
    counters = [
        "processed", "delivered", "deferred", "bounced_hard", "bounced_soft", "dropped",
        "complaints", "unsubscribes", "unique_clicks", "clicks", "opens",
    ]
    op.create_table(
        "send_report_counts",
        sa.Column("edition_id", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(5), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counters),
        sa.PrimaryKeyConstraint("edition_id", "slot", name="pk_send_report_counts"),
    )
    op.create_table(
        "send_click_counts",
        sa.Column("edition_id", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(5), nullable=False),
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("url_key", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("edition_id", "slot", "article_id", "url_key", name="pk_send_click_counts"),
    )
    op.create_table(
        "send_event_marks",
        sa.Column("edition_id", sa.String(64), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("edition_id", "subscriber_id", "counter", name="pk_send_event_marks"),
    )
    op.create_index("ix_send_event_marks_subscriber_id", "send_event_marks", ["subscriber_id"])
    op.add_column("delivery_runs", sa.Column("pause_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A batch rebuild must keep AUTOINCREMENT (migration 0008): ids are never handed out twice.
        with op.batch_alter_table("delivery_runs", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_column("pause_reason")
    else:
        op.drop_column("delivery_runs", "pause_reason")
    op.drop_index("ix_send_event_marks_subscriber_id", table_name="send_event_marks")
    op.drop_table("send_event_marks")
    op.drop_table("send_click_counts")
    op.drop_table("send_report_counts")
    op.drop_index("ix_send_events_edition_id", table_name="send_events")
    op.drop_index("ix_send_events_subscriber_id_kind", table_name="send_events")
    op.drop_table("send_events")
