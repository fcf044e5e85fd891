"""Liveness by heartbeat: claims of a worker on any machine live while it beats and are abandoned a lease later."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.delivery.claims import Worker, claim_is_live
from syndication.delivery.heartbeat import Heartbeat, beat, last_beats
from syndication.delivery.ledger import DEFAULT_LEASE, Ledger
from syndication.delivery.send import deliver
from syndication.delivery.statuses import BatchStatus
from syndication.delivery.tables import delivery_batches, delivery_workers
from syndication.delivery.testing import RecordingMessenger
from syndication.mail.base import Batch, Receipt, SendObserver

from .fakes import FakeMailer, FakeSubscribers, make_options

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
ELSEWHERE = Worker("machine-b", 4242, "b1")


def _stopped() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def test_default_lease_is_sixty_seconds() -> None:
    """[workers] lease_seconds defaults to 60 and the ledger's default lease matches it."""
    assert (60, LEASE) == (Settings().workers.lease_seconds, DEFAULT_LEASE)


def test_a_remote_claim_lives_as_long_as_its_heartbeat() -> None:
    """Another machine's claim of two hours ago is live with a fresh heartbeat and abandoned a lease after it."""
    claimed = NOW - timedelta(hours=2)
    assert (True, False, False) == (
        claim_is_live(str(ELSEWHERE), claimed, NOW, LEASE, NOW - timedelta(seconds=59)),
        claim_is_live(str(ELSEWHERE), claimed, NOW, LEASE, NOW - timedelta(seconds=60)),
        claim_is_live(str(ELSEWHERE), claimed, NOW, LEASE),
    )


def test_an_unhanded_batch_of_a_silent_machine_is_sent_once_a_lease_later(engine: Engine) -> None:
    """A batch claimed on machine B (never handed over) waits while B beats, then is taken and sent once."""
    source = FakeSubscribers.generated(40)
    clock = FixedClock(NOW)
    ledger = Ledger(engine)
    deliver(ledger, FakeMailer(), source, RecordingMessenger(), make_options(stop=_stopped(), clock=clock))
    run = ledger.get_run("daily-2026-11-24", "06:00")
    assert run is not None
    first = ledger.next_pending(run, 0)
    assert first is not None
    assert ledger.claim(first, ELSEWHERE, NOW - timedelta(hours=2))
    beat(engine, ELSEWHERE, NOW - timedelta(seconds=10))
    messenger = RecordingMessenger()
    while_beating = deliver(ledger, FakeMailer(), source, messenger, make_options(clock=clock))
    clock.advance(timedelta(seconds=51))
    after_lease = deliver(ledger, FakeMailer(), source, messenger, make_options(clock=clock))
    assert (30, 10) == (while_beating.sent, while_beating.pending)
    assert (40, 0, 0) == (after_lease.sent, after_lease.pending, after_lease.in_doubt)
    assert {f"leser{n}@example.org": 1 for n in range(1, 41)} == dict(messenger.counts)


def test_a_handed_batch_of_a_silent_machine_is_in_doubt_not_resent(engine: Engine) -> None:
    """Machine B died after handing a batch to a provider that cannot be asked: reported in doubt a lease later."""
    source = FakeSubscribers.generated(40)
    clock = FixedClock(NOW)
    ledger = Ledger(engine)
    messenger = RecordingMessenger(reconcilable=False)
    messenger.crash_after = 2
    with pytest.raises(RuntimeError):
        deliver(ledger, FakeMailer(), source, messenger, make_options(clock=clock))
    with engine.begin() as connection:
        connection.execute(update(delivery_batches).where(delivery_batches.c.status == BatchStatus.SENDING)
                           .values(claimed_by=str(ELSEWHERE)))
    beat(engine, ELSEWHERE, NOW)
    messenger.crash_after = None
    while_beating = deliver(ledger, FakeMailer(), source, messenger, make_options(clock=clock))
    clock.advance(LEASE)
    after_lease = deliver(ledger, FakeMailer(), source, messenger, make_options(clock=clock))
    assert (30, 10, 0) == (while_beating.sent, while_beating.pending, while_beating.in_doubt)
    assert (30, 0, 10, 1) == (after_lease.sent, after_lease.pending, after_lease.in_doubt, after_lease.batches_in_doubt)
    assert 30 == sum(messenger.counts.values())


def test_a_half_plan_of_a_silent_machine_is_planned_again_a_lease_later(engine: Engine) -> None:
    """A run machine B is planning stays B's while it beats; a lease of silence later it is planned afresh."""
    ledger = Ledger(engine)
    run, _ = ledger.open_run("e1", "06:00", "outbox", ELSEWHERE, NOW - timedelta(hours=1))
    ledger.add_batches(run, 1, [("all", [(1, "a@example.org")])])
    beat(engine, ELSEWHERE, NOW - timedelta(seconds=30))
    with Worker.current() as worker:
        _, while_beating = ledger.open_run("e1", "06:00", "outbox", worker, NOW, LEASE)
        again, after_lease = ledger.open_run("e1", "06:00", "outbox", worker, NOW + timedelta(seconds=30), LEASE)
    assert (False, True, []) == (while_beating, after_lease, ledger.batches(again, [BatchStatus.PENDING]))


class TickingClock:
    """Each reading is one second after the last (a clock for a beating thread)."""

    def __init__(self) -> None:
        self.current = NOW
        self.lock = threading.Lock()

    def now(self) -> datetime:
        with self.lock:
            self.current += timedelta(seconds=1)
            return self.current


def test_heartbeat_refreshes_the_row_on_its_thread_and_removes_it_at_the_end(engine: Engine) -> None:
    """Beats at once, again every third of the lease with the clock's time, and forgets the worker when done."""
    clock = TickingClock()
    worker = Worker.current()
    with Heartbeat(engine, worker, clock, timedelta(seconds=0.3)) as heartbeat:
        deadline = time.monotonic() + 20
        while heartbeat.beats < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        seen = last_beats(engine, [str(worker)])
    assert heartbeat.beats >= 3
    assert seen[str(worker)] >= NOW + timedelta(seconds=3)
    assert {} == last_beats(engine, [str(worker)])


class WatchingMessenger(RecordingMessenger):
    """Notes which workers have a heartbeat row whenever a batch is sent."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.beating: list[list[str]] = []

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]:
        with self.engine.connect() as connection:
            self.beating.append(list(connection.execute(select(delivery_workers.c.worker)).scalars()))
        return super().send(batch, observer)


def test_deliver_keeps_a_heartbeat_while_it_sends(engine: Engine) -> None:
    """While a run is sent its worker has a heartbeat row; once deliver returns the row is gone."""
    messenger = WatchingMessenger(engine)
    deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(25), messenger, make_options())
    assert [1, 1, 1] == [len(workers) for workers in messenger.beating]
    assert 1 == len({workers[0] for workers in messenger.beating})
    assert {} == last_beats(engine, messenger.beating[0])
