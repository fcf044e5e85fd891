"""The outgoing webhooks' outbox: one row per (event, endpoint), one attempt row per POST."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The [[webhooks]] entry's name.
    Column("endpoint", String(40), nullable=False),
    # The Standard Webhooks "webhook-id": the same for every attempt, so receivers deduplicate.
    Column("message_id", String(80), nullable=False),
    Column("event_type", String(40), nullable=False),
    # Whose event it is, so that an erasure can take the address out of every payload.
    Column("subscriber_id", Integer, nullable=True),
    Column("payload", Text, nullable=False),
    # pending → sending → delivered | failed (given up after max_attempts).
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("endpoint", "message_id", name="uq_webhook_deliveries_endpoint"),
    Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_subscriber_id", "subscriber_id"),
    sqlite_autoincrement=True,
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    # The endpoint's HTTP status; None when no answer came (refused, time-out, no secret).
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_attempts_delivery_id", "delivery_id"),
    sqlite_autoincrement=True,
)
