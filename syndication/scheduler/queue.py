"""The job queue: procrastinate on the store's PostgreSQL database.

Jobs live in the database the ledger already uses (procrastinate's tables beside ours), so any
number of ``syndication worker`` processes on any machines take them. A job is only a trigger:
the send ledger and the outboxes of webhooks and partner pushes stay the source of truth for who
was sent what, and each takes its rows with an atomic claim. So a job run twice (queued twice,
retried after an error, or run again after its worker was killed) sends nothing twice, and two
workers running the same job at once share its work.

With ``[workers] queue = true`` the scheduler leader defers (:class:`Deferrer`) one send job per
(edition, date, slot) — ``[workers] send_jobs`` copies to spread one slot over several workers —
and the partner-push and webhook jobs at their intervals, instead of doing the work itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import procrastinate
from procrastinate import PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.worker import FETCH_JOB_POLLING_INTERVAL
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from syndication.app import App
from syndication.app.editions import send_edition
from syndication.app.partners import deliver_partner_pushes
from syndication.delivery.claims import host_identity
from syndication.delivery.send import SendReport
from syndication.errors import ConfigError
from syndication.runtime import Runtime
from syndication.scheduler.bound import send_outcome
from syndication.scheduler.ledger import SendKey, SendLedger, SendStatus

log = logging.getLogger("syndication.worker")

SEND_TASK = "syndication.send_edition"
PUSH_TASK = "syndication.partner_pushes"
WEBHOOK_TASK = "syndication.webhooks"
QUEUES = ("send", "partners", "webhooks")
# A retry time every database clock has passed: the job runs as soon as a worker fetches it.
AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)
# Held while procrastinate's schema is applied, so that two workers starting together do not both apply it.
_SCHEMA_LOCK = 0x53594E44  # "SYND"
# A job that is waiting or running (procrastinate's own states).
_LIVE = ("todo", "doing")

# What a send job runs: ``send_edition(runtime, edition_id, slot)`` (tests give a fake provider and subscriber list).
SendEdition = Callable[[Runtime, str, str], SendReport]


def conninfo(store_url: str) -> str:
    """The libpq URL of a PostgreSQL store URL (procrastinate speaks psycopg directly)."""
    url = make_url(store_url)
    if not url.drivername.startswith("postgresql"):
        raise ConfigError("the job queue needs PostgreSQL: set [store] url to postgresql://… "
                          "(with SQLite, set [workers] queue = false: `syndication run` sends by itself)")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(engine: Engine, app: procrastinate.App) -> None:
    """Apply procrastinate's schema once (in the store's schema), under an advisory lock."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK})
        try:
            if not inspect(connection).has_table("procrastinate_jobs"):
                connection.commit()
                app.open()
                try:
                    app.schema_manager.apply_schema()
                finally:
                    app.close()
                log.info("procrastinate's schema applied")
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK})
            connection.commit()


def send_lock(key: SendKey, copy: int = 0) -> str:
    """The queueing lock (and run lock) of one send job of ``key``: at most one waits and one runs."""
    return f"send:{key.edition_name}:{key.edition_date.isoformat()}:{key.slot}:{copy}"


def send_until_settled(
    runtime: Runtime, edition_id: str, slot: str, send: SendEdition = send_edition
) -> SendReport:
    """``send_edition`` again, every third of the lease, while batches are in other workers' hands.

    Batches claimed by another copy of the job are finished by it; those of a dead worker are taken
    over a lease after its last heartbeat. Either way the run ends, so the job that returns has seen
    it through (or met a provider error, a paused run, or in-doubt batches: reported, not retried here).
    """
    wait = runtime.settings.workers.lease_seconds / 3
    while True:
        report = send(runtime, edition_id, slot)
        if report.errors or report.paused or not (report.pending or report.busy):
            return report
        time.sleep(wait)


def settle(runtime: Runtime, key: SendKey, report: SendReport) -> None:
    """Record a scheduled slot's end in edition_sends, as the scheduler would have after sending itself."""
    outcome = send_outcome(report)
    now = runtime.clock.now()
    ledger = SendLedger(runtime.engine)
    if outcome.cancelled:
        # An editor cancelled the edition: the slot is done with, never retried.
        ledger.settle(key, SendStatus.SKIPPED, now, sent=outcome.sent, failed=outcome.failed,
                      detail=f"cancelled: {outcome.paused}")
    elif outcome.failed or outcome.unfinished:
        ledger.settle(key, SendStatus.FAILED, now, sent=outcome.sent, failed=outcome.failed,
                      detail=outcome.failure_detail())
    else:
        ledger.settle(key, SendStatus.SENT, now, sent=outcome.sent, failed=outcome.failed)


def queue_app(runtime: Runtime, send_edition: SendEdition = send_edition) -> procrastinate.App:
    """The procrastinate app on ``runtime``'s store with the syndication tasks bound to ``runtime``."""
    app = procrastinate.App(connector=PsycopgConnector(conninfo=conninfo(runtime.settings.store_url)))

    @app.task(name=SEND_TASK, queue="send", retry=procrastinate.RetryStrategy(max_attempts=5, wait=30))
    def send(edition_id: str, slot: str, edition_name: str | None = None,
             edition_date: str | None = None) -> dict[str, Any]:
        # A scheduled slot names its edition_sends key; `worker send` does not.
        key = SendKey(edition_name, date.fromisoformat(edition_date), slot) if edition_name and edition_date else None
        try:
            report = send_until_settled(runtime, edition_id, slot, send_edition)
        except Exception as exc:
            if key is not None:
                SendLedger(runtime.engine).settle(key, SendStatus.FAILED, runtime.clock.now(),
                                                  detail=f"{type(exc).__name__}: {exc}"[:500])
            raise
        if key is not None:
            settle(runtime, key, report)
        log.info("job send %s %s: %s", edition_id, slot, report.summary())
        return {"sent": report.sent, "sent_now": report.sent_now, "pending": report.pending}

    @app.task(name=PUSH_TASK, queue="partners")
    def partner_pushes() -> dict[str, int]:
        report = deliver_partner_pushes(runtime)
        return {"queued": report.queued, "delivered": report.delivered, "failed": report.failed}

    @app.task(name=WEBHOOK_TASK, queue="webhooks")
    def webhooks() -> dict[str, int]:
        report = App(runtime).deliver_webhooks()
        return {"delivered": report.delivered, "failed": report.failed}

    return app


def enqueue_send(app: procrastinate.App, edition_id: str, slot: str, copies: int = 1) -> list[int]:
    """Queue ``copies`` send jobs for (edition, slot): up to that many workers share its batches."""
    task = app.tasks[SEND_TASK]
    return [task.defer(edition_id=edition_id, slot=slot) for _ in range(copies)]


class Deferrer:
    """The scheduler leader's side of the queue: defers the jobs, never runs them.

    procrastinate is opened for each deferral only (the leader defers a few jobs a minute), under a
    lock: APScheduler's threads share this one app.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._app: procrastinate.App | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _opened(self) -> Iterator[procrastinate.App]:
        with self._lock:
            if self._app is None:
                app = queue_app(self.runtime)
                ensure_schema(self.runtime.engine, app)
                self._app = app
            with self._app.open():
                yield self._app

    def send(self, key: SendKey, edition_id: str) -> int:
        """Defer the send jobs of ``key`` that are not waiting or running yet; how many were deferred.

        Idempotent across leaders: each copy has its own queueing lock (procrastinate refuses a
        second waiting job) and run lock (never two running), and the look for a running one and the
        defer happen under a PostgreSQL advisory lock on that name, so two leaders overlapping in a
        failover cannot both defer while a worker has just taken the first job.
        """
        deferred = 0
        with self._opened() as app:
            for copy in range(self.runtime.settings.workers.send_jobs):
                name = send_lock(key, copy)
                with self.runtime.engine.begin() as connection:
                    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
                    if any(app.job_manager.list_jobs(queueing_lock=name, status=status) for status in _LIVE):
                        continue
                    try:
                        app.tasks[SEND_TASK].configure(queueing_lock=name, lock=name).defer(
                            edition_id=edition_id, slot=key.slot, edition_name=key.edition_name,
                            edition_date=key.edition_date.isoformat(),
                        )
                    except AlreadyEnqueued:
                        continue
                    deferred += 1
        if deferred:
            log.info("deferred %d send job(s) for %s (%s)", deferred, key, edition_id)
        return deferred

    def _defer_once(self, task_name: str) -> int:
        # One waiting job at most (its queueing lock), never two running (its lock): a job that waits
        # already will do what a second one would.
        with self._opened() as app:
            try:
                app.tasks[task_name].configure(queueing_lock=task_name, lock=task_name).defer()
            except AlreadyEnqueued:
                return 0
        return 1

    def partner_pushes(self) -> int:
        return self._defer_once(PUSH_TASK)

    def webhooks(self) -> int:
        return self._defer_once(WEBHOOK_TASK)


async def retry_stalled(app: procrastinate.App, lease_seconds: float) -> int:
    """Put back the running jobs of workers silent for a lease (killed, machine gone); how many.

    procrastinate's own stalled-job recovery (its workers keep a heartbeat row), not a re-defer of
    ours: the job keeps its id, locks and arguments, so no second job of the same slot appears. It
    is sound because a job is only a trigger: the ledger makes the retried send skip everyone the
    dead worker sent, and takes over its claimed batches a lease after its heartbeat stopped (a
    batch it had handed to the provider stays in doubt, reported, never resent). A retry another
    worker made first fails here and is skipped.
    """
    retried = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=lease_seconds):
        try:
            # "At once" by the database's clock: procrastinate's default retry time is this machine's now,
            # and a machine whose clock runs ahead of the database's would put the job back that much later.
            await app.job_manager.retry_job(job, retry_at=AT_ONCE)
        except ConnectorException:
            continue
        retried += 1
        log.warning("job %s (%s) of a silent worker put back in the queue", job.id, job.task_name)
    return retried


async def _keep_retrying(app: procrastinate.App, lease_seconds: float) -> None:
    while True:
        await asyncio.sleep(lease_seconds / 3)
        try:
            await retry_stalled(app, lease_seconds)
        except ConnectorException as exc:  # the database is away for a moment: the next round retries
            log.warning("stalled jobs not checked: %s", type(exc).__name__)


def run_worker(
    runtime: Runtime, queues: list[str], concurrency: int = 1, burst: bool = False,
    send_edition: SendEdition = send_edition,
) -> None:
    """Run one worker until SIGTERM/SIGINT (``burst``: until no job is left).

    Its heartbeat in procrastinate's workers table beats every third of ``[workers] lease_seconds``;
    every worker puts back the jobs of workers silent for a lease (:func:`retry_stalled`), at start
    and then as often as it beats, and looks for jobs at least as often: a job put back is an UPDATE,
    which procrastinate announces to no one (only a new job is NOTIFYed), so a worker idle at the
    default 5 s polling would leave a killed worker's send waiting longer than it must.
    """
    app = queue_app(runtime, send_edition)
    ensure_schema(runtime.engine, app)
    lease = runtime.settings.workers.lease_seconds

    async def work() -> None:
        async with app.open_async():
            await retry_stalled(app, lease)
            recovery = None if burst else asyncio.create_task(_keep_retrying(app, lease))
            try:
                await app.run_worker_async(
                    queues=queues, concurrency=concurrency, wait=not burst, install_signal_handlers=True,
                    update_heartbeat_interval=lease / 3, stalled_worker_timeout=lease, name=host_identity(),
                    fetch_job_polling_interval=min(FETCH_JOB_POLLING_INTERVAL, lease / 3),
                )
            finally:
                if recovery is not None:
                    recovery.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await recovery

    asyncio.run(work())
