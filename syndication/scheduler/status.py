"""What the scheduler did and will do: facts for ``syndication status`` and ``GET /healthz``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from syndication.delivery.brake import paused_runs
from syndication.errors import SyndicationError
from syndication.runtime import Runtime
from syndication.scheduler.jobs import Jobs
from syndication.scheduler.ledger import JobRun, Outcome, RunLog, SendKey, SendLedger, SendRecord, SendStatus
from syndication.scheduler.plan import COLLECT_JOB_ID, Plan, fire_times, next_fire_time
from syndication.scheduler.service import BUILD_SLOT, FEEDS_JOB_ID

# How far back a missed slot is looked for: a week and a day covers weekly editions.
MISSED_SLOT_WINDOW = timedelta(days=8)


@dataclass(frozen=True)
class JobStatus:
    id: str
    last: JobRun | None
    next_run: datetime | None
    schedule: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "schedule": self.schedule,
            "last_run": self.last.as_json() if self.last else None,
            "next_run": self.next_run.isoformat() if self.next_run else None,
        }


@dataclass(frozen=True)
class EditionStatus:
    name: str
    edition_id: str | None
    edition_date: str | None
    built_at: str | None
    articles: int | None
    last_send: SendRecord | None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "last_edition": (
                {"id": self.edition_id, "date": self.edition_date, "built_at": self.built_at, "articles": self.articles}
                if self.edition_id
                else None
            ),
            "last_send": self.last_send.as_json() if self.last_send else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class Health:
    now: datetime
    jobs: tuple[JobStatus, ...]
    editions: tuple[EditionStatus, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "failing",
            "now": self.now.isoformat(),
            "problems": list(self.problems),
            "jobs": [job.as_json() for job in self.jobs],
            "editions": [edition.as_json() for edition in self.editions],
        }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _edition_status(jobs: Jobs, name: str, ledger: SendLedger) -> EditionStatus:
    last_send = ledger.latest(name)
    try:
        edition = jobs.latest_edition(name)
    except SyndicationError as exc:
        return EditionStatus(name, None, None, None, None, last_send, note=str(exc))
    if edition is None:
        return EditionStatus(name, None, None, None, None, last_send)
    return EditionStatus(
        name=name,
        edition_id=edition.id,
        edition_date=_iso(edition.edition_date),
        built_at=_iso(edition.built_at),
        articles=edition.articles,
        last_send=last_send,
    )


def _collect_problems(plan: Plan, runs: RunLog, overdue_factor: float, now: datetime) -> list[str]:
    problems = []
    last = runs.last(COLLECT_JOB_ID)
    if last is not None and last.outcome == Outcome.FAILED:
        problems.append(f"the last collect ({last.started_at.isoformat()}) failed: {last.error}")
    last_ok = runs.last(COLLECT_JOB_ID, outcome=Outcome.OK)
    allowed = plan.collect_interval * overdue_factor
    if last_ok is None:
        problems.append("no collect has succeeded yet: is `syndication run` running?")
    elif now - last_ok.started_at > allowed:
        problems.append(
            f"collect is overdue: the last successful one started {last_ok.started_at.isoformat()} "
            f"(expected every {plan.collect_interval.total_seconds():g}s)"
        )
    return problems


def _send_problems(plan: Plan, runs: RunLog, ledger: SendLedger, now: datetime) -> list[str]:
    problems = []
    latest = ledger.latest()
    if latest is not None and latest.status == SendStatus.FAILED:
        problems.append(f"the last send ({latest.key}) failed: {latest.detail}")
    since = runs.first_started()
    if since is None:
        return problems
    for job in plan.slot_jobs:
        # The newest fire time whose grace has passed, after the scheduler first ran, must have a record.
        window_start = max(since, now - MISSED_SLOT_WINDOW)
        missed = None
        # In reader zones: the site's zone's send, which every day has (readers or not).
        for moment in fire_times(job.site_trigger, window_start, now - plan.misfire_grace):
            missed = moment
        if missed is None:
            continue
        slot = job.slot if job.sends else BUILD_SLOT
        key = SendKey(job.edition.name, missed.astimezone(plan.zone).date(), slot)
        if ledger.get(key) is None:
            problems.append(f"{key} did not run (due {missed.isoformat()})")
    return problems


def _paused_sends(runtime: Runtime) -> list[str]:
    """Sends the complaint brake stopped: they wait for an editor."""
    return [
        f"the send of {edition_id} ({slot}) is PAUSED: {reason}; continue with "
        f"`syndication digest resume {edition_id}`"
        for edition_id, slot, reason in paused_runs(runtime.engine)
    ]


def gather(runtime: Runtime, jobs: Jobs, plan: Plan) -> Health:
    now = runtime.clock.now()
    runs = RunLog(runtime.engine)
    ledger = SendLedger(runtime.engine)
    last_collect = runs.last(COLLECT_JOB_ID)
    job_statuses = [
        JobStatus(
            COLLECT_JOB_ID,
            last_collect,
            max(now, last_collect.started_at + plan.collect_interval) if last_collect else None,
            f"every {plan.collect_interval.total_seconds():g}s",
        ),
        JobStatus(FEEDS_JOB_ID, runs.last(FEEDS_JOB_ID), None, "after a collect that changed something"),
    ]
    for job in plan.slot_jobs:
        job_statuses.append(
            JobStatus(job.id, runs.last(job.id), next_fire_time(job.site_trigger, now), job.describe(plan.zone))
        )
    names = [edition.name for edition in runtime.settings.digest.editions]
    editions = tuple(_edition_status(jobs, name, ledger) for name in names)
    problems = _collect_problems(plan, runs, runtime.settings.scheduler.collect_overdue_factor, now)
    problems += _send_problems(plan, runs, ledger, now)
    problems += _paused_sends(runtime)
    return Health(now=now, jobs=tuple(job_statuses), editions=editions, problems=tuple(problems))
