"""The send ledger on SQLite and PostgreSQL: planning, atomic claims, concurrent workers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from syndication.delivery.brake import cancel_run, pause_run
from syndication.delivery.ledger import Ledger, Worker, claim_is_live
from syndication.delivery.send import deliver
from syndication.delivery.statuses import BatchStatus, RecipientStatus
from syndication.delivery.testing import RecordingMessenger

from .fakes import FakeMailer, FakeSubscribers, make_options

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def test_run_is_planned_once_and_sent(any_engine: Engine) -> None:
    """A run's recipients are fixed in numbered batches; a full send leaves the run done."""
    ledger = Ledger(any_engine)
    report = deliver(ledger, FakeMailer(), FakeSubscribers.generated(35), RecordingMessenger(), make_options())
    run = ledger.get_run("daily-2026-11-24", "06:00")
    assert run is not None
    assert ("done", 35, 4) == (run.status, report.sent, report.batches)
    assert [1, 2, 3, 4] == [b.number for b in ledger.batches(run, ["sent"])]


def test_a_batch_is_claimed_by_one_worker_only(any_engine: Engine) -> None:
    """The conditional UPDATE lets exactly one of two workers claim a pending batch."""
    ledger = Ledger(any_engine)
    first, second = Worker.current(), Worker.current()
    run, must_plan = ledger.open_run("e1", "06:00", "outbox", first, NOW)
    ledger.add_batches(run, 1, [("all", [(1, "a@example.org"), (2, "b@example.org")])])
    run = ledger.finish_planning(run, 0, NOW)
    batch = ledger.next_pending(run, 0)
    assert batch is not None
    assert (True, True, False) == (must_plan, ledger.claim(batch, first, NOW), ledger.claim(batch, second, NOW))
    assert [BatchStatus.SENDING] == [b.status for b in ledger.batches(run, [BatchStatus.PENDING, BatchStatus.SENDING])]


def test_second_opener_does_not_plan_while_the_first_is_alive(any_engine: Engine) -> None:
    """open_run: the creator plans; another live worker does not re-plan the same run."""
    ledger = Ledger(any_engine)
    with Worker.current() as first:
        _, first_plans = ledger.open_run("e2", "06:00", "outbox", first, NOW)
        _, second_plans = ledger.open_run("e2", "06:00", "outbox", Worker.current(), NOW)
    assert (True, False) == (first_plans, second_plans)


def test_half_planned_run_of_a_dead_planner_is_planned_again(any_engine: Engine) -> None:
    """A planner that died mid-plan leaves partial batches; the next opener drops them and re-plans."""
    ledger = Ledger(any_engine)
    dead = Worker("elsewhere", 1, "gone")
    run, _ = ledger.open_run("e3", "06:00", "outbox", dead, NOW - timedelta(hours=2))
    ledger.add_batches(run, 1, [("all", [(1, "a@example.org")])])
    with Worker.current() as worker:
        again, must_plan = ledger.open_run("e3", "06:00", "outbox", worker, NOW)
    assert (True, []) == (must_plan, ledger.batches(again, [BatchStatus.PENDING]))


def test_two_concurrent_workers_send_each_message_once(any_engine: Engine) -> None:
    """Two threads send the same run at once; each subscriber receives exactly one message."""
    source = FakeSubscribers.generated(200)
    messenger = RecordingMessenger()
    lock = threading.Lock()
    original = messenger.send

    def locked_send(batch, observer=None):  # type: ignore[no-untyped-def]
        with lock:
            return original(batch, observer)

    messenger.send = locked_send  # type: ignore[method-assign]
    deliver(Ledger(any_engine), FakeMailer(), source, RecordingMessenger(), make_options(stop=_already_stopped()))
    threads = [
        threading.Thread(target=deliver, args=(Ledger(any_engine), FakeMailer(), source, messenger, make_options()))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {f"leser{n}@example.org": 1 for n in range(1, 201)} == dict(messenger.counts)


def _already_stopped() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def test_claims_of_dead_processes_are_not_live() -> None:
    """A claim by a process that no longer exists on this host is abandoned; a remote one ages out."""
    import socket

    host = socket.gethostname()
    assert False is claim_is_live(f"{host}/999999999/x", NOW, NOW, timedelta(minutes=30))
    assert True is claim_is_live("other-host/1/x", NOW - timedelta(minutes=5), NOW, timedelta(minutes=30))
    assert False is claim_is_live("other-host/1/x", NOW - timedelta(hours=1), NOW, timedelta(minutes=30))


def test_receipt_writer_records_each_message_on_its_own(any_engine: Engine) -> None:
    """Each receipt is committed as it is written: another connection sees it before the batch ends."""
    ledger = Ledger(any_engine)
    run, _ = ledger.open_run("e4", "06:00", "smtp", Worker.current(), NOW)
    ledger.add_batches(run, 1, [("all", [(1, "a@example.org"), (2, "b@example.org")])])
    batch = ledger.next_pending(run, 0)
    assert batch is not None
    first, second = ledger.pending_recipients(batch.id)
    writer = ledger.receipt_writer()
    writer.write(first.id, "2.0.0 Ok: queued as Q1", NOW)
    seen = ledger.sent_to("e4")
    writer.write(first.id, "again", NOW)  # a second write of the same receipt changes nothing
    writer.close()
    assert [(1, "a@example.org", "2.0.0 Ok: queued as Q1")] == seen == ledger.sent_to("e4")
    assert [second.id] == [row.id for row in ledger.pending_recipients(batch.id)]


def test_planned_recipients_are_stored_whole_and_once_per_edition(any_engine: Engine) -> None:
    """add_batches stores every recipient with its batch, edition and pending status (PostgreSQL: by COPY), and a
    subscriber planned again for the same edition is refused as the unique constraint says (IntegrityError)."""
    ledger = Ledger(any_engine)
    run, _ = ledger.open_run("e9", "06:00", "outbox", Worker.current(), NOW)
    members = [(number, f"leser{number}@exämple.org") for number in range(1, 1201)]
    ledger.add_batches(run, 1, [("all", members[:700]), ("sport", members[700:])])
    other, _ = ledger.open_run("e9", "07:00", "outbox", Worker.current(), NOW)
    with pytest.raises(IntegrityError):
        ledger.add_batches(other, 1, [("all", [(5, "leser5@exämple.org")])])
    stored = [(row.subscriber_id, row.email) for batch in ledger.batches(run, [BatchStatus.PENDING])
              for row in ledger.pending_recipients(batch.id)]
    assert members == stored
    assert [] == ledger.batches(other, [BatchStatus.PENDING])


def test_a_batchs_recipients_are_marked_together_and_only_while_pending(any_engine: Engine) -> None:
    """mark_outcomes puts the pending recipients of a list in doubt in one go (more than one statement's worth)
    and leaves one already sent as it is."""
    ledger = Ledger(any_engine)
    run, _ = ledger.open_run("e10", "06:00", "outbox", Worker.current(), NOW)
    ledger.add_batches(run, 1, [("all", [(number, f"leser{number}@example.org") for number in range(1, 1001)])])
    batch = ledger.batches(run, [BatchStatus.PENDING])[0]
    rows = ledger.pending_recipients(batch.id)
    ledger.record_sent([(rows[0].id, "sg-1")], NOW)

    changed = ledger.mark_outcomes([row.id for row in rows], RecipientStatus.IN_DOUBT, "crash while sending")

    assert 999 == changed
    assert [] == ledger.pending_recipients(batch.id)
    assert (999, 1) == (ledger.counts(run).in_doubt, ledger.counts(run).sent)


def test_no_batch_of_a_paused_or_cancelled_run_is_claimed(any_engine: Engine) -> None:
    """A claim is only made while the run is ready: a batch of a run still planned, paused or cancelled stays
    pending, whichever worker asks."""
    ledger = Ledger(any_engine)
    worker = Worker.current()
    run, _ = ledger.open_run("e1", "06:00", "outbox", worker, NOW)
    ledger.add_batches(run, 1, [("all", [(1, "a@example.org")])])
    batch = ledger.next_pending(run, 0)
    assert batch is not None
    planning = ledger.claim(batch, worker, NOW)
    run = ledger.finish_planning(run, 0, NOW)
    assert pause_run(any_engine, run.id, "paused in the console", NOW)
    paused = ledger.claim(batch, worker, NOW)
    assert cancel_run(any_engine, run.id, "cancelled in the console", NOW)
    cancelled = ledger.claim(batch, worker, NOW)
    assert (False, False, False) == (planning, paused, cancelled)
    assert [BatchStatus.PENDING] == [row.status for row in ledger.batches(run, list(BatchStatus))]
