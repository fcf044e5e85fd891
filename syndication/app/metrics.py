"""Prometheus metrics at ``GET /metrics`` (prometheus-client's text format).

Several processes, one truth: everything about the work — sends and failures, queue depths, lag,
event ingestion, feed builds — is **read from the store at scrape time** by :class:`StoreCollector`,
so whichever ``serve`` process the scrape reaches answers for every worker and scheduler on every
machine, and no count is lost when a process dies. Only HTTP latencies are measured in the process
that served the request (a histogram): scrape each ``serve`` process as its own target. A server
that runs several worker processes sharing one port sets ``PROMETHEUS_MULTIPROC_DIR`` (a folder
writable by all of them, emptied at start): prometheus-client's multiprocess mode then adds up the
latencies of all of them, and the store's counts are added once.

Every query is cheap on a large store: recipients are counted only for the runs of the last
48 hours (through the batch index), events by their never-reused id, job runs by their index.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine, column, func, select, table, text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndication.clock import Clock
from syndication.delivery.tables import delivery_batches, delivery_recipients, delivery_runs
from syndication.events.tables import send_events
from syndication.partners.tables import partner_pushes
from syndication.store.types import UtcDateTime
from syndication.webhooks.tables import webhook_deliveries

METRICS_PATH = "/metrics"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
RECENT_RUNS = timedelta(hours=48)
_OPEN_ITEMS = ("pending", "sending")
# The scheduler's job_runs, named rather than imported: the scheduler is an entry point, above this layer.
job_runs = table("job_runs", column("job_id"), column("outcome"), column("finished_at", UtcDateTime))
# The worker queue's queues (syndication.scheduler.queue.QUEUES, named here: the scheduler is above this layer).
WORKER_QUEUES = ("send", "partners", "webhooks")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _age(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then is not None else 0.0


class StoreCollector(Collector):
    """Counts from the store, read at every scrape (the same answer from every process)."""

    def __init__(self, engine: Callable[[], Engine], clock: Clock) -> None:
        self._engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock.now()
        with self._engine().connect() as connection:
            recent = (
                select(delivery_recipients.c.status, func.count())
                .select_from(delivery_recipients.join(delivery_batches,
                                                      delivery_recipients.c.batch_id == delivery_batches.c.id)
                             .join(delivery_runs, delivery_batches.c.run_id == delivery_runs.c.id))
                .where(delivery_runs.c.created_at >= now - RECENT_RUNS)
                .group_by(delivery_recipients.c.status)
            )
            recipients = GaugeMetricFamily(
                "syndication_delivery_recipients",
                "Recipients of the edition runs of the last 48 hours by status (sent, failed, bounced, "
                "deferred, in_doubt, skipped, pending).", labels=["status"])
            for status, count in connection.execute(recent):
                recipients.add_metric([status], count)
            yield recipients
            batches = CounterMetricFamily(
                "syndication_delivery_batches", "Send batches ever planned, by their current status.",
                labels=["status"])
            for status, count in connection.execute(
                select(delivery_batches.c.status, func.count()).group_by(delivery_batches.c.status)
            ):
                batches.add_metric([status], count)
            yield batches
            yield from self._queues(connection, now)
            events = CounterMetricFamily("syndication_send_events", "Provider events (SendGrid, SMTP) ingested.")
            events.add_metric([], connection.execute(select(func.coalesce(func.max(send_events.c.id), 0))).scalar_one())
            yield events
            yield from self._jobs(connection, now)
            yield from self._worker_jobs(connection)

    def _queues(self, connection: object, now: datetime) -> Iterator[Metric]:
        depth = GaugeMetricFamily("syndication_queue_depth", "Work waiting or in progress, per queue.",
                                  labels=["queue"])
        lag = GaugeMetricFamily("syndication_queue_lag_seconds",
                                "Age of the oldest waiting item per queue (0: nothing waits).", labels=["queue"])
        open_runs = delivery_runs.c.status.in_(("ready", "planning"))
        queues = {
            "delivery_batches": select(func.count(), func.min(delivery_runs.c.created_at))
            .select_from(delivery_batches.join(delivery_runs, delivery_batches.c.run_id == delivery_runs.c.id))
            .where(open_runs, delivery_batches.c.status.in_(_OPEN_ITEMS)),
            "webhooks": select(func.count(), func.min(webhook_deliveries.c.created_at))
            .where(webhook_deliveries.c.status.in_(_OPEN_ITEMS)),
            "partner_pushes": select(func.count(), func.min(partner_pushes.c.created_at))
            .where(partner_pushes.c.status.in_(_OPEN_ITEMS)),
        }
        for name, query in queues.items():
            count, oldest = connection.execute(query).one()  # type: ignore[attr-defined]
            depth.add_metric([name], count)
            lag.add_metric([name], _age(now, oldest))
        yield depth
        yield lag

    def _jobs(self, connection: object, now: datetime) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "syndication_job_runs", "Scheduler job runs kept (30 days) by job and outcome; job=feeds are the "
            "feed builds, job=collect the collects.", labels=["job", "outcome"])
        last_ok = GaugeMetricFamily(
            "syndication_job_last_success_age_seconds", "Seconds since each job last finished well (collect lag).",
            labels=["job"])
        for job_id, outcome, count in connection.execute(  # type: ignore[attr-defined]
            select(job_runs.c.job_id, job_runs.c.outcome, func.count()).group_by(job_runs.c.job_id, job_runs.c.outcome)
        ):
            runs.add_metric([job_id, outcome], count)
        for job_id, finished in connection.execute(  # type: ignore[attr-defined]
            select(job_runs.c.job_id, func.max(job_runs.c.finished_at))
            .where(job_runs.c.outcome == "ok").group_by(job_runs.c.job_id)
        ):
            last_ok.add_metric([job_id], _age(now, finished))
        yield runs
        yield last_ok


    def _worker_jobs(self, connection: Connection) -> Iterator[Metric]:
        """procrastinate's waiting and running jobs per queue (only where the job queue's tables exist).

        The lag is taken by the database's clock: procrastinate stamps its jobs with it, and a
        machine's clock may differ from it.
        """
        if connection.dialect.name != "postgresql":
            return
        if connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar_one() is None:
            return
        jobs = GaugeMetricFamily("syndication_worker_jobs",
                                 "Jobs of the worker queue (procrastinate) waiting (todo) or running (doing), "
                                 "per queue.", labels=["queue", "status"])
        lag = GaugeMetricFamily("syndication_worker_job_lag_seconds",
                                "Age of the oldest job that is due and waits for a worker, per queue "
                                "(0: none waits).", labels=["queue"])
        # A job is due at its schedule, else from when it was deferred (kept as one of its events).
        rows = connection.execute(text(
            "SELECT j.queue_name, j.status::text, count(*), "
            "  extract(epoch FROM now() - min(coalesce(j.scheduled_at, e.at)) "
            "    FILTER (WHERE j.status = 'todo' AND coalesce(j.scheduled_at, e.at) <= now())) "
            "FROM procrastinate_jobs j LEFT JOIN procrastinate_events e "
            "  ON e.job_id = j.id AND e.type = 'deferred' "
            "WHERE j.status IN ('todo', 'doing') GROUP BY j.queue_name, j.status"
        ))
        waited: dict[str, float] = {}
        for queue, status, count, seconds in rows:
            jobs.add_metric([queue, status], count)
            if seconds is not None:
                waited[queue] = max(float(seconds), waited.get(queue, 0.0))
        for queue in sorted({*WORKER_QUEUES, *waited}):
            lag.add_metric([queue], waited.get(queue, 0.0))
        yield jobs
        yield lag


class HttpMetrics:
    """ASGI middleware: the latency of every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            # The route's template, never the path itself: no ids, tokens or addresses become labels.
            template = getattr(route, "path", None) or "unmatched"
            self.histogram.labels(scope["method"], template, str(status)).observe(time.perf_counter() - began)


class Metrics:
    """One process's metrics: its HTTP histogram and the store collector, and the /metrics route."""

    def __init__(self, engine: Callable[[], Engine], clock: Clock, token: str | None = None) -> None:
        # SYNDICATION_METRICS_TOKEN: see scrape_refusal.
        self.token = token
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        # In multiprocess mode the histogram writes to the shared folder (the default registry); otherwise
        # it lives in this app's own registry, so that two apps in one process (tests) do not mix.
        own = CollectorRegistry(auto_describe=True)
        self.http = Histogram(
            "syndication_http_request_duration_seconds", "HTTP request latency by method, route and status.",
            ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=None if self.multiprocess else own,
        )
        self.registry = CollectorRegistry() if self.multiprocess else own
        if self.multiprocess:
            MultiProcessCollector(self.registry)
        self.registry.register(StoreCollector(engine, clock))

    def middleware(self, app: ASGIApp) -> HttpMetrics:
        return HttpMetrics(app, self.http)

    def routes(self) -> list[BaseRoute]:
        def serve(request: Request) -> Response:
            refusal = scrape_refusal(request, self.token)
            if refusal is not None:
                return refusal
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST,
                            headers={"Cache-Control": "no-store"})

        return [Route(METRICS_PATH, serve, methods=["GET"])]


def _from_this_machine(request: Request) -> bool:
    # A request a proxy passed on (it says whom for) came from elsewhere, whatever the proxy's own address.
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scrape_refusal(request: Request, token: str | None) -> Response | None:
    """Why ``request`` may not read the metrics (a response to send), or None when it may.

    Queue depths, send counts and failures are nobody else's business. With ``token``
    (``SYNDICATION_METRICS_TOKEN``) a scrape must present it as a bearer token; without one, only
    this machine may scrape, directly (not through a proxy).
    """
    if token is None:
        if _from_this_machine(request):
            return None
        return PlainTextResponse(
            "Forbidden: /metrics answers this machine only. Set SYNDICATION_METRICS_TOKEN and give Prometheus "
            "that bearer token to scrape from elsewhere.\n",
            status_code=403,
        )
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return None
    return PlainTextResponse(
        "Unauthorized: /metrics needs the bearer token set in SYNDICATION_METRICS_TOKEN.\n",
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )
