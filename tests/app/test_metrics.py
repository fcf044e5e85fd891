"""GET /metrics: the store's counts read at scrape time (the same from any process), this process's latencies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import deliver
from syndication.delivery.testing import RecordingMessenger
from syndication.runtime import Runtime
from syndication.scheduler.ledger import Outcome, RunLog
from syndication.web import create_app
from tests.delivery.fakes import FakeMailer, FakeSubscribers, make_options

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[Runtime]:
    created = Runtime(settings=settings, secrets=Secrets(secret_key=SECRET), clock=clock)
    yield created
    created.close()


def scrape(runtime: Runtime, *paths: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Request ``paths``, then /metrics of a fresh app on ``runtime``: {(sample name, labels): value}."""
    # Scraped from this machine (loopback, no proxy): allowed without a token.
    with TestClient(create_app(runtime), client=("127.0.0.1", 50000)) as client:
        for path in paths:
            client.get(path)
        answer = client.get("/metrics")
    assert (200, "text/plain") == (answer.status_code, answer.headers["content-type"].split(";")[0])
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _stopped() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def test_sends_are_counted_from_the_store_by_any_process(runtime: Runtime, engine: Engine, clock: FixedClock) -> None:
    """A send made elsewhere (another process's ledger) shows in this app's /metrics: 25 sent, 3 batches sent."""
    source = FakeSubscribers.generated(25)
    deliver(Ledger(engine), FakeMailer(), source, RecordingMessenger(), make_options(clock=clock))
    metrics = scrape(runtime)
    assert 25 == metrics[("syndication_delivery_recipients", (("status", "sent"),))]
    assert 3 == metrics[("syndication_delivery_batches_total", (("status", "sent"),))]
    assert 0 == metrics[("syndication_queue_depth", (("queue", "delivery_batches"),))]


def test_queue_depth_and_lag_of_a_planned_run(runtime: Runtime, engine: Engine, clock: FixedClock) -> None:
    """A planned, unsent run: its three batches wait, the oldest for as long as the clock moved on."""
    options = make_options(clock=FixedClock(clock.now()), stop=_stopped())
    deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(25), RecordingMessenger(), options)
    clock.advance(timedelta(seconds=90))
    metrics = scrape(runtime)
    assert (3, 90) == (metrics[("syndication_queue_depth", (("queue", "delivery_batches"),))],
                       metrics[("syndication_queue_lag_seconds", (("queue", "delivery_batches"),))])
    assert 25 == metrics[("syndication_delivery_recipients", (("status", "pending"),))]


def test_feed_builds_and_their_age_come_from_the_job_runs(runtime: Runtime, engine: Engine, clock: FixedClock) -> None:
    """One feed build that went well a minute ago: counted by outcome, its age in seconds."""
    runs = RunLog(engine)
    run_id = runs.start("feeds", clock.now())
    runs.finish(run_id, Outcome.OK, clock.now(), 0.5, {"feeds": 3}, None)
    clock.advance(timedelta(minutes=1))
    metrics = scrape(runtime)
    assert 1 == metrics[("syndication_job_runs", (("job", "feeds"), ("outcome", "ok")))]
    assert 60 == metrics[("syndication_job_last_success_age_seconds", (("job", "feeds"),))]


def test_http_latency_is_observed_by_route_template(runtime: Runtime) -> None:
    """Two requests to /openapi.json are two observations labelled with the route, method and status."""
    metrics = scrape(runtime, "/openapi.json", "/openapi.json")
    labels = (("method", "GET"), ("route", "/openapi.json"), ("status", "200"))
    assert 2 == metrics[("syndication_http_request_duration_seconds_count", labels)]


def test_no_path_becomes_a_label(runtime: Runtime) -> None:
    """A request for an unknown path is labelled by its route (the public/ mount), never by the path asked for."""
    metrics = scrape(runtime, "/nothing/anna@example.org")
    routes = {dict(labels).get("route") for name, labels in metrics if name.startswith("syndication_http")}
    assert not any("anna" in (route or "") for route in routes)


def test_worker_queue_jobs_and_their_lag_are_read_from_procrastinate(
    settings: Settings, postgres_url: str, clock: FixedClock
) -> None:
    """On PostgreSQL the worker queue's jobs show per queue and status; the lag is the oldest due job's wait,
    by the database's clock; a job scheduled for later is counted but adds no lag."""
    from syndication.scheduler.queue import PUSH_TASK, SEND_TASK, ensure_schema, queue_app

    on_postgres = settings.model_copy(update={"store": settings.store.model_copy(update={"url": postgres_url})})
    runtime = Runtime(settings=on_postgres, secrets=Secrets(secret_key=SECRET), clock=clock)
    try:
        app = queue_app(runtime)
        ensure_schema(runtime.engine, app)
        with runtime.engine.connect() as connection:
            database_now = connection.execute(text("SELECT now()")).scalar_one()
        with app.open():
            app.tasks[SEND_TASK].configure(schedule_at=database_now - timedelta(hours=1)).defer(
                edition_id="e-1", slot="06:00")
            app.tasks[SEND_TASK].configure(schedule_at=database_now + timedelta(hours=1)).defer(
                edition_id="e-2", slot="07:00")
            app.tasks[PUSH_TASK].defer()
        metrics = scrape(runtime)
    finally:
        runtime.close()
    assert 2 == metrics[("syndication_worker_jobs", (("queue", "send"), ("status", "todo")))]
    assert 1 == metrics[("syndication_worker_jobs", (("queue", "partners"), ("status", "todo")))]
    assert 3600 <= metrics[("syndication_worker_job_lag_seconds", (("queue", "send"),))] < 3600 + 120
    assert 0 == metrics[("syndication_worker_job_lag_seconds", (("queue", "webhooks"),))]


def test_no_worker_queue_metrics_without_the_job_queue(runtime: Runtime) -> None:
    """On SQLite (no job queue) /metrics has no worker queue families."""
    metrics = scrape(runtime)
    assert [] == [name for name, _labels in metrics if name.startswith("syndication_worker_job")]


@pytest.mark.parametrize(
    ("token", "client_host", "headers", "expected"),
    [
        (None, "127.0.0.1", {}, 200),
        (None, "::1", {}, 200),
        (None, "127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, 403),
        (None, "127.0.0.1", {"Forwarded": "for=203.0.113.9"}, 403),
        (None, "203.0.113.9", {}, 403),
        (None, "testclient", {}, 403),
        ("scrape-token-0123456789", "203.0.113.9", {}, 401),
        ("scrape-token-0123456789", "127.0.0.1", {}, 401),
        ("scrape-token-0123456789", "203.0.113.9", {"Authorization": "Bearer wrong-token"}, 401),
        ("scrape-token-0123456789", "203.0.113.9", {"Authorization": "Basic scrape-token-0123456789"}, 401),
        ("scrape-token-0123456789", "203.0.113.9", {"Authorization": "Bearer scrape-token-0123456789"}, 200),
        ("scrape-token-0123456789", "203.0.113.9", {"Authorization": "bearer  scrape-token-0123456789"}, 200),
    ],
)
def test_only_this_machine_or_the_token_holder_may_scrape(
    settings: Settings, clock: FixedClock, engine: Engine, token: str | None, client_host: str,
    headers: dict[str, str], expected: int,
) -> None:
    """Without SYNDICATION_METRICS_TOKEN, a scrape from loopback (not through a proxy) is answered and any
    other is refused (403); with it, every scrape needs the bearer token (else 401 and a Bearer challenge)."""
    runtime = Runtime(settings=settings, secrets=Secrets(secret_key=SECRET, metrics_token=token), clock=clock)
    try:
        with TestClient(create_app(runtime), client=(client_host, 50000)) as client:
            answer = client.get("/metrics", headers=headers)
    finally:
        runtime.close()
    challenge = 'Bearer realm="metrics"' if expected == 401 else None
    counted = "syndication_delivery_recipients" in answer.text
    assert (expected, challenge, expected == 200) == (
        answer.status_code, answer.headers.get("www-authenticate"), counted
    )


def test_the_token_comes_from_the_environment_only() -> None:
    """SYNDICATION_METRICS_TOKEN is read from the environment (an empty value sets none) and never printed."""
    secrets = Secrets.from_env({"SYNDICATION_METRICS_TOKEN": "scrape-token-0123456789"})
    assert ("scrape-token-0123456789", None, False) == (
        secrets.metrics_token,
        Secrets.from_env({"SYNDICATION_METRICS_TOKEN": ""}).metrics_token,
        "scrape-token" in repr(secrets),
    )
