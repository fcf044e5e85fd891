"""The schedule's behaviour, independent of APScheduler: what one job run does and records.

APScheduler (``runner.py``), ``syndication run --once`` and the tests' :class:`~.testing.Ticker`
all call :meth:`SchedulerService.collect` and :meth:`SchedulerService.run_slot`, so the rules
live in one place:

- collect, then publish the feeds when anything changed (or on the first collect of a process,
  or when the previous publish failed);
- a slot run stands for the newest fire time of its trigger within the misfire grace, whose
  local date and slot form the key claimed in ``edition_sends`` before anything is built or
  sent: the same (edition, date, slot) never goes out twice;
- a slot in the readers' zones (``slot_zone = "reader"``) stands for one such key per reader zone
  whose clock showed the slot within the grace (:mod:`syndication.scheduler.zones`); a run that
  finds none due is not recorded (the job wakes every quarter hour).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from syndication.app.logs import PROCESS_RUN_ID, bound_run
from syndication.runtime import Runtime
from syndication.scheduler.jobs import Counts, EditionRef, Jobs, WorkOutcome
from syndication.scheduler.ledger import SETTLED, Outcome, RunLog, SendKey, SendLedger, SendRecord, SendStatus
from syndication.scheduler.plan import COLLECT_JOB_ID, Plan, SlotJob, latest_fire_time
from syndication.scheduler.zones import ZoneSlot, due_zone_slots

log = logging.getLogger("syndication.scheduler")

FEEDS_JOB_ID = "feeds"
BUILD_SLOT = "build"
# job_runs rows are kept this long (one collect every 10 minutes is ~4,300 rows a month).
RUN_RETENTION = timedelta(days=30)


@dataclass
class RunResult:
    """What one job run reports: its outcome, counts for the log and job_runs, and why."""

    outcome: Outcome = Outcome.OK
    counts: Counts = field(default_factory=dict)
    detail: str | None = None


def format_log_line(job_id: str, result: RunResult, duration: float) -> str:
    parts = [f"job={job_id}", f"outcome={result.outcome.value}", f"duration_s={duration:.3f}"]
    parts += [f"{name}={value}" for name, value in sorted(result.counts.items())]
    if result.detail:
        parts.append(f'detail="{result.detail.replace(chr(34), chr(39))}"')
    return " ".join(parts)


class SchedulerService:
    def __init__(self, runtime: Runtime, jobs: Jobs, plan: Plan, stop: threading.Event | None = None) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.plan = plan
        self.stop = stop if stop is not None else threading.Event()
        self.ledger = SendLedger(runtime.engine)
        self.runs = RunLog(runtime.engine)
        self._feeds_pending = True
        self._pruned_at: datetime | None = None
        self._active = 0
        self._idle = threading.Condition()
        # Keys being built or sent by a thread of this process: never taken over.
        self._keys_in_hand: set[SendKey] = set()

    # -- bookkeeping ------------------------------------------------------------------

    def recover(self) -> int:
        """After taking the lock: runs left ``running`` by a dead process become ``interrupted``."""
        return self.runs.close_interrupted(self.runtime.clock.now())

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    @contextmanager
    def _active_run(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _recorded(self, job_id: str, work: Callable[[], RunResult]) -> RunResult:
        """Run ``work`` as one recorded job run: a job_runs row and one structured log line."""
        clock = self.runtime.clock
        with self._active_run():
            run_id = self.runs.start(job_id, clock.now())
            began = time.monotonic()
            try:
                # Every line the job logs names this job run (JSON logs: "run_id").
                with bound_run(f"{PROCESS_RUN_ID}/job-{run_id}"):
                    result = work()
            except Exception as exc:  # a failing job is recorded; the scheduler goes on
                log.exception("job=%s failed", job_id)
                result = RunResult(Outcome.FAILED, detail=f"{type(exc).__name__}: {exc}")
            duration = time.monotonic() - began
            self.runs.finish(
                run_id,
                result.outcome,
                clock.now(),
                duration,
                result.counts,
                result.detail if result.outcome in (Outcome.FAILED, Outcome.INTERRUPTED) else None,
            )
            log.info(format_log_line(job_id, result, duration))
            return result

    # -- collect and feeds --------------------------------------------------------------

    def collect(self, *, publish: bool = False) -> list[RunResult]:
        """Collect; then publish the feeds if anything changed, if asked, or if still pending.

        Returns the collect run's result, followed by the feeds run's if there was one.
        """
        if self.stop.is_set():
            return [RunResult(Outcome.SKIPPED, detail="stopping")]
        changed = False

        def work() -> RunResult:
            nonlocal changed
            outcome = self.jobs.collect()
            changed = outcome.changed
            if outcome.unavailable:
                return RunResult(Outcome.FAILED, outcome.counts, "; ".join(outcome.unavailable))
            return RunResult(Outcome.OK, outcome.counts)

        results = [self._recorded(COLLECT_JOB_ID, work)]
        if (changed or publish or self._feeds_pending) and not self.stop.is_set():
            results.append(self.publish_feeds())
        self._prune_daily()
        return results

    def _prune_daily(self) -> None:
        now = self.runtime.clock.now()
        if self._pruned_at is not None and now - self._pruned_at < timedelta(days=1):
            return
        self._pruned_at = now
        pruned = self.runs.prune(now - RUN_RETENTION)
        if pruned:
            log.info("forgot %d job runs older than %d days", pruned, RUN_RETENTION.days)

    def publish_feeds(self) -> RunResult:
        def work() -> RunResult:
            return RunResult(Outcome.OK, self.jobs.publish_feeds().counts)

        result = self._recorded(FEEDS_JOB_ID, work)
        self._feeds_pending = result.outcome != Outcome.OK
        return result

    # -- webhooks and inbound mail ---------------------------------------------------

    def run_periodic(self, job_id: str, job: Callable[[], WorkOutcome]) -> RunResult:
        """Run a frequent job (webhooks, inbound); recorded in job_runs only when it did or failed something."""
        if self.stop.is_set():
            return RunResult(Outcome.SKIPPED, detail="stopping")
        clock = self.runtime.clock
        with self._active_run():
            started = clock.now()
            began = time.monotonic()
            try:
                result = RunResult(Outcome.OK, job().counts)
            except Exception as exc:  # a failing job is recorded; the scheduler goes on
                log.exception("job=%s failed", job_id)
                result = RunResult(Outcome.FAILED, detail=f"{type(exc).__name__}: {exc}")
            if result.outcome == Outcome.OK and not any(result.counts.values()):
                return result
            duration = time.monotonic() - began
            run_id = self.runs.start(job_id, started)
            failed = result.outcome == Outcome.FAILED
            self.runs.finish(run_id, result.outcome, clock.now(), duration, result.counts,
                             result.detail if failed else None)
            log.info(format_log_line(job_id, result, duration))
            return result

    # -- editions -----------------------------------------------------------------------

    def key_for(self, job: SlotJob, now: datetime) -> SendKey | None:
        """The (edition, local date, slot) a run of ``job`` at ``now`` stands for; None: not due.

        In reader zones: the site's zone's key (see :meth:`due_sends` for every zone's).
        """
        if job.in_reader_zones:
            return next((send.key for send in self.due_sends(job, now) if send.zone is None), None)
        fire = latest_fire_time(job.trigger, now, self.plan.misfire_grace)
        if fire is None:
            return None
        slot = job.slot if job.sends else BUILD_SLOT
        return SendKey(job.edition.name, fire.astimezone(self.plan.zone).date(), slot)

    def due_sends(self, job: SlotJob, now: datetime) -> list[ZoneSlot]:
        """Every key a run of ``job`` at ``now`` stands for, oldest moment first: one, or one per reader zone."""
        if not job.in_reader_zones:
            fire = latest_fire_time(job.trigger, now, self.plan.misfire_grace)
            key = self.key_for(job, now)
            return [] if key is None or fire is None else [ZoneSlot(key, None, fire)]
        reader_zones = self.jobs.reader_zones
        return due_zone_slots(
            job.edition, job.slot, site=self.plan.zone, calendar=self.runtime.settings.calendar,
            reader_zones=reader_zones(job.edition.name) if reader_zones is not None else (),
            now=now, grace=self.plan.misfire_grace,
        )

    def _open_sends(self, job: SlotJob, now: datetime) -> list[ZoneSlot]:
        """The due keys not done yet (nor in the job queue)."""
        open_sends = []
        for send in self.due_sends(job, now):
            record = self.ledger.get(send.key)
            if record is None or record.status not in SETTLED:
                open_sends.append(send)
        return open_sends

    def is_due(self, job: SlotJob, now: datetime) -> bool:
        """Due: a fire time within the misfire grace whose key is not done yet (nor in the job queue)."""
        return bool(self._open_sends(job, now))

    def run_slot(self, job_id: str) -> RunResult:
        job = self.plan.job(job_id)
        if self.stop.is_set():
            return RunResult(Outcome.SKIPPED, detail="stopping")
        if job.in_reader_zones:
            sends = self._open_sends(job, self.runtime.clock.now())
            if not sends:
                # Woken at a quarter hour no reader zone's clock shows the slot: nothing to record.
                return RunResult(Outcome.SKIPPED, detail="no reader zone's slot is due")
            return self._recorded(job.id, lambda: self._zones_work(job, sends))
        return self._recorded(job.id, lambda: self._slot_work(job))

    def _claim(self, key: SendKey, now: datetime) -> SendRecord | None:
        with self._idle:
            if key in self._keys_in_hand:
                return None
            self._keys_in_hand.add(key)
        record = self.ledger.claim(key, now)
        if record is None:
            existing = self.ledger.get(key)
            if existing is not None and existing.status == SendStatus.RUNNING:
                # Only the lock holder runs slots and no thread here holds the key, so a
                # running row is a dead process's: resume it (send_edition's ledger skips
                # what already went out).
                record = self.ledger.take_over_running(key, now)
        if record is None:
            self._release(key)
        return record

    def _release(self, key: SendKey) -> None:
        with self._idle:
            self._keys_in_hand.discard(key)

    def _slot_work(self, job: SlotJob) -> RunResult:
        key = self.key_for(job, self.runtime.clock.now())
        if key is None:
            return RunResult(Outcome.SKIPPED, detail="not due: no fire time within the misfire grace")
        return self._key_work(job, key)

    def _zones_work(self, job: SlotJob, sends: list[ZoneSlot]) -> RunResult:
        """Send each due zone's key in turn, as one job run; a stop request ends it between zones."""
        results = []
        for send in sends:
            if self.stop.is_set():
                break
            results.append((send.key, self._key_work(job, send.key)))
        counts: dict[str, int | float] = {"zones": len(results)}
        for _, result in results:
            for name, value in result.counts.items():
                if name != "attempt":
                    counts[name] = counts.get(name, 0) + value
        outcomes = [result.outcome for _, result in results]
        details = "; ".join(f"{key.slot}: {result.detail}" for key, result in results if result.detail)
        if len(results) < len(sends):
            return RunResult(Outcome.INTERRUPTED, counts, details or "stopped between zones")
        for worst in (Outcome.FAILED, Outcome.INTERRUPTED, Outcome.OK):
            if worst in outcomes:
                return RunResult(worst, counts, details or None)
        return RunResult(Outcome.SKIPPED, counts, details or None)

    def _key_work(self, job: SlotJob, key: SendKey) -> RunResult:
        now = self.runtime.clock.now()
        record = self._claim(key, now)
        if record is None:
            return RunResult(Outcome.SKIPPED, detail=f"{key} is done already or being sent")
        try:
            if not job.sends:
                return self._build_only(job, key)
            return self._build_and_send(job, key, record)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            self.ledger.finish(key, SendStatus.FAILED, self.runtime.clock.now(), detail=detail)
            raise
        finally:
            self._release(key)

    def _build_only(self, job: SlotJob, key: SendKey) -> RunResult:
        edition = self.jobs.build_edition(job.edition.name)
        now = self.runtime.clock.now()
        if edition is None:
            self.ledger.finish(key, SendStatus.SKIPPED, now, detail="nothing new to build")
            return RunResult(Outcome.SKIPPED, {"built": 0}, "nothing new to build")
        self.ledger.set_edition(key, edition.id)
        self.ledger.finish(key, SendStatus.BUILT, now)
        return RunResult(Outcome.OK, {"built": 1, "articles": edition.articles})

    def _should_build(self, job: SlotJob, key: SendKey) -> bool:
        if job.edition.cron:
            return False
        if job.builds:
            return True
        # The first slot never ran for this date (the process was down): this slot builds.
        records = self.ledger.for_date(key.edition_name, key.edition_date)
        return not any(record.key.slot < key.slot for record in records)

    def _edition_of(self, name: str, edition_date: date) -> EditionRef | None:
        if self.jobs.edition_of is not None:
            return self.jobs.edition_of(name, edition_date)
        latest = self.jobs.latest_edition(name)
        return latest if latest is not None and latest.edition_date == edition_date else None

    def _zone_edition(self, job: SlotJob, key: SendKey) -> tuple[EditionRef | None, str, int]:
        """(edition, why not, built) for one zone's send: the edition of the key's (site) date.

        It is built by the site's first slot; any zone's send builds it when that never ran (the process
        was down, or the slot fell in the quiet hours) and the site's date is still the edition's.
        """
        name = job.edition.name
        edition = self._edition_of(name, key.edition_date)
        built = 0
        if edition is None and self.runtime.clock.now().astimezone(self.plan.zone).date() == key.edition_date:
            first = SendKey(name, key.edition_date, job.edition.slots[0])
            if key == first or self.ledger.get(first) is None:
                made = self.jobs.build_edition(name)
                built = int(made is not None)
                edition = made or self._edition_of(name, key.edition_date)
        if edition is None:
            return None, f"no edition for {key.edition_date.isoformat()} (nothing new)", built
        return edition, "", built

    def _edition_to_send(self, job: SlotJob, key: SendKey) -> tuple[EditionRef | None, str, int]:
        """(edition, why not, built) for this slot."""
        if job.in_reader_zones:
            return self._zone_edition(job, key)
        name = job.edition.name
        built = 0
        edition: EditionRef | None = None
        if self._should_build(job, key):
            edition = self.jobs.build_edition(name)
            built = int(edition is not None)
        if edition is None:
            edition = self.jobs.latest_edition(name)
        if edition is None:
            return None, "no edition has been built yet", built
        if job.edition.cron:
            # Built on its own schedule: send the newest edition once per slot.
            if self.ledger.was_sent(edition.id, key.slot):
                return None, f"edition {edition.id} already went out in slot {key.slot}", built
        elif edition.edition_date != key.edition_date:
            return None, f"no edition for {key.edition_date.isoformat()} (nothing new)", built
        return edition, "", built

    def _build_and_send(self, job: SlotJob, key: SendKey, record: SendRecord) -> RunResult:
        built = 0
        if record.edition_id is not None:
            # A resumed send: the edition was chosen by the first attempt.
            edition_id = record.edition_id
        else:
            edition, why_not, built = self._edition_to_send(job, key)
            if edition is None:
                self.ledger.finish(key, SendStatus.SKIPPED, self.runtime.clock.now(), detail=why_not)
                return RunResult(Outcome.SKIPPED, {"built": built, "sent": 0}, why_not)
            edition_id = edition.id
            self.ledger.set_edition(key, edition_id)
        if self.jobs.queue_send is not None:
            return self._queue(self.jobs.queue_send, key, edition_id, record, built)
        report = self.jobs.send_edition(edition_id, key.slot, self.stop)
        counts = {"built": built, "attempt": record.attempts, **report.counts}
        sent = report.sent
        failed = report.failed
        now = self.runtime.clock.now()
        if report.cancelled:
            # An editor cancelled the edition (this zone's send too, started or not): done for good.
            detail = f"cancelled: {report.paused}"
            self.ledger.finish(key, SendStatus.SKIPPED, now, sent=sent, failed=failed, detail=detail)
            return RunResult(Outcome.SKIPPED, counts, detail)
        unfinished = report.unfinished
        if self.stop.is_set() and unfinished:
            detail = "stopped between batches; the rest goes out when the slot is resumed"
            self.ledger.finish(key, SendStatus.FAILED, now, sent=sent, failed=failed, detail=detail)
            return RunResult(Outcome.INTERRUPTED, counts, detail)
        if failed or unfinished:
            detail = report.failure_detail()
            self.ledger.finish(key, SendStatus.FAILED, now, sent=sent, failed=failed, detail=detail)
            return RunResult(Outcome.FAILED, counts, detail)
        self.ledger.finish(key, SendStatus.SENT, now, sent=sent, failed=failed)
        return RunResult(Outcome.OK, counts)

    def _queue(
        self, queue_send: Callable[[SendKey, str], int], key: SendKey, edition_id: str, record: SendRecord, built: int
    ) -> RunResult:
        """[workers] queue: defer the send to the job queue; the worker's job settles the key.

        The key is marked ``queued`` after the defer, only while still ``running``: a worker that
        finished in between has settled it already. A leader that dies between the two leaves it
        ``running``; the next leader resumes it, finds the job queued, and only marks it.
        """
        deferred = queue_send(key, edition_id)
        self.ledger.mark_queued(key)
        return RunResult(Outcome.OK, {"built": built, "attempt": record.attempts, "queued": deferred})

    def failed_slot_jobs(self, now: datetime) -> list[SlotJob]:
        """Slot jobs whose current key (of any zone) failed and is still within the grace: worth a retry."""
        failed = []
        for job in self.plan.slot_jobs:
            for send in self.due_sends(job, now):
                record = self.ledger.get(send.key)
                if record is not None and record.status == SendStatus.FAILED:
                    failed.append(job)
                    break
        return failed

    def unstarted_slot_jobs(self, now: datetime) -> list[SlotJob]:
        """Due slot jobs nobody is at: a key never claimed, or left ``running`` by a process that leads no more."""
        unstarted = []
        for job in self.plan.slot_jobs:
            for send in self.due_sends(job, now):
                with self._idle:
                    if send.key in self._keys_in_hand:
                        continue
                record = self.ledger.get(send.key)
                if record is None or record.status == SendStatus.RUNNING:
                    unstarted.append(job)
                    break
        return unstarted

    def due_slot_jobs(self, now: datetime) -> list[SlotJob]:
        """The slot jobs due at ``now``, oldest fire time first (for --once and the start-up catch-up)."""
        due = [(sends[0].fire, index, job) for index, job in enumerate(self.plan.slot_jobs)
               if (sends := self._open_sends(job, now))]
        return [job for _, _, job in sorted(due, key=lambda item: (item[0], item[1]))]
