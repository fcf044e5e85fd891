"""The fence of a lease: a worker whose claim lapsed (paused longer than the lease) and was given to another must not
hand the batch to the provider when it wakes, or the batch would go out twice."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from syndication.delivery.claims import Worker
from syndication.delivery.ledger import Ledger
from syndication.delivery.sending import send_batch
from syndication.delivery.statuses import BatchStatus
from syndication.delivery.testing import RecordingMessenger

from .fakes import FakeMailer, FakeSubscribers, make_options

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
PAUSED = Worker("machine-a", 4141, "a1")
OTHER = Worker("machine-b", 4242, "b1")


def test_a_worker_whose_claim_was_given_to_another_does_not_hand_the_batch(any_engine: Engine) -> None:
    """Machine A claims the batch and stalls; a lease later its claim is given back and machine B claims it;
    when A goes on it sends nothing and leaves the batch to B, which sends it: each reader gets one message."""
    ledger = Ledger(any_engine)
    subscribers = FakeSubscribers.generated(3)
    run, _ = ledger.open_run("e1", "06:00", "outbox", PAUSED, NOW)
    ledger.add_batches(run, 1, [("all", [(s.id, s.email) for s in subscribers.by_id.values()])])
    run = ledger.finish_planning(run, 0, NOW)
    batch = ledger.next_pending(run, 0)
    assert batch is not None and ledger.claim(batch, PAUSED, NOW)
    held_by_a = replace(batch, claimed_by=str(PAUSED))
    assert ledger.release(held_by_a)  # what resolve_abandoned does with a silent worker's unhanded batch
    assert ledger.claim(batch, OTHER, NOW + timedelta(minutes=2))
    messenger = RecordingMessenger()
    options = make_options(edition_id="e1")

    from_a = send_batch(ledger, held_by_a, messenger, FakeMailer("e1"), subscribers, options, None)
    still_b = ledger.batches(run, [BatchStatus.SENDING])
    from_b = send_batch(ledger, replace(batch, claimed_by=str(OTHER)), messenger, FakeMailer("e1"), subscribers,
                        options, None)

    assert (0, []) == from_a
    assert [str(OTHER)] == [row.claimed_by for row in still_b] and still_b[0].handed_at is None
    assert 3 == from_b[0]
    assert Counter({s.email: 1 for s in subscribers.by_id.values()}) == messenger.counts
    assert [BatchStatus.SENT] == [row.status for row in ledger.batches(run, list(BatchStatus))]
