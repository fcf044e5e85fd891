"""Outgoing webhooks: signed per Standard Webhooks, retried with backoff, each attempt logged."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, select
from standardwebhooks.webhooks import Webhook

from syndication.clock import FixedClock, SystemClock
from syndication.config import WebhookConfig
from syndication.webhooks.delivery import WebhookDeliverer, generate_secret
from syndication.webhooks.outbox import WebhookOutbox
from syndication.webhooks.tables import webhook_attempts, webhook_deliveries

from .receiver import black_hole, receiver

SECRET = generate_secret()
ENV = {"SYNDICATION_WEBHOOK_CRM_SECRET": SECRET}


def _endpoint(url: str, **overrides: object) -> WebhookConfig:
    return WebhookConfig.model_validate({"name": "crm", "url": url, "backoff_base_seconds": 60, **overrides})


def _rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(webhook_deliveries)).mappings()]


def _attempts(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        query = select(webhook_attempts).order_by(webhook_attempts.c.id)
        return [dict(row) for row in connection.execute(query).mappings()]


def test_signed_webhook_verifies_with_the_standard_webhooks_reference(engine: Engine) -> None:
    """The receiver's `standardwebhooks.Webhook(secret).verify` accepts the POST and yields the event."""
    clock = SystemClock()
    with receiver() as hook:
        endpoint = _endpoint(hook.url)
        WebhookOutbox(engine, [endpoint], clock).notify(
            "subscriber.confirmed", {"subscriber_id": 7, "email": "anna@example.org"}
        )
        report = WebhookDeliverer(engine, [endpoint], ENV, clock).deliver_due()
    request = hook.requests[0]
    verified = Webhook(SECRET).verify(request.body, request.headers)
    assert (1, "subscriber.confirmed", {"subscriber_id": 7, "email": "anna@example.org"}) == (
        report.delivered, verified["type"], verified["data"])
    assert request.headers["webhook-id"].startswith("msg_")
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(generate_secret()).verify(request.body, request.headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(SECRET).verify(request.body.replace(b"anna", b"anne"), request.headers)


def test_failures_are_retried_with_backoff_and_each_attempt_is_logged(any_engine: Engine) -> None:
    """500, 500, then 200: three attempts with one webhook-id, waits growing exponentially, all in the table."""
    clock = FixedClock()
    with receiver([500, 500]) as hook:
        endpoint = _endpoint(hook.url)
        WebhookOutbox(any_engine, [endpoint], clock).notify("edition.sent", {"edition_id": "daily-2026-11-24"}, key="a")
        deliverer = WebhookDeliverer(any_engine, [endpoint], ENV, clock, rng=random.Random(4))
        outcomes = [deliverer.deliver_due()]
        first_wait = _rows(any_engine)[0]["next_attempt_at"] - clock.now()  # type: ignore[operator]
        outcomes.append(deliverer.deliver_due())  # not due yet: nothing happens
        clock.advance(first_wait)
        outcomes.append(deliverer.deliver_due())
        second_wait = _rows(any_engine)[0]["next_attempt_at"] - clock.now()  # type: ignore[operator]
        clock.advance(second_wait)
        outcomes.append(deliverer.deliver_due())
    assert [(0, 1), (0, 0), (0, 1), (1, 0)] == [(o.delivered, o.retried) for o in outcomes]
    assert timedelta(seconds=30) <= first_wait <= timedelta(seconds=60)
    assert timedelta(seconds=60) <= second_wait <= timedelta(seconds=120)
    assert [500, 500, 200] == [attempt["status_code"] for attempt in _attempts(any_engine)]
    assert 1 == len({request.headers["webhook-id"] for request in hook.requests})
    row = _rows(any_engine)[0]
    assert ("delivered", 3, None) == (row["status"], row["attempts"], row["last_error"])


def test_gives_up_after_max_attempts(engine: Engine) -> None:
    """An endpoint that keeps failing gets max_attempts tries; then the message is marked failed, with the error."""
    clock = FixedClock()
    with receiver([503] * 5) as hook:
        endpoint = _endpoint(hook.url, max_attempts=2)
        WebhookOutbox(engine, [endpoint], clock).notify("edition.built", {"edition_id": "x"}, key="x")
        deliverer = WebhookDeliverer(engine, [endpoint], ENV, clock)
        deliverer.deliver_due()
        clock.advance(timedelta(hours=1))
        report = deliverer.deliver_due()
        clock.advance(timedelta(hours=1))
        later = deliverer.deliver_due()
    row = _rows(engine)[0]
    assert (1, "failed", 2, 2) == (report.failed, row["status"], row["attempts"], len(hook.requests))
    assert "HTTP 503" in str(row["last_error"])
    assert (0, 0) == (later.failed, later.retried)


def test_missing_secret_is_an_attempt_error_naming_the_variable(engine: Engine) -> None:
    """Without SYNDICATION_WEBHOOK_CRM_SECRET nothing is posted; the attempt says which variable to set."""
    clock = FixedClock()
    with receiver() as hook:
        endpoint = _endpoint(hook.url)
        WebhookOutbox(engine, [endpoint], clock).notify("edition.built", {"edition_id": "x"}, key="x")
        report = WebhookDeliverer(engine, [endpoint], {}, clock).deliver_due()
    assert (1, 0) == (report.retried, len(hook.requests))
    assert "SYNDICATION_WEBHOOK_CRM_SECRET is not set" in str(_attempts(engine)[0]["error"])


def test_a_dead_endpoint_costs_one_timeout_per_run_not_one_per_message(engine: Engine) -> None:
    """A receiver that never answers is tried once per run; its other messages wait, the live endpoint gets its own."""
    clock = FixedClock()
    with black_hole() as dead_url, receiver() as live:
        dead = WebhookConfig(name="dead", url=dead_url, timeout=0.5)
        alive = WebhookConfig(name="crm", url=live.url)
        outbox = WebhookOutbox(engine, [dead, alive], clock)
        for number in range(5):
            outbox.notify("edition.built", {"edition_id": f"e{number}"}, key=str(number))
        secrets = {**ENV, "SYNDICATION_WEBHOOK_DEAD_SECRET": generate_secret()}
        report = WebhookDeliverer(engine, [dead, alive], secrets, clock).deliver_due()
    assert (5, 1, 4) == (report.delivered, report.retried, report.postponed)
    assert 5 == len(live.requests)
    assert "Timeout" in str(_attempts(engine)[0]["error"])


def test_the_same_fact_is_queued_once_and_filters_apply(any_engine: Engine) -> None:
    """A keyed event notified twice is one message; an endpoint gets only the event types it asked for."""
    clock = FixedClock()
    editions_only = WebhookConfig(name="editions", url="http://127.0.0.1:9/", events=("edition.sent",))
    everything = WebhookConfig(name="crm", url="http://127.0.0.1:9/")
    outbox = WebhookOutbox(any_engine, [editions_only, everything], clock)
    outbox.notify("edition.sent", {"edition_id": "daily-2026-11-24", "slot": "06:00"}, key="daily:06:00")
    outbox.notify("edition.sent", {"edition_id": "daily-2026-11-24", "slot": "06:00"}, key="daily:06:00")
    outbox.notify("subscriber.unsubscribed", {"subscriber_id": 3, "email": "x@example.org"})
    queued = sorted((row["endpoint"], row["event_type"]) for row in _rows(any_engine))
    assert [("crm", "edition.sent"), ("crm", "subscriber.unsubscribed"), ("editions", "edition.sent")] == queued
    with pytest.raises(ValueError, match="unknown webhook event type"):
        outbox.notify("subscriber.teleported", {})


def test_erasure_takes_the_address_out_of_every_payload(engine: Engine) -> None:
    """After subscriber.erased no queued or sent payload names the address; the erased event carries the id only."""
    clock = FixedClock()
    outbox = WebhookOutbox(engine, [WebhookConfig(name="crm", url="http://127.0.0.1:9/")], clock)
    outbox.notify("subscriber.confirmed", {"subscriber_id": 5, "email": "gone@example.org"})
    outbox.notify("subscriber.unsubscribed", {"subscriber_id": 5, "email": "gone@example.org"})
    outbox.notify("subscriber.confirmed", {"subscriber_id": 6, "email": "stays@example.org"})
    outbox.notify("subscriber.erased", {"subscriber_id": 5, "email": "gone@example.org"})
    payloads = [str(row["payload"]) for row in _rows(engine)]
    assert not any("gone@example.org" in payload for payload in payloads)
    assert any("stays@example.org" in payload for payload in payloads)
    erased = [json.loads(p) for p in payloads if '"subscriber.erased"' in p]
    assert [{"subscriber_id": 5}] == [event["data"] for event in erased]


def test_redirects_are_not_followed(engine: Engine) -> None:
    """A 3xx answer is a failure to retry, not a hop to another URL with the signed payload."""
    clock = FixedClock()
    with receiver([302]) as hook:
        endpoint = _endpoint(hook.url)
        WebhookOutbox(engine, [endpoint], clock).notify("edition.built", {"edition_id": "x"}, key="x")
        report = WebhookDeliverer(engine, [endpoint], ENV, clock, client=httpx.Client()).deliver_due()
    assert (1, 1) == (report.retried, len(hook.requests))
