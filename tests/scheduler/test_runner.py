"""`run` with APScheduler (in a thread, real time, fake jobs) and `run --once` on a fixed clock."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from syndication.clock import FixedClock, SystemClock
from syndication.config import Settings
from syndication.errors import EXIT_OK, LockHeld
from syndication.runtime import Runtime
from syndication.scheduler import runner
from syndication.scheduler.jobs import CollectOutcome
from syndication.scheduler.ledger import Outcome, RunLog
from syndication.scheduler.runner import leadership_for, run_once, run_scheduler
from syndication.scheduler.testing import FakeNewsroom, fake_collect
from tests.scheduler.helpers import DAILY, SUBSCRIBERS, WEEKLY, with_editions

BERLIN = ZoneInfo("Europe/Berlin")


def fast_settings(settings: Settings) -> Settings:
    scheduler = settings.scheduler.model_copy(update={"collect_interval_seconds": 0.2})
    workers = settings.workers.model_copy(update={"lease_seconds": 3})
    return with_editions(settings, DAILY, WEEKLY).model_copy(update={"scheduler": scheduler, "workers": workers})


def wait_for(condition, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_scheduler_collects_repeatedly_and_stops_after_the_running_job(settings: Settings) -> None:
    """APScheduler runs collect on its interval; a stop request lets the running collect finish and be recorded."""
    runtime = Runtime(settings=fast_settings(settings), clock=SystemClock())
    newsroom = FakeNewsroom(SystemClock(), BERLIN, SUBSCRIBERS)
    in_collect = threading.Event()
    stop = threading.Event()
    calls = []

    def slow_collect() -> CollectOutcome:
        calls.append(time.monotonic())
        if len(calls) == 3:
            in_collect.set()
            time.sleep(0.5)
        return fake_collect()

    newsroom.collect = slow_collect  # type: ignore[method-assign]
    codes: list[int] = []
    def scheduler() -> None:
        codes.append(run_scheduler(runtime, newsroom.jobs(), install_signals=False, stop=stop))

    thread = threading.Thread(target=scheduler)
    thread.start()
    try:
        assert in_collect.wait(10)
        stop.set()
        thread.join(10)
        last = RunLog(runtime.engine).last("collect")
        assert ([EXIT_OK], 3, Outcome.OK) == (codes, len(calls), last.outcome)
        assert 0.45 < last.duration_seconds
    finally:
        stop.set()
        thread.join(10)
        runtime.close()


def test_a_second_scheduler_stands_by_and_leads_when_the_first_stops(settings: Settings) -> None:
    """While one scheduler leads, a second on the same store collects nothing; once the first stops it leads."""
    runtime = Runtime(settings=fast_settings(settings), clock=SystemClock())
    first_room, second_room = (FakeNewsroom(SystemClock(), BERLIN, SUBSCRIBERS) for _ in range(2))
    first_stop, second_stop = threading.Event(), threading.Event()
    options = {"install_signals": False}
    first = threading.Thread(target=run_scheduler, args=[runtime, first_room.jobs()],
                             kwargs={**options, "stop": first_stop})
    second = threading.Thread(target=run_scheduler, args=[runtime, second_room.jobs()],
                              kwargs={**options, "stop": second_stop})
    first.start()
    try:
        assert wait_for(lambda: len(first_room.collects) >= 2)
        second.start()
        time.sleep(0.5)
        collected_while_standing_by = len(second_room.collects)
        first_stop.set()
        first.join(10)
        took_over = wait_for(lambda: len(second_room.collects) >= 1)
    finally:
        first_stop.set()
        second_stop.set()
        first.join(10)
        if second.ident is not None:
            second.join(10)
        runtime.close()
    assert (0, True) == (collected_while_standing_by, took_over)


def test_run_once_is_refused_while_a_scheduler_leads(settings: Settings) -> None:
    """`run --once` raises LockHeld (exit 2) when another process leads the schedule."""
    runtime = Runtime(settings=fast_settings(settings), clock=SystemClock())
    leader = leadership_for(runtime)
    assert leader.try_take()
    try:
        with pytest.raises(LockHeld):
            run_once(runtime, FakeNewsroom(SystemClock(), BERLIN, SUBSCRIBERS).jobs())
    finally:
        leader.release()
        runtime.close()


def test_run_once_sends_what_is_due_and_only_once(settings: Settings) -> None:
    """At 06:30 --once collects, publishes and sends the 06:00 slot; a second --once sends nothing more."""
    clock = FixedClock(datetime(2026, 11, 24, 6, 30, tzinfo=BERLIN))
    runtime = Runtime(settings=with_editions(settings, DAILY, WEEKLY), clock=clock)
    newsroom = FakeNewsroom(clock, BERLIN, SUBSCRIBERS)
    codes = [run_once(runtime, newsroom.jobs()), run_once(runtime, newsroom.jobs())]
    runtime.close()
    assert ([0, 0], 2, 2) == (codes, len(newsroom.collects), len(newsroom.publishes))
    assert ["anna", "ben"] == [delivery.subscriber for delivery in newsroom.deliveries]


def test_run_once_late_in_the_day_sends_only_the_slots_within_grace(settings: Settings) -> None:
    """At 19:00 only the 18:00 slot is due (and builds, as 06:00 never ran); 06:00 and 12:00 are past their grace."""
    clock = FixedClock(datetime(2026, 11, 24, 19, 0, tzinfo=BERLIN))
    runtime = Runtime(settings=with_editions(settings, DAILY, WEEKLY), clock=clock)
    newsroom = FakeNewsroom(clock, BERLIN, SUBSCRIBERS)
    code = run_once(runtime, newsroom.jobs())
    runtime.close()
    assert (0, ["dora", "emil"]) == (code, [delivery.subscriber for delivery in newsroom.deliveries])


def test_run_once_reports_a_failed_send(settings: Settings) -> None:
    """A send that fails makes --once exit 1."""
    clock = FixedClock(datetime(2026, 11, 24, 6, 30, tzinfo=BERLIN))
    runtime = Runtime(settings=with_editions(settings, DAILY, WEEKLY), clock=clock)
    newsroom = FakeNewsroom(clock, BERLIN, SUBSCRIBERS)
    newsroom.send_failures = 1
    code = run_once(runtime, newsroom.jobs())
    runtime.close()
    assert 1 == code


class LostLead:
    """A lease that is taken at once and can never be renewed."""

    description = "a lease that is lost"
    interval = 0.2

    def stand_by(self, stop: threading.Event) -> bool:
        return True

    def alive(self) -> bool:
        return False

    def release(self) -> None:
        return None


def test_scheduler_stops_with_exit_1_when_its_lead_is_lost(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lease that cannot be renewed (taken over, database away) stops the scheduler with 1; a restart stands by."""
    monkeypatch.setattr(runner, "leadership_for", lambda _runtime: LostLead())
    runtime = Runtime(settings=fast_settings(settings), clock=SystemClock())
    newsroom = FakeNewsroom(SystemClock(), BERLIN, SUBSCRIBERS)
    codes: list[int] = []
    jobs = newsroom.jobs()
    thread = threading.Thread(target=lambda: codes.append(run_scheduler(runtime, jobs, install_signals=False)))
    thread.start()
    thread.join(20)
    runtime.close()
    assert [1] == codes
