"""[workers] queue: the leader defers a slot's send instead of sending, once per slot across a failover; the
worker's job settles the slot. The rules on SQLite with a recording deferral; the deferral on PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text, update

from syndication.clock import FixedClock
from syndication.config import Settings, WorkersConfig
from syndication.errors import ConfigError
from syndication.runtime import Runtime
from syndication.scheduler.bound import uses_queue
from syndication.scheduler.jobs import Jobs
from syndication.scheduler.ledger import Outcome, SendKey, SendLedger, SendStatus
from syndication.scheduler.plan import build_plan
from syndication.scheduler.service import SchedulerService
from syndication.scheduler.tables import edition_sends
from syndication.scheduler.testing import FakeNewsroom
from tests.scheduler.helpers import DAILY, with_editions

BERLIN = ZoneInfo("Europe/Berlin")
SLOT = "edition:daily:06:00"
KEY = SendKey("daily", date(2026, 11, 24), "06:00")


def _queued(settings: Settings, store_url: str | None = None, send_jobs: int = 1) -> Settings:
    workers = WorkersConfig(queue=True, send_jobs=send_jobs)
    updated = with_editions(settings, DAILY).model_copy(update={"workers": workers})
    if store_url is not None:
        updated = updated.model_copy(update={"store": updated.store.model_copy(update={"url": store_url})})
    return updated


@dataclasses.dataclass
class Deferrals:
    calls: list[tuple[SendKey, str]] = dataclasses.field(default_factory=list)

    def __call__(self, key: SendKey, edition_id: str) -> int:
        self.calls.append((key, edition_id))
        return 1


def _service(runtime: Runtime, newsroom: FakeNewsroom, queue_send: object) -> SchedulerService:
    jobs: Jobs = dataclasses.replace(newsroom.jobs(), queue_send=queue_send)
    return SchedulerService(runtime, jobs, build_plan(runtime.settings))


def test_queue_on_sqlite_is_a_config_error_naming_the_key(settings: Settings) -> None:
    """[workers] queue = true with the SQLite default: the error names [workers] queue; off, nothing is queued."""
    runtime = Runtime(settings=_queued(settings))
    off = Runtime(settings=settings)
    with pytest.raises(ConfigError, match=r"\[workers\] queue"):
        uses_queue(runtime)
    assert False is uses_queue(off)


def test_the_leader_defers_the_slot_instead_of_sending_and_fires_it_once(
    runtime: Runtime, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """At 06:00 the slot's edition is built and its send deferred, nothing sent here; the slot is queued, and
    neither a second firing nor a restart's catch-up defers it again."""
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=BERLIN))
    deferrals = Deferrals()
    service = _service(runtime, newsroom, deferrals)
    first = service.run_slot(SLOT)
    again = service.run_slot(SLOT)
    restarted = _service(runtime, newsroom, deferrals)
    due_after_restart = [job.id for job in restarted.due_slot_jobs(clock.now())]
    unstarted = [job.id for job in restarted.unstarted_slot_jobs(clock.now())]
    record = SendLedger(runtime.engine).get(KEY)
    assert (Outcome.OK, 1) == (first.outcome, first.counts["queued"])
    assert Outcome.SKIPPED == again.outcome
    assert [(KEY, "daily-1")] == deferrals.calls
    assert [] == newsroom.deliveries
    assert ([], []) == (due_after_restart, unstarted)
    assert record is not None and (SendStatus.QUEUED, "daily-1", 1) == (record.status, record.edition_id,
                                                                       record.attempts)


def test_a_leader_dead_between_defer_and_mark_is_resumed_by_the_next_which_only_marks(
    runtime: Runtime, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """The first leader deferred and died before marking the slot queued (it stays running): the next leader
    takes the slot over, asks the deferral again (which finds the job: 0) and marks it queued."""
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=BERLIN))
    seen: list[SendKey] = []

    def already_queued(key: SendKey, _edition_id: str) -> int:
        seen.append(key)
        return 0

    _service(runtime, newsroom, Deferrals()).run_slot(SLOT)
    with runtime.engine.begin() as connection:
        connection.execute(update(edition_sends).values(status=SendStatus.RUNNING.value))
    successor = _service(runtime, newsroom, already_queued)
    unstarted = [job.id for job in successor.unstarted_slot_jobs(clock.now())]
    resumed = successor.run_slot(SLOT)
    record = SendLedger(runtime.engine).get(KEY)
    assert [SLOT] == unstarted
    assert (Outcome.OK, 0) == (resumed.outcome, resumed.counts["queued"])
    assert [KEY] == seen
    assert record is not None and (SendStatus.QUEUED, 2) == (record.status, record.attempts)


def test_a_settled_slot_stays_settled(runtime: Runtime, newsroom: FakeNewsroom, clock: FixedClock) -> None:
    """The worker settles a queued slot as sent; a late mark by a leader or a second job's settle changes nothing."""
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=BERLIN))
    _service(runtime, newsroom, Deferrals()).run_slot(SLOT)
    ledger = SendLedger(runtime.engine)
    settled = ledger.settle(KEY, SendStatus.SENT, clock.now(), sent=2)
    marked_late = ledger.mark_queued(KEY)
    settled_again = ledger.settle(KEY, SendStatus.FAILED, clock.now(), detail="a second job")
    record = ledger.get(KEY)
    assert (True, False, False) == (settled, marked_late, settled_again)
    assert record is not None and (SendStatus.SENT, 2) == (record.status, record.sent)


# -- on PostgreSQL: procrastinate's jobs ------------------------------------------------------------


@pytest.fixture
def pg_settings(settings: Settings, postgres_url: str) -> Settings:
    from syndication.store.db import open_engine

    open_engine(postgres_url).dispose()  # migrated once
    return _queued(settings, postgres_url)


@pytest.fixture
def queued_runtime(pg_settings: Settings, clock: FixedClock) -> Iterator[Runtime]:
    created = Runtime(settings=pg_settings, clock=clock)
    yield created
    created.close()


def _jobs(runtime: Runtime) -> list[tuple[str, str, str]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(text("SELECT task_name, queueing_lock, status FROM procrastinate_jobs ORDER BY id"))
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.postgres
def test_two_leaders_deferring_one_slot_queue_each_copy_once(queued_runtime: Runtime) -> None:
    """Two Deferrers (an old leader and its successor) defer the same slot: each of its two copies is queued once,
    also when a worker has taken one of them meanwhile (running jobs count as queued)."""
    from syndication.scheduler.queue import SEND_TASK, Deferrer, send_lock

    two_copies = queued_runtime.settings.model_copy(update={"workers": WorkersConfig(queue=True, send_jobs=2)})
    runtime = Runtime(settings=two_copies)
    runtime.__dict__["engine"] = queued_runtime.engine
    first = Deferrer(runtime).send(KEY, "daily-2026-11-24")
    with queued_runtime.engine.begin() as connection:
        connection.execute(text("UPDATE procrastinate_jobs SET status = 'doing' WHERE queueing_lock = :lock"),
                           {"lock": send_lock(KEY, 0)})
    second = Deferrer(runtime).send(KEY, "daily-2026-11-24")
    assert (2, 0) == (first, second)
    assert [(SEND_TASK, send_lock(KEY, 0), "doing"), (SEND_TASK, send_lock(KEY, 1), "todo")] == _jobs(queued_runtime)


@pytest.mark.postgres
def test_a_leader_failover_defers_exactly_one_job_per_slot(
    queued_runtime: Runtime, newsroom: FakeNewsroom
) -> None:
    """The real Deferrer behind the schedule: the first leader defers 06:00 and dies before marking it; its
    successor resumes the slot and defers nothing more; a third leader finds the slot queued."""
    from syndication.scheduler.queue import Deferrer

    runtime = queued_runtime
    newsroom.clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=BERLIN))  # type: ignore[attr-defined]
    _service(runtime, newsroom, Deferrer(runtime).send).run_slot(SLOT)
    with runtime.engine.begin() as connection:
        connection.execute(update(edition_sends).values(status=SendStatus.RUNNING.value))
    successor = _service(runtime, newsroom, Deferrer(runtime).send)
    resumed = successor.run_slot(SLOT)
    third = _service(runtime, newsroom, Deferrer(runtime).send)
    due = third.due_slot_jobs(runtime.clock.now())
    record = SendLedger(runtime.engine).get(KEY)
    jobs = _jobs(runtime)
    assert 0 == resumed.counts["queued"]
    assert [] == due
    assert 1 == len(jobs)
    assert record is not None and SendStatus.QUEUED == record.status
