"""The schedule's behaviour on a controlled clock: the real CronTriggers stepped like APScheduler."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from syndication.clock import FixedClock
from syndication.config import EditionConfig, Settings
from syndication.runtime import Runtime
from syndication.scheduler.jobs import SendOutcome
from syndication.scheduler.ledger import Outcome, RunLog, SendKey, SendLedger, SendStatus
from syndication.scheduler.plan import build_plan
from syndication.scheduler.service import SchedulerService
from syndication.scheduler.testing import FakeNewsroom, Ticker
from tests.scheduler.helpers import with_editions

BERLIN = ZoneInfo("Europe/Berlin")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def restart(runtime: Runtime, newsroom: FakeNewsroom) -> SchedulerService:
    """A new process: a fresh service (and stop flag) on the same database."""
    return SchedulerService(runtime, newsroom.jobs(), build_plan(runtime.settings))


def test_daily_edition_fires_at_six_local_across_march_dst_change(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """Around the last Sunday of March the 06:00 slot goes out at 06:00 Berlin time, 05:00 then 04:00 UTC."""
    clock.set(local(2026, 3, 27, 0, 0))
    Ticker(service, clock).run_until(local(2026, 3, 31, 0, 0))
    times = [delivery.at for delivery in newsroom.deliveries_to("anna")]
    expected_utc = ["2026-03-27T05:00", "2026-03-28T05:00", "2026-03-29T04:00", "2026-03-30T04:00"]
    assert expected_utc == [moment.strftime("%Y-%m-%dT%H:%M") for moment in times]
    assert ["06:00"] * 4 == [moment.astimezone(BERLIN).strftime("%H:%M") for moment in times]


def test_daily_edition_fires_at_six_local_across_october_dst_change(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """Around the last Sunday of October the 06:00 slot goes out at 06:00 Berlin time, 04:00 then 05:00 UTC."""
    clock.set(local(2026, 10, 24, 0, 0))
    Ticker(service, clock).run_until(local(2026, 10, 27, 0, 0))
    times = [delivery.at for delivery in newsroom.deliveries_to("anna")]
    expected_utc = ["2026-10-24T04:00", "2026-10-25T05:00", "2026-10-26T05:00"]
    assert expected_utc == [moment.strftime("%Y-%m-%dT%H:%M") for moment in times]
    assert ["06:00"] * 3 == [moment.astimezone(BERLIN).strftime("%H:%M") for moment in times]


def test_outage_of_a_frozen_process_still_sends_once_within_grace(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """A process that cannot run from 05:50 to 06:20 sends the 06:00 slot once, at 06:20."""
    clock.set(local(2026, 11, 24, 5, 0))
    outage = (local(2026, 11, 24, 5, 50), local(2026, 11, 24, 6, 20))
    Ticker(service, clock).run_until(local(2026, 11, 24, 7, 0), down=outage)
    assert [local(2026, 11, 24, 6, 20)] == [delivery.at for delivery in newsroom.deliveries_to("anna")]


def test_restart_after_an_outage_catches_up_once(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """Down from 05:50, restarted at 06:20: the start-up catch-up sends the 06:00 slot once; 12:00 follows."""
    clock.set(local(2026, 11, 24, 5, 0))
    Ticker(service, clock).run_until(local(2026, 11, 24, 5, 50))
    clock.set(local(2026, 11, 24, 6, 20))
    ticker = Ticker(restart(runtime, newsroom), clock)
    ticker.run_until(local(2026, 11, 24, 13, 0))
    assert [local(2026, 11, 24, 6, 20)] == [delivery.at for delivery in newsroom.deliveries_to("anna")]
    assert [local(2026, 11, 24, 12, 0)] == [delivery.at for delivery in newsroom.deliveries_to("carla")]


def test_restart_beyond_the_grace_skips_the_missed_slot(
    runtime: Runtime, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """Restarted at 08:30 (2.5 h late): no 06:00 mail at 08:30; the 12:00 slot builds and sends instead."""
    clock.set(local(2026, 11, 24, 8, 30))
    Ticker(restart(runtime, newsroom), clock).run_until(local(2026, 11, 24, 13, 0))
    assert [] == newsroom.deliveries_to("anna")
    assert [local(2026, 11, 24, 12, 0)] == [delivery.at for delivery in newsroom.deliveries_to("carla")]


def test_job_firing_twice_sends_once(service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock) -> None:
    """Running the 06:00 job again (a duplicate fire) finds its key done and sends nothing more."""
    clock.set(local(2026, 11, 24, 6, 0))
    first = service.run_slot("edition:daily:06:00")
    clock.set(local(2026, 11, 24, 6, 1))
    second = service.run_slot("edition:daily:06:00")
    assert (Outcome.OK, Outcome.SKIPPED) == (first.outcome, second.outcome)
    assert ["anna", "ben"] == [delivery.subscriber for delivery in newsroom.deliveries]


def test_concurrent_fires_in_one_process_send_once(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """A second fire while the first is still sending is skipped, not run alongside."""
    clock.set(local(2026, 11, 24, 6, 0))
    sending = threading.Event()
    release = threading.Event()
    original = newsroom.send_edition

    def slow_send(edition_id: str, slot: str, stop: threading.Event) -> SendOutcome:
        sending.set()
        release.wait(5)
        return original(edition_id, slot, stop)

    service.jobs = newsroom.jobs().__class__(**{**newsroom.jobs().__dict__, "send_edition": slow_send})
    first = threading.Thread(target=service.run_slot, args=["edition:daily:06:00"])
    first.start()
    sending.wait(5)
    second = service.run_slot("edition:daily:06:00")
    release.set()
    first.join(5)
    assert Outcome.SKIPPED == second.outcome
    assert ["anna", "ben"] == [delivery.subscriber for delivery in newsroom.deliveries]


def test_evening_slot_gets_the_morning_edition(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """Subscribers of the 18:00 slot get, at 18:00, the edition built once at 06:00."""
    clock.set(local(2026, 11, 24, 5, 0))
    Ticker(service, clock).run_until(local(2026, 11, 24, 19, 0))
    morning = newsroom.deliveries_to("anna")[0]
    evening = newsroom.deliveries_to("dora")
    assert [(morning.edition_id, local(2026, 11, 24, 18, 0))] == [(d.edition_id, d.at) for d in evening]
    assert [("daily", local(2026, 11, 24, 6, 0))] == newsroom.build_calls


def test_day_without_news_sends_nothing_and_never_repeats_yesterday(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock, runtime: Runtime
) -> None:
    """No new edition on the second day: every slot of that day is recorded as skipped, nobody gets mail."""
    clock.set(local(2026, 11, 24, 5, 0))
    ticker = Ticker(service, clock)
    ticker.run_until(local(2026, 11, 25, 0, 0))
    newsroom.news = False
    ticker.run_until(local(2026, 11, 26, 0, 0))
    second_day = [d for d in newsroom.deliveries if d.at >= local(2026, 11, 25, 0, 0)]
    ledger = SendLedger(runtime.engine)
    statuses = [r.status for r in ledger.for_date("daily", local(2026, 11, 25, 0, 0).date())]
    assert [] == second_day
    assert [SendStatus.SKIPPED] * 3 == statuses


def test_failed_send_is_retried_and_resumes(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock, runtime: Runtime
) -> None:
    """A send that fails (provider down) is recorded failed, offered for retry within the grace, and sends once."""
    clock.set(local(2026, 11, 24, 6, 0))
    newsroom.send_failures = 1
    failed = service.run_slot("edition:daily:06:00")
    clock.set(local(2026, 11, 24, 6, 10))
    retry_jobs = [job.id for job in service.failed_slot_jobs(clock.now())]
    retried = service.run_slot("edition:daily:06:00")
    record = SendLedger(runtime.engine).get(SendKey("daily", local(2026, 11, 24, 0, 0).date(), "06:00"))
    assert (Outcome.FAILED, ["edition:daily:06:00"], Outcome.OK) == (failed.outcome, retry_jobs, retried.outcome)
    assert (SendStatus.SENT, 2) == (record.status, record.attempts)
    assert ["anna", "ben"] == [delivery.subscriber for delivery in newsroom.deliveries]


def test_stop_between_batches_records_and_resumes_after_restart(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """A stop request mid-send ends after the current batch (recorded interrupted); the restart sends the rest once."""
    clock.set(local(2026, 11, 24, 6, 0))
    original = newsroom.send_edition

    def stop_then_send(edition_id: str, slot: str, stop: threading.Event) -> SendOutcome:
        service.stop.set()
        return original(edition_id, slot, stop)

    service.jobs = newsroom.jobs().__class__(**{**newsroom.jobs().__dict__, "send_edition": stop_then_send})
    interrupted = service.run_slot("edition:daily:06:00")
    after_stop = [delivery.subscriber for delivery in newsroom.deliveries]
    clock.set(local(2026, 11, 24, 6, 5))
    Ticker(restart(runtime, newsroom), clock).tick(clock.now())
    assert (Outcome.INTERRUPTED, ["anna"]) == (interrupted.outcome, after_stop)
    assert ["anna", "ben"] == [delivery.subscriber for delivery in newsroom.deliveries]


def test_weekly_edition_goes_out_on_its_weekday(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """The weekly edition (Saturdays 07:00) is sent once in a week, on Saturday at 07:00."""
    clock.set(local(2026, 11, 23, 0, 0))
    Ticker(service, clock).run_until(local(2026, 11, 30, 0, 0))
    assert [local(2026, 11, 28, 7, 0)] == [delivery.at for delivery in newsroom.deliveries_to("fritz")]


def test_cron_expression_sets_the_build_time(settings: Settings, clock: FixedClock) -> None:
    """With a cron expression the edition is built by its own job (05:30) and the slots only send."""
    edition = EditionConfig(name="daily", title="Der Morgen", frequency="daily", slots=("06:00",), cron="30 5 * * *")
    runtime = Runtime(settings=with_editions(settings, edition), clock=clock)
    newsroom = FakeNewsroom(clock, BERLIN, {"06:00": ["anna"]})
    service = SchedulerService(runtime, newsroom.jobs(), build_plan(runtime.settings))
    clock.set(local(2026, 11, 24, 5, 0))
    Ticker(service, clock).run_until(local(2026, 11, 25, 7, 0))
    runtime.close()
    assert ["edition:daily:build", "edition:daily:06:00"] == [job.id for job in service.plan.slot_jobs]
    assert [local(2026, 11, 24, 5, 30), local(2026, 11, 25, 5, 30)] == [at for _, at in newsroom.builds]
    assert [local(2026, 11, 24, 6, 0), local(2026, 11, 25, 6, 0)] == [d.at for d in newsroom.deliveries_to("anna")]


def test_collect_publishes_feeds_only_when_something_changed(
    service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock, runtime: Runtime
) -> None:
    """The first collect of a process publishes; later ones only after a change."""
    clock.set(local(2026, 11, 24, 5, 0))
    service.collect()
    clock.advance(timedelta(minutes=10))
    service.collect()
    newsroom.pending_articles = ["new-article"]
    clock.advance(timedelta(minutes=10))
    service.collect()
    last = RunLog(runtime.engine).last("collect")
    assert [local(2026, 11, 24, 5, 0), local(2026, 11, 24, 5, 20)] == newsroom.publishes
    assert (Outcome.OK, {"created": 1, "errors": 0}) == (last.outcome, dict(last.counts))
