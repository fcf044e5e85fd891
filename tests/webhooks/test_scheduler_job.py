"""The scheduler posts webhooks: `run --once` delivers what is due; quiet runs leave no job_runs row."""

from __future__ import annotations

from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings, WebhookConfig
from syndication.runtime import Runtime
from syndication.scheduler.bound import real_jobs
from syndication.scheduler.jobs import WorkOutcome
from syndication.scheduler.ledger import Outcome, RunLog
from syndication.scheduler.plan import build_plan
from syndication.scheduler.runner import WEBHOOKS_JOB_ID
from syndication.scheduler.service import SchedulerService
from syndication.webhooks.delivery import generate_secret
from syndication.webhooks.outbox import WebhookOutbox

from .receiver import receiver


def _runtime(settings: Settings, engine: Engine, url: str, secret: str) -> Runtime:
    hooks = (WebhookConfig(name="crm", url=url),)
    runtime = Runtime(settings=settings.model_copy(update={"webhooks": hooks}),
                      secrets=Secrets(webhook_secrets={"SYNDICATION_WEBHOOK_CRM_SECRET": secret}),
                      clock=FixedClock())
    runtime.__dict__["engine"] = engine
    return runtime


def test_webhooks_job_posts_what_is_due_and_records_only_work(settings: Settings, engine: Engine) -> None:
    """A run with nothing due leaves no row; a run that delivers records its counts; a failing job is recorded."""
    with receiver() as hook:
        runtime = _runtime(settings, engine, hook.url, generate_secret())
        service = SchedulerService(runtime, real_jobs(runtime), build_plan(runtime.settings))
        job = real_jobs(runtime).deliver_webhooks
        assert job is not None
        quiet = service.run_periodic(WEBHOOKS_JOB_ID, job)
        nothing_recorded = RunLog(engine).last(WEBHOOKS_JOB_ID)
        WebhookOutbox(engine, runtime.settings.webhooks, runtime.clock).notify("edition.built", {"edition_id": "x"})
        busy = service.run_periodic(WEBHOOKS_JOB_ID, job)
        recorded = RunLog(engine).last(WEBHOOKS_JOB_ID)

        def broken() -> WorkOutcome:
            raise RuntimeError("database gone")

        failed = service.run_periodic(WEBHOOKS_JOB_ID, broken)
    assert (Outcome.OK, None) == (quiet.outcome, nothing_recorded)
    assert (Outcome.OK, 1, 1) == (busy.outcome, busy.counts["delivered"], len(hook.requests))
    assert recorded is not None and Outcome.OK == recorded.outcome
    assert (Outcome.FAILED, Outcome.FAILED) == (failed.outcome, RunLog(engine).last(WEBHOOKS_JOB_ID).outcome)  # type: ignore[union-attr]

