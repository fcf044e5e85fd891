"""The send ledger's rows as values: a run, a batch, a recipient, a run's counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from syndication.delivery.statuses import BatchStatus, RunStatus


@dataclass(frozen=True)
class RunRow:
    id: int
    edition_id: str
    slot: str
    status: RunStatus
    backend: str
    owner: str | None
    created_at: datetime
    skipped_at_planning: int


@dataclass(frozen=True)
class BatchRow:
    id: int
    run_id: int
    number: int
    variant: str
    size: int
    status: BatchStatus
    claimed_by: str | None
    claimed_at: datetime | None
    handed_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class RecipientRow:
    id: int
    subscriber_id: int
    email: str


@dataclass(frozen=True)
class RunCounts:
    """Recipients of a run by state (a failed or in-doubt batch's unsent recipients count there)."""

    planned: int
    sent: int
    skipped: int
    pending: int
    failed: int
    in_doubt: int
    batches: int
    batches_failed: int
    batches_in_doubt: int
    bounced: int = 0


def as_run(row: object) -> RunRow:
    return RunRow(
        row.id, row.edition_id, row.slot, RunStatus(row.status), row.backend, row.owner, row.created_at,  # type: ignore[attr-defined]
        row.skipped_at_planning,  # type: ignore[attr-defined]
    )


def as_batch(row: object) -> BatchRow:
    return BatchRow(
        row.id, row.run_id, row.number, row.variant, row.size, BatchStatus(row.status),  # type: ignore[attr-defined]
        row.claimed_by, row.claimed_at, row.handed_at, row.attempts,  # type: ignore[attr-defined]
    )
