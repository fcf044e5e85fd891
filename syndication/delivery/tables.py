"""The send ledger's tables: one run per (edition, slot), its batches, their recipients."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

delivery_runs = Table(
    "delivery_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("edition_id", String(64), nullable=False),
    Column("slot", String(80), nullable=False),
    # planning → ready → done; a run stays "ready" while any batch is not yet sent.
    Column("status", String(20), nullable=False),
    Column("backend", String(20), nullable=False),
    # Which process plans the run ("host/pid/token"), so a crashed planner's half plan is redone.
    Column("owner", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("planned_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    # Subscribers left out while planning: nothing in this edition for their topics.
    Column("skipped_at_planning", Integer, nullable=False, default=0),
    # Why the complaint brake paused the run (status "paused"); `digest resume` clears it.
    Column("pause_reason", Text, nullable=True),
    UniqueConstraint("edition_id", "slot", name="uq_delivery_runs_edition_id"),
    # Ids are never handed out twice on SQLite either (migration 0008 rebuilt the tables so).
    sqlite_autoincrement=True,
)

delivery_batches = Table(
    "delivery_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("delivery_runs.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    # The mailer's variant key: every recipient of a batch shares one body.
    Column("variant", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    # pending → sending → sent | failed; "in_doubt" when a crash left it unresolvable.
    Column("status", String(20), nullable=False),
    Column("claimed_by", String(200), nullable=True),
    Column("claimed_at", UtcDateTime, nullable=True),
    # Set just before the batch is handed to the backend: a crash before it is safe to resend.
    Column("handed_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("provider_id", String(200), nullable=True),
    Column("error", Text, nullable=True),
    UniqueConstraint("run_id", "number", name="uq_delivery_batches_run_id"),
    Index("ix_delivery_batches_run_id_status", "run_id", "status"),
    # Ids are never handed out twice on SQLite either (migration 0008 rebuilt the tables so).
    sqlite_autoincrement=True,
)

delivery_recipients = Table(
    "delivery_recipients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("delivery_batches.id", ondelete="CASCADE"), nullable=False),
    Column("edition_id", String(64), nullable=False),
    Column("subscriber_id", Integer, nullable=False),
    Column("email", String(320), nullable=False),
    # pending → sent | skipped (suppressed or unsubscribed when its batch went out) | failed (this
    # recipient only: its message could not be built or the provider refused it; retried by the next
    # run) | deferred (a temporary refusal; retried by the next run) | bounced (a permanent refusal;
    # suppressed) | in_doubt (a crash left it unknown whether the provider has it)
    Column("status", String(20), nullable=False),
    Column("provider_id", String(200), nullable=True),
    Column("sent_at", UtcDateTime, nullable=True),
    # Why this recipient failed, bounced or was deferred (redacted: never an address).
    Column("error", Text, nullable=True),
    # The provider event that proves it has the message (SendGrid "processed" or later).
    Column("evidence", String(20), nullable=True),
    # One edition reaches a subscriber once, whichever slot they are in.
    UniqueConstraint("edition_id", "subscriber_id", name="uq_delivery_recipients_edition_id"),
    Index("ix_delivery_recipients_batch_id", "batch_id"),
    # Ids are never handed out twice on SQLite either (migration 0008 rebuilt the tables so).
    sqlite_autoincrement=True,
)

# One row per worker while it plans or sends ("host/pid/token", as in owner and claimed_by): its
# heartbeat, refreshed every third of [workers] lease_seconds. A claim whose worker's heartbeat (or,
# without a row, the claim itself) is older than the lease is abandoned, on whatever machine it ran.
delivery_workers = Table(
    "delivery_workers",
    metadata,
    Column("worker", String(200), primary_key=True),
    Column("beat_at", UtcDateTime, nullable=False),
)
