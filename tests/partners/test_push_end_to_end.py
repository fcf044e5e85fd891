"""End to end: an article collected, corrected and withdrawn at its folder source reaches a partner's real HTTP
receiver as three signed versions, in order, once each, through two 500s; the cursor shows the same three."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import standardwebhooks.webhooks
from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.testclient import TestClient

from syndication.app.partners import endpoints, partner_routes, partner_store, push_deliverer, version_log
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings, SourceConfig
from syndication.partners.push import PushReport
from syndication.partners.tables import partner_push_attempts, partner_pushes
from syndication.partners.usage import usage_by_day
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
from syndication.scheduler.bound import real_jobs
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore

from .helpers import TEST_SECRET, schema_errors

ARTICLE = """---
id: stadtrat-haushalt
title: Stadtrat beschließt Haushalt
published: 2026-11-24T05:30:00+01:00
categories: [Politik]
image:
  url: https://www.pfalz-rundschau.example/bilder/rathaus.jpg
  alt: Das Rathaus
  width: 1200
  height: 800
  length: 183000
  ai_generated: true
{extra}---
Der Stadtrat hat den Haushalt für 2027 mit {votes} Stimmen beschlossen.
"""


@dataclass
class Receiver:
    """A partner's endpoint on loopback: answers from ``script`` (then 200), keeps what it received."""

    script: list[int]
    received: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        status = self.script.pop(0) if self.script else 200
        self.received.append((headers, body, status))
        return status


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    scripted = Receiver(script=[500, 500])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            status = scripted.answer({key.lower(): value for key, value in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted, f"http://127.0.0.1:{server.server_address[1]}/ninjs"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "artikel"
    path.mkdir()
    return path


@pytest.fixture
def push_runtime(settings: Settings, clock: FixedClock, folder: Path) -> Iterator[Runtime]:
    source = SourceConfig(name="redaktion", type="folder", path=folder)
    partners = settings.partners.model_copy(update={"push_allow_loopback_http": True})
    configured = settings.model_copy(update={"sources": (source,), "partners": partners})
    runtime = Runtime(settings=configured, secrets=Secrets(secret_key=TEST_SECRET), clock=clock)
    yield runtime
    runtime.close()


@pytest.fixture
def verified_at(monkeypatch: pytest.MonkeyPatch, clock: FixedClock) -> None:
    """The reference code checks the signature's timestamp against "now": the test's clock, not the wall's."""

    class ClockTime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> ClockTime:  # type: ignore[override]
            return clock.now().astimezone(tz)  # type: ignore[return-value]

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", ClockTime)


def collect(runtime: Runtime) -> None:
    report = run_collect(runtime.settings, ArticleStore(runtime.engine), runtime.clock, listener=version_log(runtime))
    assert [] == report.errors


def deliver(runtime: Runtime, client: httpx.Client) -> PushReport:
    return push_deliverer(runtime, client, random.Random(17)).run()


def test_collected_corrected_withdrawn_article_reaches_the_receiver_in_order_once_each(
    push_runtime: Runtime, clock: FixedClock, folder: Path, receiver: tuple[Receiver, str],
    ninjs_validator: Draft202012Validator, verified_at: None,
) -> None:
    """Three versions (usable, corrected with a note, canceled) are POSTed signed in order, each delivered once
    although the receiver fails twice; the cursor serves the same three; every item is valid ninjs 3.1."""
    scripted, url = receiver
    runtime = push_runtime
    partner_store(runtime).add("Rheinpfalz Online", clock.now())
    secret = endpoints(runtime).register("Rheinpfalz Online", url, clock.now(), allow_loopback_http=True).secret
    article = folder / "stadtrat.md"
    client = httpx.Client()
    try:
        article.write_text(ARTICLE.format(extra="", votes=31), encoding="utf-8")
        collect(runtime)
        assert (1, 0, 1) == _counts(deliver(runtime, client))  # queued, delivered, retried: the first 500
        clock.advance(timedelta(minutes=30))
        article.write_text(ARTICLE.format(extra="note: Korrigiert - 32 statt 31 Stimmen.\n", votes=32),
                           encoding="utf-8")
        collect(runtime)
        clock.advance(timedelta(minutes=30))
        assert (1, 0, 1) == _counts(deliver(runtime, client))  # the second 500; version 2 waits behind 1
        article.unlink()
        collect(runtime)
        clock.advance(timedelta(hours=2))
        assert (1, 3, 0) == _counts(deliver(runtime, client))
        assert (0, 0, 0) == _counts(deliver(runtime, client))
    finally:
        client.close()

    statuses = [status for _, _, status in scripted.received]
    assert [500, 500, 200, 200, 200] == statuses
    delivered = [(headers, body) for headers, body, status in scripted.received if status == 200]
    payloads = [Webhook(secret).verify(body, headers) for headers, body in delivered]
    items = [payload["data"]["item"] for payload in payloads]
    assert [("1", "usable", None), ("2", "usable", "Korrigiert - 32 statt 31 Stimmen."), ("3", "canceled", None)] == [
        (item["version"], item["pubStatus"], item.get("edNote")) for item in items
    ]
    ids = [headers["webhook-id"] for headers, _ in delivered]
    assert len(set(ids)) == 3
    # Every attempt of version 1 carried the same webhook-id, so a receiver could deduplicate.
    assert {ids[0]} == {headers["webhook-id"] for headers, _, status in scripted.received if status == 500}
    assert [[] for _ in items] == [schema_errors(ninjs_validator, item) for item in items]

    polled = _poll_all(runtime)
    assert [(item["uri"], item["version"], item["pubStatus"]) for item in items] == [
        (item["uri"], item["version"], item["pubStatus"]) for item in polled
    ]
    assert [payload["data"]["cursor"] for payload in payloads][-1] == polled[-1]["_cursor"]
    with runtime.engine.connect() as connection:
        assert 5 == len(connection.execute(partner_push_attempts.select()).all())


def test_replay_sends_every_version_again_with_new_message_ids(
    push_runtime: Runtime, clock: FixedClock, folder: Path, receiver: tuple[Receiver, str], verified_at: None,
) -> None:
    """A replay from the beginning posts the same versions again, in order, under new webhook-ids."""
    scripted, url = receiver
    scripted.script.clear()
    runtime = push_runtime
    partner_store(runtime).add("Aggregator", clock.now())
    endpoints(runtime).register("Aggregator", url, clock.now(), allow_loopback_http=True)
    (folder / "a.md").write_text(ARTICLE.format(extra="", votes=31), encoding="utf-8")
    collect(runtime)
    with httpx.Client() as client:
        deliver(runtime, client)
        endpoints(runtime).replay("Aggregator", 0)
        deliver(runtime, client)
    first, again = (json.loads(body) for _, body, _ in scripted.received)
    assert first["data"]["item"] == again["data"]["item"]
    assert scripted.received[0][0]["webhook-id"] != scripted.received[1][0]["webhook-id"]


def test_a_stopped_endpoint_gets_nothing_more_until_registered_again(
    push_runtime: Runtime, clock: FixedClock, folder: Path, receiver: tuple[Receiver, str], verified_at: None,
) -> None:
    """After push-stop, the version waiting for a retry and newer ones are not posted (the partner may still poll);
    registering again sends only versions recorded after it, with a new secret; the usage keeps its history."""
    scripted, url = receiver
    scripted.script[:] = [500]
    runtime = push_runtime
    partner = partner_store(runtime).add("Wochenblatt", clock.now()).partner
    points = endpoints(runtime)
    points.register("Wochenblatt", url, clock.now(), allow_loopback_http=True)
    (folder / "a.md").write_text(ARTICLE.format(extra="", votes=31), encoding="utf-8")
    with httpx.Client() as client:
        collect(runtime)
        assert (1, 0, 1) == _counts(deliver(runtime, client))  # a 500: the push waits for its retry
        stopped = points.stop("Wochenblatt", clock.now())
        (folder / "b.md").write_text(ARTICLE.format(extra="", votes=40).replace("stadtrat-haushalt", "b"),
                                     encoding="utf-8")
        collect(runtime)
        clock.advance(timedelta(hours=1))
        assert (0, 0, 0) == _counts(deliver(runtime, client))
        with runtime.engine.connect() as connection:
            statuses = [row.status for row in connection.execute(partner_pushes.select())]
        assert (clock.now() - timedelta(hours=1), ["stopped"]) == (stopped.stopped_at, statuses)
        secret = points.register("Wochenblatt", url, clock.now(), allow_loopback_http=True).secret
        assert (0, 0, 0) == _counts(deliver(runtime, client))  # what came while stopped is not sent
        (folder / "a.md").write_text(ARTICLE.format(extra="", votes=33), encoding="utf-8")
        collect(runtime)
        assert (1, 1, 0) == _counts(deliver(runtime, client))
    assert [500, 200] == [status for _, _, status in scripted.received]
    headers, body, _ = scripted.received[-1]
    assert "Der Stadtrat hat den Haushalt für 2027 mit 33 Stimmen beschlossen." in json.dumps(
        Webhook(secret).verify(body, headers), ensure_ascii=False)
    assert [(0, 1)] == [(day.pushes_failed, day.pushes_delivered) for day in usage_by_day(
        runtime.engine, partner.id, clock.now() - timedelta(days=1), runtime.settings.site.zone)]


def _counts(report: PushReport) -> tuple[int, int, int]:
    return report.queued, report.delivered, report.retried


def _poll_all(runtime: Runtime) -> list[dict[str, Any]]:
    """Every item the cursor endpoint serves the partner, each with the cursor after its page."""
    key = partner_store(runtime).rotate(partner_store(runtime).all()[0].name, runtime.clock.now()).key
    app = Starlette(routes=partner_routes(runtime, RateLimits.from_config(runtime.settings.cache, runtime.clock)))
    items: list[dict[str, Any]] = []
    with TestClient(app, base_url="http://127.0.0.1") as http:
        since = ""
        while True:
            page = http.get("/partners/v1/items", params={"since": since, "limit": "1"},
                            headers={"Authorization": f"Bearer {key}"}).json()
            items += [{**item, "_cursor": page["next"]} for item in page["items"]]
            since = page["next"]
            if not page["has_more"]:
                return items


def test_scheduler_job_records_what_collect_stored_and_pushes_it(
    push_runtime: Runtime, clock: FixedClock, folder: Path, receiver: tuple[Receiver, str], verified_at: None,
) -> None:
    """The scheduler's partner job records versions stored without a listener and posts them."""
    scripted, url = receiver
    scripted.script.clear()
    runtime = push_runtime
    partner_store(runtime).add("Planer", clock.now())
    endpoints(runtime).register("Planer", url, clock.now(), allow_loopback_http=True)
    (folder / "a.md").write_text(ARTICLE.format(extra="", votes=31), encoding="utf-8")
    run_collect(runtime.settings, ArticleStore(runtime.engine), runtime.clock)
    job = real_jobs(runtime).deliver_partner_pushes
    assert job is not None
    outcome = job()
    assert ({"queued": 1, "delivered": 1}, [200]) == (
        {name: outcome.counts[name] for name in ("queued", "delivered")}, [status for _, _, status in scripted.received]
    )
