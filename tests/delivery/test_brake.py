"""The brake's edition counts: the whole edition counted in full now and then, each batch of the loop added between."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from syndication.clock import FixedClock
from syndication.delivery import brake as brake_module
from syndication.delivery.brake import RECOUNT_BATCHES, EditionTally
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import deliver
from syndication.delivery.statuses import BatchStatus
from syndication.delivery.testing import RecordingMessenger
from tests.delivery.fakes import FakeMailer, FakeSubscribers, StoppingMessenger, make_options

EDITION = "daily-2026-11-24"


class CountingBrake:
    """Never pulls; remembers the edition's sent count it was given before each batch."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def reason(self, edition_id: str, slot: str, sent: int, bounced: int) -> str | None:
        self.sent.append(sent)
        return None


def _edition_counts(engine: Engine) -> list[str]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "GROUP BY delivery_recipients.status" in statement and "delivery_recipients.edition_id" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return statements


def test_a_send_counts_the_edition_in_full_again_only_after_many_batches(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a full count every 20 batches, a send of 50 one-reader batches counts the whole edition before
    batches 1, 21 and 41 only, and the brake is still told the exact count before every batch (this loop's
    batches are added as they are sent)."""
    monkeypatch.setattr(brake_module, "RECOUNT_BATCHES", 20)
    brake = CountingBrake()
    counted = _edition_counts(engine)
    options = replace(make_options(batch_size=1), brake=brake)
    report = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(50), RecordingMessenger(), options)
    assert (50, list(range(50)), 3) == (report.sent, brake.sent[:50], len(counted))


class SlowMessenger(RecordingMessenger):
    """Each batch takes ``seconds`` on the send's clock."""

    def __init__(self, clock: FixedClock, seconds: int) -> None:
        super().__init__()
        self.clock = clock
        self.seconds = seconds

    def send(self, batch, observer=None):  # type: ignore[no-untyped-def]
        self.clock.advance(timedelta(seconds=self.seconds))
        return super().send(batch, observer)


def test_a_slow_send_counts_the_edition_in_full_every_half_minute(engine: Engine) -> None:
    """Batches of 12 seconds on the send's clock: the edition is counted in full before the first batch and
    then once 30 seconds have passed (before batches 4, 7 and 10 of 10): what others sent shows that soon."""
    brake, clock = CountingBrake(), FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    counted = _edition_counts(engine)
    options = replace(make_options(batch_size=1, clock=clock), brake=brake)
    report = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(10), SlowMessenger(clock, 12), options)
    assert (10, list(range(10)), 4) == (report.sent, brake.sent[:10], len(counted))


def test_what_others_sent_shows_at_the_next_full_count(engine: Engine) -> None:
    """Sent by another process after the first count, the rest of the edition shows once this loop has sent
    RECOUNT_BATCHES batches since (each added as counted in that batch alone), not before."""
    source, ledger, stop = FakeSubscribers.generated(8), Ledger(engine), threading.Event()
    deliver(ledger, FakeMailer(), source, StoppingMessenger(stop), make_options(batch_size=2, stop=stop))
    tally = EditionTally(engine, EDITION, FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC)))
    first = tally.counts()
    deliver(ledger, FakeMailer(), source, RecordingMessenger(), make_options(batch_size=2))
    before = tally.counts()
    run = ledger.get_run(EDITION, "06:00")
    assert run is not None
    batch = ledger.batches(run, [BatchStatus.SENT])[0]
    for _ in range(RECOUNT_BATCHES):
        tally.add_batch(batch.id)
    added = (tally.sent, tally.bounced)
    assert ((2, 0), (2, 0), (2 + 2 * RECOUNT_BATCHES, 0), (8, 0)) == (first, before, added, tally.counts())
