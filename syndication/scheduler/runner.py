"""``syndication run``: leadership, APScheduler wiring, the catch-up, graceful stop, and ``--once``.

Any number of ``run`` processes may run against one store; one leads (see
:mod:`syndication.scheduler.leadership`) and the others stand by until its lease lapses.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.util import undefined

from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.runtime import Runtime
from syndication.scheduler.jobs import Jobs
from syndication.scheduler.leadership import LeaderLease, holder_name
from syndication.scheduler.ledger import Outcome
from syndication.scheduler.plan import COLLECT_JOB_ID, Plan, build_plan
from syndication.scheduler.service import SchedulerService

log = logging.getLogger("syndication.scheduler")

# Collect and an edition send may overlap; two editions sending at once is rare but fine.
WORKERS = 3
LOCK_CHECK_JOB_ID = "lock-check"
WEBHOOKS_JOB_ID = "webhooks"
INBOUND_JOB_ID = "inbound"
PARTNERS_JOB_ID = "partner-pushes"


def job_options(plan: Plan) -> dict[str, object]:
    return {
        "replace_existing": True,
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": int(plan.misfire_grace.total_seconds()),
    }


def catch_up(service: SchedulerService, now: datetime) -> set[str]:
    """Slot jobs to run at start: their fire time passed within the grace and they are not done.

    The job store is rebuilt at every start, so APScheduler alone would not remember a 06:00
    slot missed by a restart at 06:20; the edition_sends table does.
    """
    return {job.id for job in service.due_slot_jobs(now)}


def configure(scheduler: BaseScheduler, service: SchedulerService) -> None:
    """Add every job of the plan to ``scheduler``; slots due now (after a restart) run at once."""
    plan = service.plan
    now = service.runtime.clock.now()
    options = job_options(plan)

    def collect() -> None:
        service.collect()
        if service.stop.is_set():
            return
        # A send that failed (provider down) is retried while its slot is within the grace.
        for job in service.failed_slot_jobs(service.runtime.clock.now()):
            scheduler.modify_job(job.id, next_run_time=service.runtime.clock.now())

    scheduler.add_job(
        collect, trigger=plan.collect_trigger, id=COLLECT_JOB_ID, name="collect and publish feeds",
        next_run_time=now, **options,
    )
    periodic = {
        WEBHOOKS_JOB_ID: (service.jobs.deliver_webhooks, service.runtime.settings.webhooks,
                          service.runtime.settings.scheduler.webhooks_interval_seconds),
        INBOUND_JOB_ID: (service.jobs.poll_inbound, service.runtime.settings.inbound.imap_url,
                         service.runtime.settings.inbound.poll_interval_minutes * 60),
        # Always: it also lifts embargoes and records versions another process stored.
        PARTNERS_JOB_ID: (service.jobs.deliver_partner_pushes, True,
                          service.runtime.settings.scheduler.partner_push_interval_seconds),
    }
    for job_id, (job, configured, seconds) in periodic.items():
        if job is not None and configured:
            scheduler.add_job(
                service.run_periodic, trigger="interval", seconds=seconds, args=[job_id, job], id=job_id,
                name=job_id, next_run_time=now, replace_existing=True, coalesce=True, max_instances=1,
            )
    due = catch_up(service, now)
    for job in plan.slot_jobs:
        scheduler.add_job(
            service.run_slot, trigger=job.trigger, args=[job.id], id=job.id, name=job.id,
            next_run_time=now if job.id in due else undefined, **options,
        )
        if job.id in due:
            log.info("job=%s catching up: its slot passed less than the misfire grace ago", job.id)


@contextmanager
def _signals_set(handler: object) -> Iterator[None]:
    previous = {number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGINT)}  # type: ignore[arg-type]
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def leadership_for(runtime: Runtime) -> LeaderLease:
    """This process's claim to lead the schedule of ``runtime``'s store."""
    lease = timedelta(seconds=runtime.settings.workers.lease_seconds)
    return LeaderLease(runtime.engine, holder_name(), runtime.clock, lease)


def fire_unstarted(scheduler: BaseScheduler, service: SchedulerService) -> None:
    """Run at once every slot that is due and was never started, or was left running by a dead leader.

    APScheduler fires a slot at its time only in the process that led then; a leader that took
    over afterwards (or whose start-up catch-up came before the slot's time on its clock) fires
    it here, at its next lease renewal. The slot's claim in edition_sends keeps it to one run.
    """
    for job in service.unstarted_slot_jobs(service.runtime.clock.now()):
        # A one-off job without a trigger runs at once by APScheduler's own time (its cron jobs keep theirs).
        scheduler.add_job(service.run_slot, args=[job.id], id=f"catch-up:{job.id}", name=job.id,
                          replace_existing=True, misfire_grace_time=None)


def run_scheduler(
    runtime: Runtime, jobs: Jobs, *, install_signals: bool = True, stop: threading.Event | None = None
) -> int:
    """Stand by until this process leads, then schedule until SIGTERM/SIGINT (or ``stop``): 0.

    Running jobs finish and are recorded before the process resigns. Losing the lead (the lease
    was taken or could not be renewed) stops the scheduler with 1: a restart stands by again.
    """
    plan = build_plan(runtime.settings)
    stop = stop if stop is not None else threading.Event()
    if not log.isEnabledFor(logging.DEBUG):
        # APScheduler logs every job start and end; our one line per run says more.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    lock = leadership_for(runtime)
    with _signals_set(lambda *_: stop.set()) if install_signals else _nothing():
        leading = lock.stand_by(stop)
    if not leading:
        log.info("scheduler stopped while standing by")
        return EXIT_OK
    try:
        return _lead(runtime, jobs, plan, lock, stop, install_signals)
    finally:
        lock.release()


def _lead(
    runtime: Runtime, jobs: Jobs, plan: Plan, lock: LeaderLease, stop: threading.Event, install_signals: bool
) -> int:
    service = SchedulerService(runtime, jobs, plan, stop)
    interrupted = service.recover()
    if interrupted:
        log.warning("marked %d job runs of a previous process as interrupted", interrupted)
    scheduler = BlockingScheduler(
        timezone=plan.zone,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=WORKERS)},
    )
    started = threading.Event()
    scheduler.add_listener(lambda _event: started.set(), EVENT_SCHEDULER_STARTED)
    configure(scheduler, service)
    lock_lost = threading.Event()

    def shut_down() -> None:
        started.wait()
        # wait=True: a running job finishes its batch and records itself first.
        scheduler.shutdown(wait=True)

    stopper = threading.Thread(target=shut_down, name="scheduler-stop", daemon=True)

    stopping = threading.Lock()

    def request_stop(signum: int | None = None, _frame: FrameType | None = None) -> None:
        # Non-blocking: a second signal (or the watcher) while stopping does nothing.
        if not stopping.acquire(blocking=False):
            return
        stop.set()
        log.info("stop requested%s: letting running jobs finish", f" (signal {signum})" if signum else "")
        stopper.start()

    def check_lock() -> None:
        if not lock.alive():
            log.error("the lead was lost (%s): stopping, a restart stands by again", lock.description)
            lock_lost.set()
            request_stop()
            return
        if not stop.is_set():
            fire_unstarted(scheduler, service)

    # Never skipped as misfired, however late a busy machine runs it: a skipped renewal lets the lease lapse.
    scheduler.add_job(
        check_lock, trigger="interval", seconds=lock.interval, id=LOCK_CHECK_JOB_ID,
        replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=None,
    )
    watcher = threading.Thread(target=lambda: (stop.wait(), request_stop()), name="stop-watch", daemon=True)
    watcher.start()
    log.info(
        "scheduler started (%s; collect every %ss; %d edition jobs)",
        lock.description, plan.collect_interval.total_seconds(), len(plan.slot_jobs),
    )
    context = _signals_set(request_stop) if install_signals else _nothing()
    with context:
        if not stop.is_set():
            scheduler.start()
        if started.is_set():
            stopper.join()
        service.wait_idle()
    log.info("scheduler stopped")
    return EXIT_SOME_FAILED if lock_lost.is_set() else EXIT_OK


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def run_once(runtime: Runtime, jobs: Jobs) -> int:
    """Collect, publish the feeds, send every slot that is due now; 0 when all went well."""
    plan = build_plan(runtime.settings)
    lock = leadership_for(runtime).take_now()
    try:
        service = SchedulerService(runtime, jobs, plan)
        service.recover()
        results = service.collect(publish=True)
        for job in service.due_slot_jobs(runtime.clock.now()):
            results.append(service.run_slot(job.id))
        if jobs.poll_inbound is not None and runtime.settings.inbound.imap_url:
            results.append(service.run_periodic(INBOUND_JOB_ID, jobs.poll_inbound))
        if jobs.deliver_webhooks is not None and runtime.settings.webhooks:
            results.append(service.run_periodic(WEBHOOKS_JOB_ID, jobs.deliver_webhooks))
        if jobs.deliver_partner_pushes is not None:
            results.append(service.run_periodic(PARTNERS_JOB_ID, jobs.deliver_partner_pushes))
    finally:
        lock.release()
    failed = any(result.outcome in (Outcome.FAILED, Outcome.INTERRUPTED) for result in results)
    return EXIT_SOME_FAILED if failed else EXIT_OK

