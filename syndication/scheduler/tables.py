"""The scheduler's own tables: one row per edition slot sent, one row per job run.

State that must survive a restart lives here; the APScheduler job store stays in memory
and is rebuilt from the configuration at every start.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Float, Index, Integer, String, Table, Text, UniqueConstraint

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

# One row per (edition, local date, slot): claimed with an atomic insert before anything is
# built or sent, so a job that fires twice, a restart or a second caller finds it and does not
# send again. ``status``: running → sent | skipped | failed (a failed or interrupted row may be
# resumed; send_edition's own ledger makes the resumed send skip what already went out). With
# [workers] queue a send goes running → queued (deferred) → sent | failed (settled by the worker's job).
edition_sends = Table(
    "edition_sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("edition_name", String(100), nullable=False),
    Column("edition_date", Date, nullable=False),
    Column("slot", String(80), nullable=False),
    Column("edition_id", String(64), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("detail", Text, nullable=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    UniqueConstraint("edition_name", "edition_date", "slot", name="uq_edition_sends_edition_name"),
    Index("ix_edition_sends_edition_id", "edition_id"),
    Index("ix_edition_sends_started_at", "started_at"),
)

# One row per job run (collect, feeds, edition slots), for `syndication status` and /healthz.
job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(100), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("duration_seconds", Float, nullable=True),
    # running → ok | skipped | failed | interrupted
    Column("outcome", String(20), nullable=False),
    Column("counts", Text, nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_job_runs_job_id", "job_id", "started_at"),
)

# Who leads the schedule: one row per lease name ("scheduler"), taken with a conditional UPDATE
# when its holder let it lapse, renewed by the holder every third of [workers] lease_seconds.
# Works the same on SQLite and PostgreSQL; see syndication.scheduler.leadership.
scheduler_leases = Table(
    "scheduler_leases",
    metadata,
    Column("name", String(100), primary_key=True),
    # "host/pid/token" of the `syndication run` process holding it; None: free.
    Column("holder", String(200), nullable=True),
    Column("renewed_at", UtcDateTime, nullable=False),
    Column("taken_at", UtcDateTime, nullable=False),
)
