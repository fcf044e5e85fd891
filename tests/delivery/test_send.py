"""send_edition's core: planning, sending, resuming after a crash, suppression, reports."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from subscribers.model import SubscriberStatus
from syndication.delivery.brake import cancel_run, pause_run, resume_edition
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import SendReport, deliver
from syndication.delivery.testing import RecordingMessenger
from syndication.mail.base import DeliveryFailed

from .fakes import FakeMailer, FakeSubscribers, Sleeps, StoppingMessenger, make_options

NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)


def test_every_subscriber_gets_exactly_one_message(engine: Engine) -> None:
    """25 subscribers in batches of 10: three batches, each subscriber once, all sent."""
    source = FakeSubscribers.generated(25)
    messenger = RecordingMessenger()
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert {f"leser{n}@example.org": 1 for n in range(1, 26)} == dict(messenger.counts)
    assert (25, 0, 0, 3, 0) == (report.sent, report.failed, report.skipped, report.batches, report.exit_code)


def test_batches_share_one_body_per_variant(engine: Engine) -> None:
    """Subscribers are grouped by variant key: no batch mixes two bodies."""
    source = FakeSubscribers.generated(30, topics=(("Politik",), ("Sport",), ()))
    messenger = RecordingMessenger()
    deliver(Ledger(engine), FakeMailer(), source, messenger, make_options(batch_size=4))
    subjects = [{batch.body.subject} for batch in messenger.batches]
    variants = {batch.body.subject for batch in messenger.batches}
    assert {"Der Morgen (Politik)", "Der Morgen (Sport)", "Der Morgen (all)"} == variants
    assert all(len(s) == 1 for s in subjects)
    assert 30 == sum(len(batch.recipients) for batch in messenger.batches)


def test_a_second_run_sends_nothing_again(engine: Engine) -> None:
    """Running the same (edition, slot) again hands nothing to the backend."""
    source = FakeSubscribers.generated(12)
    first, second = RecordingMessenger(), RecordingMessenger()
    deliver(Ledger(engine), FakeMailer(), source, first, make_options())
    report = deliver(Ledger(engine), FakeMailer(), source, second, make_options())
    assert ([], 12, 0) == (second.batches, report.sent, report.sent_now)


def test_subscriber_in_another_slot_run_is_not_planned_twice(engine: Engine) -> None:
    """A subscriber who moved to the 18:00 slot after the 06:00 send does not get the edition again."""
    source = FakeSubscribers.generated(5)
    deliver(Ledger(engine), FakeMailer(), source, RecordingMessenger(), make_options())
    from dataclasses import replace

    source.by_id[3] = replace(source.by_id[3], slot="18:00")
    evening = RecordingMessenger()
    report = deliver(Ledger(engine), FakeMailer(), source, evening, make_options(slot="18:00"))
    assert ({}, 0) == (dict(evening.counts), report.planned)


def test_unsubscribed_after_planning_receives_nothing(engine: Engine) -> None:
    """Status and suppression are checked again when the batch goes out, not only when planning."""
    source = FakeSubscribers.generated(20)
    messenger = RecordingMessenger()
    messenger.crash_after = 0
    with pytest.raises(RuntimeError):
        deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    source.set_status(2, SubscriberStatus.UNSUBSCRIBED)
    source.set_status(4, SubscriberStatus.BOUNCED)
    source.set_status(6, SubscriberStatus.COMPLAINED)
    source.suppressed.add("leser8@example.org")
    messenger.crash_after = None
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    received = set(messenger.counts)
    blocked = {f"leser{n}@example.org" for n in (2, 4, 6, 8)}
    assert (set(), 16, 4) == (received & blocked, report.sent, report.skipped)


def test_suppressed_at_planning_time_are_never_planned(engine: Engine) -> None:
    """Suppressed addresses and subscribers with nothing in the edition get nothing."""
    source = FakeSubscribers.generated(9, topics=(("Sport",), ()))  # even ids: Sport only
    source.suppressed.add("leser3@example.org")
    messenger = RecordingMessenger()
    report = deliver(Ledger(engine), FakeMailer(nothing_for="Sport"), source, messenger, make_options())
    expected = {f"leser{n}@example.org" for n in (1, 5, 7, 9)}
    assert (expected, 4) == (set(messenger.counts), report.skipped)


def test_crash_after_three_of_ten_batches_resumes_without_duplicates(engine: Engine) -> None:
    """An exception inside the 4th batch; the second run completes; each subscriber got one message."""
    source = FakeSubscribers.generated(100)
    messenger = RecordingMessenger()
    messenger.crash_after = 3
    with pytest.raises(RuntimeError):
        deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert 30 == sum(messenger.counts.values())
    messenger.crash_after = None
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert {f"leser{n}@example.org": 1 for n in range(1, 101)} == dict(messenger.counts)
    assert (100, 70, 0, 0) == (report.sent, report.sent_now, report.failed, report.in_doubt)


def test_batch_in_doubt_is_not_resent_without_a_way_to_check(engine: Engine) -> None:
    """A backend that cannot say what it accepted: the crashed batch is reported in doubt, not resent."""
    source = FakeSubscribers.generated(40)
    messenger = RecordingMessenger(reconcilable=False)
    messenger.crash_after = 2
    with pytest.raises(RuntimeError):
        deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    messenger.crash_after = None
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert (30, 10, 1, 1) == (report.sent, report.in_doubt, report.batches_in_doubt, report.exit_code)
    assert 30 == sum(messenger.counts.values())


def test_resend_in_doubt_sends_the_doubtful_batch(engine: Engine) -> None:
    """With resend_in_doubt the operator accepts a possible duplicate; the batch is sent."""
    source = FakeSubscribers.generated(40)
    messenger = RecordingMessenger(reconcilable=False)
    messenger.crash_after = 2
    with pytest.raises(RuntimeError):
        deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    messenger.crash_after = None
    deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options(resend_in_doubt=True))
    assert (40, 0, 0) == (report.sent, report.in_doubt, report.exit_code)


def test_crash_before_handing_over_requeues_the_batch(engine: Engine) -> None:
    """An error while building the batch (before the backend saw it) leaves it pending, not in doubt."""
    source = FakeSubscribers.generated(20)

    class BrokenSource(FakeSubscribers):
        def receivable(self, subscriber_ids):  # type: ignore[no-untyped-def]
            raise ConnectionError("database gone")

    broken = BrokenSource(list(source.by_id.values()))
    with pytest.raises(ConnectionError):
        deliver(Ledger(engine), FakeMailer(), broken, RecordingMessenger(reconcilable=False), make_options())
    messenger = RecordingMessenger(reconcilable=False)
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert (20, 0) == (report.sent, report.in_doubt)


def test_retryable_failures_are_retried_with_backoff(engine: Engine) -> None:
    """Two retryable failures then success: sent once, two sleeps, the second longer and ≥ retry_after."""
    source = FakeSubscribers.generated(5)
    messenger = RecordingMessenger()
    messenger.fail_with = [DeliveryFailed("503", retryable=True), DeliveryFailed("429", retryable=True, retry_after=7)]
    sleeps = Sleeps()
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options(sleep=sleeps))
    assert (5, 2) == (report.sent, len(sleeps.calls))
    assert 0.5 <= sleeps.calls[0] <= 1.0 and sleeps.calls[1] >= 7


def test_permanent_failure_marks_the_batch_failed_and_next_run_retries_it(engine: Engine) -> None:
    """A non-retryable failure fails its batch (others go on), exit code 1; the next run sends it."""
    source = FakeSubscribers.generated(30)
    messenger = RecordingMessenger()
    messenger.fail_with = [DeliveryFailed("400 bad sender leser1@example.org", retryable=False)]
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert (20, 10, 1, 1) == (report.sent, report.failed, report.batches_failed, report.exit_code)
    assert "<address>" in str(report.errors[0]) and "leser1@" not in str(report.errors[0])
    again = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert (30, 0, 0) == (again.sent, again.failed, again.exit_code)
    assert 30 == sum(messenger.counts.values())


def test_retries_give_up_after_max_retries(engine: Engine) -> None:
    """A backend that keeps failing retryably is tried max_retries + 1 times, then the batch fails."""
    source = FakeSubscribers.generated(3)
    messenger = RecordingMessenger()
    messenger.fail_with = [DeliveryFailed("500", retryable=True) for _ in range(10)]
    sleeps = Sleeps()
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options(max_retries=2, sleep=sleeps))
    assert (0, 3, 2) == (report.sent, report.failed, len(sleeps.calls))


def test_dry_run_lists_who_would_get_what_and_writes_nothing(engine: Engine) -> None:
    """--dry-run prints one line per recipient and leaves the ledger empty."""
    source = FakeSubscribers.generated(3, topics=(("Sport",),))
    lines: list[str] = []
    messenger = RecordingMessenger()
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options(echo=lines.append), dry_run=True)
    assert [f"leser{n}@example.org\tSport\tDer Morgen (Sport)" for n in (1, 2, 3)] == lines
    assert (3, None, []) == (report.planned, Ledger(engine).get_run("daily-2026-11-24", "06:00"), messenger.batches)


def test_stop_event_ends_between_batches(engine: Engine) -> None:
    """A set stop event ends the run before the next batch; a later run finishes it."""
    source = FakeSubscribers.generated(30)
    stop = threading.Event()

    first = StoppingMessenger(stop)
    report = deliver(Ledger(engine), FakeMailer(), source, first, make_options(stop=stop))
    assert (10, 20) == (report.sent, report.pending)
    final = deliver(Ledger(engine), FakeMailer(), source, RecordingMessenger(), make_options())
    assert (30, 0) == (final.sent, final.pending)


def test_a_cancelled_run_sends_no_one_more_not_even_after_resume(engine: Engine) -> None:
    """Cancelling ends a stopped run for good: a later send and a resume leave its pending readers unsent."""
    source = FakeSubscribers.generated(30)
    stop = threading.Event()

    ledger = Ledger(engine)
    deliver(ledger, FakeMailer(), source, StoppingMessenger(stop), make_options(stop=stop))
    run = ledger.get_run("daily-2026-11-24", "06:00")
    assert run is not None
    assert cancel_run(engine, run.id, "cancelled by an editor", NOW)
    assert [] == resume_edition(engine, "daily-2026-11-24")[0]

    later = RecordingMessenger()
    report = deliver(ledger, FakeMailer(), source, later, make_options())
    assert (10, 20, [], "cancelled by an editor") == (report.sent, report.pending, later.batches, report.paused)
    assert not cancel_run(engine, run.id, "again", NOW)


class CancellingMessenger(RecordingMessenger):
    """Sends its batch, then an editor elsewhere (another process: no stop event here) cancels the run."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def send(self, batch, observer=None):  # type: ignore[no-untyped-def]
        run = Ledger(self.engine).get_run("daily-2026-11-24", "06:00")
        assert run is not None and cancel_run(self.engine, run.id, "cancelled in the console", NOW)
        return super().send(batch, observer)


def test_a_cancel_from_another_process_stops_the_send_before_its_next_batch(engine: Engine) -> None:
    """A run cancelled by another process while this one sends it (it knows of no stop event) ends after the
    batch in hand: the next batch cannot be claimed, the report says cancelled, the rest stay unsent."""
    source = FakeSubscribers.generated(30)
    messenger = CancellingMessenger(engine)
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert (1, 10, 20, True, "cancelled in the console") == (
        len(messenger.batches), report.sent, report.pending, report.cancelled, report.paused
    )


class CancelledWhilePlanned(FakeSubscribers):
    """The editor cancels the run while its recipients are being planned (read page by page)."""

    engine: Engine

    def iter_active(self, *arguments, **keywords):  # type: ignore[no-untyped-def]
        for number, page in enumerate(super().iter_active(*arguments, **keywords)):
            if number == 1:
                run = Ledger(self.engine).get_run("daily-2026-11-24", "06:00")
                assert run is not None and cancel_run(self.engine, run.id, "cancelled while planned", NOW)
            yield page


def test_a_run_cancelled_while_it_is_planned_stays_cancelled_and_sends_nothing(engine: Engine) -> None:
    """A cancel that lands while the run is planned holds: planning ends, nothing is sent, no later send
    takes it up."""
    source = CancelledWhilePlanned(FakeSubscribers.generated(30).by_id.values())
    source.engine = engine
    messenger = RecordingMessenger()
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    again = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(30), messenger, make_options())
    assert ([], 0, True, 0, True) == (messenger.batches, report.sent, report.cancelled, again.sent, again.cancelled)


class EditedWhilePlanned(FakeSubscribers):
    """The console acts on the run while its recipients are being planned: ``actions[n]`` after the n-th page."""

    engine: Engine
    actions: dict[int, str]

    def iter_active(self, *arguments, **keywords):  # type: ignore[no-untyped-def]
        for number, page in enumerate(super().iter_active(*arguments, **keywords)):
            run = Ledger(self.engine).get_run("daily-2026-11-24", "06:00")
            assert run is not None
            if self.actions.get(number) == "pause":
                assert pause_run(self.engine, run.id, "paused while planned", NOW)
            if self.actions.get(number) == "resume":
                assert ["06:00"] == resume_edition(self.engine, "daily-2026-11-24")[0]
            yield page


def _edited_while_planned(engine: Engine, actions: dict[int, str]) -> EditedWhilePlanned:
    source = EditedWhilePlanned(FakeSubscribers.generated(30).by_id.values())
    source.engine, source.actions = engine, actions
    return source


def test_a_run_paused_while_it_is_planned_sends_nothing_until_resumed_then_everyone_once(engine: Engine) -> None:
    """A pause that lands while the run is planned holds: planning ends, nothing is sent; after a resume the
    next send sends every reader once."""
    first, later = RecordingMessenger(), RecordingMessenger()
    report = deliver(Ledger(engine), FakeMailer(), _edited_while_planned(engine, {1: "pause"}), first, make_options())
    resumed = resume_edition(engine, "daily-2026-11-24")[0]
    final = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(30), later, make_options())
    assert ([], 0, "paused while planned", ["06:00"]) == (first.batches, report.sent, report.paused, resumed)
    assert ({f"leser{n}@example.org": 1 for n in range(1, 31)}, 30) == (dict(later.counts), final.sent)


def test_a_run_paused_and_resumed_while_it_is_planned_is_sent_when_planned(engine: Engine) -> None:
    """Paused and resumed before its plan is written, the run goes back to planning: its planner finishes the
    plan and sends every reader once, in the same send."""
    messenger = RecordingMessenger()
    source = _edited_while_planned(engine, {0: "pause", 1: "resume"})
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    assert ({f"leser{n}@example.org": 1 for n in range(1, 31)}, 30, None) == (
        dict(messenger.counts), report.sent, report.paused
    )


def test_throttle_waits_to_keep_the_rate(engine: Engine) -> None:
    """With 10 messages per second, 30 messages cost about two seconds of waiting."""
    source = FakeSubscribers.generated(30)
    sleeps = Sleeps()
    deliver(Ledger(engine), FakeMailer(), source, RecordingMessenger(), make_options(rate=10, sleep=sleeps))
    assert 1.5 <= sum(sleeps.calls) <= 2.5


def test_store_recipients_rechecks_status_and_suppression(any_engine: Engine) -> None:
    """The real store adapter: unsubscribed, bounced and suppressed subscribers are not receivable."""
    from datetime import UTC, datetime

    from subscribers.store import SubscriberStore
    from syndication.app.adapters import StoreRecipients

    now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    store = SubscriberStore(any_engine, "test-secret-key-0123456789abcdef")
    ids = [
        store.add(f"leser{n}@example.org", now=now, status=SubscriberStatus.ACTIVE, name=f"Leser {n}", slot="18:00").id
        for n in range(1, 6)
    ]
    store.set_status(ids[1], SubscriberStatus.UNSUBSCRIBED, now=now)
    store.set_status(ids[2], SubscriberStatus.BOUNCED, now=now)
    store.suppress("leser4@example.org", "complained", now=now)
    found = StoreRecipients(store).receivable(ids)
    assert [ids[0], ids[4]] == sorted(found)
    first = found[ids[0]]
    assert ("Leser 1", "18:00", SubscriberStatus.ACTIVE) == (first.name, first.slot, first.status)


def test_store_recipients_put_a_removed_slot_into_the_first(any_engine: Engine) -> None:
    """A reader whose chosen slot is no longer offered gets the edition in the first slot, not never."""
    from datetime import UTC, datetime

    from subscribers.model import Frequency
    from subscribers.store import SubscriberStore
    from syndication.app.adapters import StoreRecipients

    now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    store = SubscriberStore(any_engine, "test-secret-key-0123456789abcdef")
    kept = store.add("mittag@example.org", now=now, status=SubscriberStatus.ACTIVE, slot="12:00").id
    orphaned = store.add("frueh@example.org", now=now, status=SubscriberStatus.ACTIVE, slot="05:30").id
    source = StoreRecipients(store, slots=("06:00", "12:00"))
    first = [s.id for page in source.iter_active(Frequency.DAILY, "06:00", "06:00", 100) for s in page]
    noon = [s.id for page in source.iter_active(Frequency.DAILY, "12:00", "06:00", 100) for s in page]
    assert ([orphaned], [kept]) == (first, noon)


def _zone_readers() -> FakeSubscribers:
    """Four readers in each of three zones' sends of the 06:00 slot (``slot_zone = "reader"``)."""
    from dataclasses import replace

    source = FakeSubscribers.generated(12)
    zones = ("06:00 Asia/Tokyo", "06:00 America/New_York", "06:00 Australia/Sydney")
    for subscriber_id, subscriber in list(source.by_id.items()):
        source.by_id[subscriber_id] = replace(subscriber, slot=zones[(subscriber_id - 1) // 4])
    return source


class MinimumBrake:
    """Pulls once ``minimum`` messages were sent, by the counts it is given (CounterBrake's minimum's shape)."""

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        self.asked: list[tuple[str, int]] = []

    def reason(self, edition_id: str, slot: str, sent: int, bounced: int) -> str | None:
        self.asked.append((slot, sent))
        return f"{sent} of the edition sent" if sent >= self.minimum else None


def test_the_brake_counts_the_whole_edition_across_its_zone_runs(any_engine: Engine) -> None:
    """Zone runs of four readers each never reach a minimum of six alone; counted over the edition, the second
    zone's run pauses at six, the third zone's (not started) is held, and after a resume both finish unbraked."""
    from dataclasses import replace

    source = _zone_readers()
    ledger = Ledger(any_engine)
    brake = MinimumBrake(6)
    sent: list[str] = []

    def send(slot: str) -> SendReport:
        messenger = RecordingMessenger()
        options = replace(make_options(slot=slot, batch_size=2), brake=brake)
        report = deliver(ledger, FakeMailer(), source, messenger, options)
        sent.extend(r.email for batch in messenger.batches for r in batch.recipients)
        return report

    tokyo = send("06:00 Asia/Tokyo")
    new_york = send("06:00 America/New_York")
    sydney = send("06:00 Australia/Sydney")
    assert (4, None) == (tokyo.sent, tokyo.paused)
    assert (2, "6 of the edition sent") == (new_york.sent, new_york.paused)
    assert (0, 0, "6 of the edition sent") == (sydney.planned, sydney.sent, sydney.paused)
    assert ("06:00 America/New_York", 4) == brake.asked[3]

    assert ["06:00 America/New_York"] == resume_edition(any_engine, "daily-2026-11-24")[0]
    asked = len(brake.asked)
    send("06:00 America/New_York")
    send("06:00 Australia/Sydney")
    assert sorted(f"leser{n}@example.org" for n in range(1, 13)) == sorted(sent)
    assert asked == len(brake.asked)


def test_a_cancelled_edition_holds_its_zone_runs_not_started_for_good(any_engine: Engine) -> None:
    """Once one zone's run of an edition is cancelled, a zone's run not started yet is written cancelled and
    sends nothing, not after a resume nor when asked again; the report says it was cancelled."""
    source = _zone_readers()
    ledger = Ledger(any_engine)
    deliver(ledger, FakeMailer(), source, RecordingMessenger(), make_options(slot="06:00 Asia/Tokyo"))
    tokyo = ledger.get_run("daily-2026-11-24", "06:00 Asia/Tokyo")
    assert tokyo is not None
    assert not cancel_run(any_engine, tokyo.id, "done already", NOW)
    stop = threading.Event()
    deliver(ledger, FakeMailer(), source, StoppingMessenger(stop),
            make_options(slot="06:00 America/New_York", batch_size=2, stop=stop))
    new_york = ledger.get_run("daily-2026-11-24", "06:00 America/New_York")
    assert new_york is not None
    assert cancel_run(any_engine, new_york.id, "cancelled by an editor", NOW)

    later = RecordingMessenger()
    first = deliver(ledger, FakeMailer(), source, later, make_options(slot="06:00 Australia/Sydney"))
    assert [] == resume_edition(any_engine, "daily-2026-11-24")[0]
    again = deliver(ledger, FakeMailer(), source, later, make_options(slot="06:00 Australia/Sydney"))
    sydney = ledger.get_run("daily-2026-11-24", "06:00 Australia/Sydney")
    assert sydney is not None
    assert ([], "cancelled", 0) == (later.batches, sydney.status, ledger.counts(sydney).planned)
    assert [(True, "cancelled by an editor")] * 2 == [(r.cancelled, r.paused) for r in (first, again)]
    assert "CANCELLED: cancelled by an editor" in again.summary()
