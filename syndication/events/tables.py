"""The events table and the report counters (migration 0011_send_events).

``send_events`` keeps each provider event once (unique on provider and the SHA-256 of its id).
``send_report_counts`` and ``send_click_counts`` are sums, increased as each new event is
stored, so that a report never reads the events themselves. ``send_event_marks`` remembers
which recipient already counted for which kind in which edition, so that "delivered",
"bounced" or "clicked" count readers, not repeated events.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

send_events = Table(
    "send_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(40), nullable=False),
    # SHA-256 (hex) of the provider's whole event id.
    Column("event_key", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("edition_id", String(64), nullable=True),
    Column("run_id", Integer, nullable=True),
    Column("slot", String(80), nullable=True),
    # None for clicks and opens unless [tracking] per_subscriber is on.
    Column("subscriber_id", Integer, nullable=True),
    Column("variant", String(200), nullable=True),
    Column("bounce_type", String(10), nullable=True),
    Column("smtp_status", String(20), nullable=True),
    # The provider's reason, addresses redacted.
    Column("reason", Text, nullable=True),
    Column("url", Text, nullable=True),
    Column("article_id", String(64), nullable=True),
    UniqueConstraint("provider", "event_key", name="uq_send_events_provider"),
    Index("ix_send_events_subscriber_id_kind", "subscriber_id", "kind", "occurred_at"),
    Index("ix_send_events_edition_id", "edition_id"),
    sqlite_autoincrement=True,
)

send_report_counts = Table(
    "send_report_counts",
    metadata,
    Column("edition_id", String(64), nullable=False),
    # "" when an event could not be placed in a slot (its message carried no run id we know).
    Column("slot", String(80), nullable=False),
    Column("processed", Integer, nullable=False, default=0),
    Column("delivered", Integer, nullable=False, default=0),
    Column("deferred", Integer, nullable=False, default=0),
    Column("bounced_hard", Integer, nullable=False, default=0),
    Column("bounced_soft", Integer, nullable=False, default=0),
    Column("dropped", Integer, nullable=False, default=0),
    Column("complaints", Integer, nullable=False, default=0),
    Column("unsubscribes", Integer, nullable=False, default=0),
    Column("unique_clicks", Integer, nullable=False, default=0),
    Column("clicks", Integer, nullable=False, default=0),
    Column("opens", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("edition_id", "slot", name="pk_send_report_counts"),
)

send_click_counts = Table(
    "send_click_counts",
    metadata,
    Column("edition_id", String(64), nullable=False),
    Column("slot", String(80), nullable=False),
    # "" when the click names no article of ours (a link the provider tracked).
    Column("article_id", String(64), nullable=False),
    # SHA-256 of the URL: the key stays short whatever the URL's length.
    Column("url_key", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("clicks", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("edition_id", "slot", "article_id", "url_key", name="pk_send_click_counts"),
)

send_event_marks = Table(
    "send_event_marks",
    metadata,
    Column("edition_id", String(64), nullable=False),
    Column("subscriber_id", Integer, nullable=False),
    # The counter the recipient already counted for: delivered, bounced_hard, complaints …
    Column("counter", String(20), nullable=False),
    PrimaryKeyConstraint("edition_id", "subscriber_id", "counter", name="pk_send_event_marks"),
    Index("ix_send_event_marks_subscriber_id", "subscriber_id"),
)
