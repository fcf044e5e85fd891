"""[workers] queue on PostgreSQL: the scheduler defers the partner-push job; a worker records the new version,
queues it for the partner's endpoint and posts it; the job run again posts nothing again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from syndication.app.partners import endpoints, partner_store, version_log
from syndication.clock import SystemClock
from syndication.config import Secrets, Settings, SourceConfig, WorkersConfig
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore

from .helpers import TEST_SECRET

ARTICLE = """---
id: stadtrat-haushalt
title: Stadtrat beschließt Haushalt
published: 2026-11-24T05:30:00+01:00
categories: [Politik]
---
Der Stadtrat hat den Haushalt für 2027 beschlossen.
"""


@pytest.fixture
def endpoint() -> Iterator[tuple[list[bytes], str]]:
    """A partner's endpoint on loopback that keeps every body it is sent and answers 200."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/ninjs"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def queued(settings: Settings, postgres_url: str, tmp_path: Path) -> Iterator[Runtime]:
    folder = tmp_path / "artikel"
    folder.mkdir()
    (folder / "stadtrat.md").write_text(ARTICLE, encoding="utf-8")
    configured = settings.model_copy(update={
        "store": settings.store.model_copy(update={"url": postgres_url}),
        "sources": (SourceConfig(name="redaktion", type="folder", path=folder),),
        "partners": settings.partners.model_copy(update={"push_allow_loopback_http": True}),
        "workers": WorkersConfig(queue=True, lease_seconds=3),
    })
    runtime = Runtime(settings=configured, secrets=Secrets(secret_key=TEST_SECRET), clock=SystemClock())
    yield runtime
    runtime.close()


@pytest.mark.postgres
def test_the_scheduler_defers_partner_pushes_and_a_worker_posts_each_version_once(
    queued: Runtime, endpoint: tuple[list[bytes], str]
) -> None:
    """Collect records a version; the scheduler's job only defers; a worker posts it; the job again posts nothing."""
    from syndication.scheduler.bound import real_jobs
    from syndication.scheduler.queue import PUSH_TASK, Deferrer, queue_app, run_worker

    received, url = endpoint
    now = queued.clock.now()
    partner_store(queued).add("Rheinpfalz Online", now)
    endpoints(queued).register("Rheinpfalz Online", url, now, allow_loopback_http=True)
    run_collect(queued.settings, ArticleStore(queued.engine), queued.clock, listener=version_log(queued))
    job = real_jobs(queued, Deferrer(queued)).deliver_partner_pushes
    assert job is not None
    job()
    posted_by_scheduler = len(received)
    run_worker(queued, ["partners"], burst=True)
    posted_by_worker = len(received)
    queue_app(queued).tasks[PUSH_TASK]()
    assert (0, 1, 1) == (posted_by_scheduler, posted_by_worker, len(received))
    assert b'"pubStatus":"usable"' in received[0]
