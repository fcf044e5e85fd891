"""[workers] queue on PostgreSQL: the scheduler defers the webhook job instead of posting; a worker posts what is
due; the job run twice at once (two workers) posts each message once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from syndication.clock import SystemClock
from syndication.config import Secrets, Settings, WebhookConfig, WorkersConfig
from syndication.runtime import Runtime
from syndication.webhooks.delivery import generate_secret
from syndication.webhooks.outbox import DELIVERED, WebhookOutbox
from syndication.webhooks.tables import webhook_deliveries

from .receiver import Receiver, receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


@pytest.fixture
def queued(settings: Settings, postgres_url: str, hook: Receiver) -> Iterator[Runtime]:
    """A runtime on PostgreSQL with the queue on and one webhook endpoint (the loopback receiver)."""
    store = settings.store.model_copy(update={"url": postgres_url})
    configured = settings.model_copy(update={
        "store": store, "workers": WorkersConfig(queue=True, lease_seconds=3),
        "webhooks": (WebhookConfig(name="crm", url=hook.url),),
    })
    runtime = Runtime(settings=configured, clock=SystemClock(),
                      secrets=Secrets(webhook_secrets={"SYNDICATION_WEBHOOK_CRM_SECRET": generate_secret()}))
    yield runtime
    runtime.close()


def _notify(runtime: Runtime, count: int) -> None:
    outbox = WebhookOutbox(runtime.engine, runtime.settings.webhooks, runtime.clock)
    for number in range(count):
        outbox.notify("edition.built", {"edition_id": f"daily-{number}"}, key=f"daily-{number}")


def _statuses(runtime: Runtime) -> Counter[str]:
    with runtime.engine.connect() as connection:
        return Counter(row.status for row in connection.execute(select(webhook_deliveries.c.status)))


@pytest.mark.postgres
def test_the_scheduler_defers_the_webhook_job_and_a_worker_posts(queued: Runtime, hook: Receiver) -> None:
    """The scheduler's webhook job only defers (once while one waits); a burst worker posts the three due."""
    from syndication.scheduler.bound import real_jobs
    from syndication.scheduler.queue import Deferrer, run_worker

    _notify(queued, 3)
    job = real_jobs(queued, Deferrer(queued)).deliver_webhooks
    assert job is not None
    job()
    job()
    posted_by_scheduler = len(hook.requests)
    with queued.engine.connect() as connection:
        waiting = connection.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")).scalar()
    run_worker(queued, ["webhooks"], burst=True)
    assert (0, 1) == (posted_by_scheduler, waiting)
    assert 3 == len(hook.requests)
    assert Counter({DELIVERED: 3}) == _statuses(queued)


@pytest.mark.postgres
def test_the_webhook_job_run_by_two_workers_at_once_posts_each_message_once(
    queued: Runtime, hook: Receiver
) -> None:
    """Two runs of the job at once, then a third: twenty messages, twenty POSTs, twenty distinct webhook-ids."""
    from syndication.scheduler.queue import WEBHOOK_TASK, queue_app

    _notify(queued, 20)
    task = queue_app(queued).tasks[WEBHOOK_TASK]
    runs = [threading.Thread(target=task) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    task()
    ids = Counter(request.headers["webhook-id"] for request in hook.requests)
    assert 20 == len(ids)
    assert {1} == set(ids.values())
    assert Counter({DELIVERED: 20}) == _statuses(queued)
