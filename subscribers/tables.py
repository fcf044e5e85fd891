"""Tables of the subscribers package, on the shared ``metadata`` (migrations 0003_subscribers, 0007_hostile_input).

Integer ids are never handed out twice (``sqlite_autoincrement``; PostgreSQL sequences never
reuse values): the send ledger and provider events keep a subscriber's id after the subscriber
is erased, and a newcomer given that id would be taken for them (migration 0008_ids_never_reused).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Normalised address (email-validator: domain lower-cased, IDN as Unicode).
    Column("email", String(320), nullable=False),
    # Keyed hash of the address: lets sends skip suppressed addresses with a join.
    Column("email_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("frequency", String(10), nullable=False),
    # JSON list of categories and regions; [] means everything.
    Column("topics", Text, nullable=False, default="[]"),
    Column("language", String(10), nullable=False, default="de"),
    Column("name", String(200), nullable=True),
    Column("slot", String(5), nullable=True),
    # The reader's IANA time zone (checked when written): their slots' wall clock in newsletters with
    # slot_zone = "reader"; None or a name of no zone: the site's.
    Column("timezone", String(64), nullable=True),
    Column("created", UtcDateTime, nullable=False),
    Column("confirmed", UtcDateTime, nullable=True),
    Column("unsubscribed", UtcDateTime, nullable=True),
    Column("unsubscribe_reason", String(200), nullable=True),
    # When we last mailed a confirmation/welcome link: throttles repeated sign-ups of one address.
    Column("link_sent", UtcDateTime, nullable=True),
    UniqueConstraint("email", name="uq_subscribers_email"),
    Index("ix_subscribers_email_hash", "email_hash"),
    Index("ix_subscribers_status_frequency_id", "status", "frequency", "id"),
    # The zones readers set, read by the scheduler every quarter hour (migration 0019_reader_zones).
    Index("ix_subscribers_timezone", "timezone"),
    sqlite_autoincrement=True,
)

consent_records = Table(
    "consent_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", name="fk_consent_records_subscriber_id_subscribers", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("action", String(20), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("ip", String(45), nullable=True),
    Column("user_agent", String(500), nullable=True),
    Column("form", String(200), nullable=False),
    Column("wording_version", String(50), nullable=False),
    # The newsletter this step is about; None: the subscriber as a whole (and records from before newsletters).
    Column("newsletter", String(50), nullable=True),
    Index("ix_consent_records_subscriber_id", "subscriber_id"),
    sqlite_autoincrement=True,
)

# Keyed hashes (HMAC-SHA256) of addresses that must not be mailed or re-imported.
suppressions = Table(
    "suppressions",
    metadata,
    Column("email_hash", String(64), primary_key=True),
    # forgotten | bounced | complained
    Column("reason", String(20), nullable=False),
    Column("created", UtcDateTime, nullable=False),
)

# SendGrid events already applied, so that a retried or replayed post counts once.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sg_event_id", String(100), nullable=False),
    Column("event", String(40), nullable=False),
    Column("subscriber_id", Integer, nullable=True),
    Column("outcome", String(40), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("sg_event_id", name="uq_webhook_events_sg_event_id"),
    Index("ix_webhook_events_received_at", "received_at"),
)

# Subscribe form tokens already used (SHA-256 of the token), kept until the token would have expired anyway.
used_form_tokens = Table(
    "used_form_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_used_form_tokens_expires_at", "expires_at"),
)

# One row per (subscriber, newsletter): each newsletter has its own opt-in and unsubscribe (migration
# 0017_newsletters). A newsletter reaches a subscriber only when the subscriber is active, not suppressed
# and this row is active.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", name="fk_subscriptions_subscriber_id_subscribers", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("newsletter", String(50), nullable=False),
    # pending | active | unsubscribed
    Column("status", String(20), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("confirmed", UtcDateTime, nullable=True),
    Column("unsubscribed", UtcDateTime, nullable=True),
    Column("unsubscribe_reason", String(200), nullable=True),
    UniqueConstraint("subscriber_id", "newsletter", name="uq_subscriptions_subscriber_id"),
    Index("ix_subscriptions_newsletter_status_subscriber_id", "newsletter", "status", "subscriber_id"),
    sqlite_autoincrement=True,
)

# Saved segments: conditions over subscriber attributes (JSON), counted live.
segments = Table(
    "segments",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("conditions", Text, nullable=False),
    Column("created", UtcDateTime, nullable=False),
)
