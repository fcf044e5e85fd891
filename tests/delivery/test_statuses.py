"""Ledger statuses are enums whose stored text is what it always was (no migration)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from syndication.delivery.ledger import BatchRow, Ledger, Worker
from syndication.delivery.statuses import BatchStatus, RecipientStatus, RunStatus
from syndication.delivery.tables import delivery_batches, delivery_recipients, delivery_runs

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def _one_batch(ledger: Ledger, edition_id: str, subscriber_id: int) -> BatchRow:
    run, _ = ledger.open_run(edition_id, "06:00", "outbox", Worker.current(), NOW)
    ledger.add_batches(run, 1, [("all", [(subscriber_id, "a@example.org")])])
    batch = ledger.next_pending(run, 0)
    assert batch is not None
    return batch


def test_the_stored_statuses_are_the_plain_words_and_read_back_as_members(any_engine: Engine) -> None:
    """Runs, batches and recipients store "planning", "pending"…; the ledger hands back enum members."""
    ledger = Ledger(any_engine)
    batch = _one_batch(ledger, "e-statuses", 1)
    with any_engine.connect() as connection:
        stored = (
            connection.execute(select(delivery_runs.c.status)).scalar_one(),
            connection.execute(select(delivery_batches.c.status)).scalar_one(),
            connection.execute(select(delivery_recipients.c.status)).scalar_one(),
        )
    read = ledger.get_run("e-statuses", "06:00")
    assert read is not None
    assert ("planning", "pending", "pending") == stored
    assert (RunStatus.PLANNING, RunStatus, BatchStatus.PENDING, BatchStatus) == (
        read.status, type(read.status), batch.status, type(batch.status)
    )


def test_a_recipient_outcome_comes_back_as_its_member(any_engine: Engine) -> None:
    """A recipient marked bounced reads back as RecipientStatus.BOUNCED (stored as "bounced"), reason redacted."""
    ledger = Ledger(any_engine)
    batch = _one_batch(ledger, "e-outcome", 7)
    row = ledger.pending_recipients(batch.id)[0]
    ledger.mark_outcome(row.id, RecipientStatus.BOUNCED, "550 a@example.org: unknown user")
    errors = ledger.recipient_errors(batch.id, [RecipientStatus.BOUNCED])
    assert [(7, RecipientStatus.BOUNCED, RecipientStatus, "550 <address>: unknown user")] == [
        (subscriber_id, status, type(status), reason) for subscriber_id, status, reason in errors
    ]
