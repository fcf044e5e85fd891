"""Test doubles for the scheduler, shipped as public API.

- :class:`FakeNewsroom`: in-memory collect, feeds, editions and delivery with their own
  "already sent" ledger, recording every delivery, so tests can count what went out.
- :class:`Ticker`: steps the schedule like APScheduler does (the plan's real CronTriggers,
  coalesce, misfire grace, the start-up catch-up) with a controlled clock.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from syndication.clock import Clock, FixedClock
from syndication.scheduler.jobs import CollectOutcome, EditionRef, Jobs, SendOutcome, WorkOutcome
from syndication.scheduler.plan import COLLECT_JOB_ID
from syndication.scheduler.runner import catch_up
from syndication.scheduler.service import SchedulerService


def fake_collect(created: int = 0, errors: int = 0) -> CollectOutcome:
    """What a collect that stored ``created`` new articles and met ``errors`` broken inputs reports."""
    return CollectOutcome(changed=bool(created), counts={"created": created, "errors": errors})


def fake_send(sent: int, failed: int = 0, skipped: int = 0, *, stopped: bool = False) -> SendOutcome:
    """What a send of ``sent`` messages reports (``stopped``: it ended between batches)."""
    return SendOutcome(sent=sent, failed=failed, stopped=stopped,
                       counts={"sent": sent, "failed": failed, "skipped": skipped})


@dataclass(frozen=True)
class Delivery:
    edition_id: str
    slot: str
    subscriber: str
    at: datetime


class FakeNewsroom:
    """Collect, feeds, editions and delivery in memory; every call is recorded.

    ``subscribers`` maps a slot ("HH:MM") to subscriber names. An edition is built when
    ``news`` is true (something new arrived) and none exists yet for the local date, like
    ``build_edition``; ``send_edition`` skips subscribers who already got the edition, like
    the delivery ledger.
    """

    def __init__(self, clock: Clock, zone: ZoneInfo, subscribers: dict[str, list[str]] | None = None) -> None:
        self.clock = clock
        self.zone = zone
        self.subscribers = subscribers or {}
        self.news = True
        self.pending_articles: list[str] = []
        self.editions: dict[str, list[EditionRef]] = {}
        self.deliveries: list[Delivery] = []
        self.publishes: list[datetime] = []
        self.collects: list[datetime] = []
        self.builds: list[tuple[str, datetime]] = []
        self.build_calls: list[tuple[str, datetime]] = []
        # Raise from the next send_edition calls (a provider outage), once per count.
        self.send_failures = 0
        # Subscribers per batch: a set stop flag ends the send between batches.
        self.batch_size = 1
        self._ids = itertools.count(1)

    def jobs(self) -> Jobs:
        return Jobs(
            collect=self.collect,
            publish_feeds=self.publish_feeds,
            build_edition=self.build_edition,
            latest_edition=self.latest_edition,
            send_edition=self.send_edition,
        )

    def collect(self) -> CollectOutcome:
        self.collects.append(self.clock.now())
        created, self.pending_articles = self.pending_articles, []
        return fake_collect(len(created))

    def publish_feeds(self) -> WorkOutcome:
        self.publishes.append(self.clock.now())
        return WorkOutcome({"written": 1})

    def build_edition(self, name: str) -> EditionRef | None:
        now = self.clock.now()
        self.build_calls.append((name, now))
        today = now.astimezone(self.zone).date()
        existing = self.editions.setdefault(name, [])
        if not self.news or any(edition.edition_date == today for edition in existing):
            return None
        edition = EditionRef(f"{name}-{next(self._ids)}", name, today, now, articles=2)
        existing.append(edition)
        self.builds.append((name, now))
        return edition

    def latest_edition(self, name: str) -> EditionRef | None:
        existing = self.editions.get(name, [])
        return existing[-1] if existing else None

    def send_edition(self, edition_id: str, slot: str, stop: threading.Event) -> SendOutcome:
        if self.send_failures:
            self.send_failures -= 1
            raise ConnectionError("provider unreachable")
        done = {d.subscriber for d in self.deliveries if d.edition_id == edition_id}
        todo = [name for name in self.subscribers.get(slot, []) if name not in done]
        sent = 0
        for index, name in enumerate(todo):
            if index and index % self.batch_size == 0 and stop.is_set():
                return fake_send(sent, skipped=len(done), stopped=True)
            self.deliveries.append(Delivery(edition_id, slot, name, self.clock.now()))
            sent += 1
        return fake_send(sent, skipped=len(done))

    def deliveries_to(self, subscriber: str) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if delivery.subscriber == subscriber]


class Ticker:
    """Runs due jobs the way APScheduler does, at moments the test chooses.

    Construction is a (re)start at ``clock.now()``: like ``runner.configure``, slots still
    within the misfire grace and not done are due at once, the rest wait for their next
    fire time. ``tick(now)`` runs each job whose next run time has come, once (coalesce),
    unless the newest missed fire time is older than the misfire grace.
    """

    def __init__(self, service: SchedulerService, clock: FixedClock, *, collect: bool = False) -> None:
        self.service = service
        self.clock = clock
        self.with_collect = collect
        now = clock.now()
        due = catch_up(service, now)
        self.next_run: dict[str, datetime | None] = {}
        for job in service.plan.slot_jobs:
            self.next_run[job.id] = now if job.id in due else job.trigger.get_next_fire_time(None, now)
        if collect:
            self.next_run[COLLECT_JOB_ID] = now
        self.ran: list[tuple[str, datetime]] = []

    def _trigger(self, job_id: str) -> BaseTrigger:
        if job_id == COLLECT_JOB_ID:
            return self.service.plan.collect_trigger
        return self.service.plan.job(job_id).trigger

    def tick(self, now: datetime) -> list[str]:
        self.clock.set(now)
        ran = []
        for job_id, next_run in sorted(self.next_run.items(), key=lambda item: item[0]):
            if next_run is None or next_run > now:
                continue
            trigger = self._trigger(job_id)
            run_times = [next_run]
            following = trigger.get_next_fire_time(next_run, now)
            while following is not None and following <= now:
                run_times.append(following)
                following = trigger.get_next_fire_time(following, now)
            self.next_run[job_id] = following
            last = run_times[-1]
            if now - last > self.service.plan.misfire_grace:
                continue
            if job_id == COLLECT_JOB_ID:
                self.service.collect()
            else:
                self.service.run_slot(job_id)
            ran.append(job_id)
            self.ran.append((job_id, now))
        return ran

    def run_until(self, end: datetime, *, down: tuple[datetime, datetime] | None = None) -> None:
        """Tick at every next run time up to ``end``; during ``down`` nothing runs (a frozen process)."""
        while True:
            pending = [moment for moment in self.next_run.values() if moment is not None]
            if not pending:
                return
            moment = min(pending)
            if down is not None and down[0] <= moment < down[1]:
                moment = down[1]
            if moment > end:
                self.clock.set(end)
                return
            self.tick(moment)
