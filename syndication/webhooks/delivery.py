"""Posting queued webhooks: signed (Standard Webhooks), each attempt logged, retried with backoff.

Every POST carries ``webhook-id`` (the same for each attempt: receivers deduplicate by it),
``webhook-timestamp`` and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
``id.timestamp.body`` with the endpoint's ``whsec_`` secret). A 2xx answer delivers; anything
else (or no answer) is retried after ``backoff_base_seconds`` doubled per attempt, capped at
``backoff_max_seconds``, with jitter (half to all of it), until ``max_attempts``.

An endpoint that fails is not tried again in the same run: its other messages wait for the
next, so a dead receiver costs one time-out per run, not one per message.
"""

from __future__ import annotations

import base64
import logging
import random
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, insert, select, update

from syndication.clock import Clock
from syndication.config import WebhookConfig
from syndication.redact import redacted_reason as redact
from syndication.signed_delivery import SecretInvalid, post_signed
from syndication.signed_delivery import backoff as retry_wait
from syndication.webhooks.outbox import DELIVERED, FAILED, PENDING, SENDING
from syndication.webhooks.tables import webhook_attempts, webhook_deliveries

log = logging.getLogger(__name__)

# A row claimed this long ago by a process that did not finish it (it died) is taken again.
CLAIM_LEASE = timedelta(minutes=10)
USER_AGENT = "syndication-webhooks/1"


def generate_secret() -> str:
    """A new ``whsec_`` secret: 32 random bytes, base64 (the Standard Webhooks form)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def backoff(endpoint: WebhookConfig, attempts: int, rng: random.Random) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: exponential, capped, with jitter."""
    return retry_wait(attempts, endpoint.backoff_base_seconds, endpoint.backoff_max_seconds, rng)


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    # Left for the next run because their endpoint already failed in this one.
    postponed: int = 0

    def summary(self) -> str:
        return (f"{self.delivered} delivered, {self.retried} to retry, {self.failed} given up, "
                f"{self.postponed} postponed")


class WebhookDeliverer:
    def __init__(
        self,
        engine: Engine,
        endpoints: Sequence[WebhookConfig],
        secrets_by_env: Mapping[str, str],
        clock: Clock,
        *,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.endpoints = {endpoint.name: endpoint for endpoint in endpoints}
        self.secrets = secrets_by_env
        self.clock = clock
        self.client = client
        self.rng = rng or random.Random()

    def _due(self, now: datetime, limit: int) -> list[int]:
        table = webhook_deliveries
        with self.engine.begin() as connection:
            connection.execute(
                update(table).where(table.c.status == SENDING, table.c.claimed_at < now - CLAIM_LEASE)
                .values(status=PENDING)
            )
            rows = connection.execute(
                select(table.c.id).where(table.c.status == PENDING, table.c.next_attempt_at <= now)
                .order_by(table.c.next_attempt_at, table.c.id).limit(limit)
            ).all()
        return [row.id for row in rows]

    def _claim(self, delivery_id: int, now: datetime) -> Mapping[str, object] | None:
        table = webhook_deliveries
        with self.engine.begin() as connection:
            claimed = connection.execute(
                update(table).where(table.c.id == delivery_id, table.c.status == PENDING)
                .values(status=SENDING, claimed_at=now)
            ).rowcount
            if claimed != 1:
                return None
            return connection.execute(select(table).where(table.c.id == delivery_id)).mappings().one()

    def deliver_due(self, limit: int = 500) -> DeliveryReport:
        """Post every message due now (at most ``limit``); record each attempt."""
        counts = {"delivered": 0, "retried": 0, "failed": 0, "postponed": 0}
        failed_endpoints: set[str] = set()
        own_client = self.client is None
        client = self.client or httpx.Client(follow_redirects=False)
        try:
            for delivery_id in self._due(self.clock.now(), limit):
                row = self._claim(delivery_id, self.clock.now())
                if row is None:
                    continue
                name = str(row["endpoint"])
                if name in failed_endpoints:
                    self._release(delivery_id)
                    counts["postponed"] += 1
                    continue
                outcome = self._attempt(client, row)
                counts[outcome] += 1
                if outcome != "delivered":
                    failed_endpoints.add(name)
        finally:
            if own_client:
                client.close()
        report = DeliveryReport(**counts)
        if any(counts.values()):
            log.info("webhooks: %s", report.summary())
        return report

    def _release(self, delivery_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                .values(status=PENDING, claimed_at=None)
            )

    def _post(
        self, client: httpx.Client, endpoint: WebhookConfig, row: Mapping[str, object]
    ) -> tuple[int | None, str | None]:
        secret = self.secrets.get(endpoint.secret_env)
        if not secret:
            return None, (f"{endpoint.secret_env} is not set: make one with "
                          f"`syndication webhooks secret {endpoint.name}`")
        try:
            return post_signed(
                client, endpoint.url, secret=secret, message_id=str(row["message_id"]), body=str(row["payload"]),
                signed_at=self.clock.now().astimezone(UTC), timeout=endpoint.timeout, user_agent=USER_AGENT,
            )
        except SecretInvalid:
            return None, f"{endpoint.secret_env} is not a webhook secret (whsec_ followed by base64)"

    def _attempt(self, client: httpx.Client, row: Mapping[str, object]) -> str:
        delivery_id = int(row["id"])  # type: ignore[call-overload]
        endpoint = self.endpoints.get(str(row["endpoint"]))
        began = time.monotonic()
        if endpoint is None:
            status_code, error = None, f"endpoint {row['endpoint']!r} is no longer configured in [[webhooks]]"
        else:
            status_code, error = self._post(client, endpoint, row)
        duration_ms = int((time.monotonic() - began) * 1000)
        now = self.clock.now()
        attempts = int(row["attempts"]) + 1  # type: ignore[call-overload]
        error = redact(error)
        if error is None:
            outcome, values = "delivered", {"status": DELIVERED, "finished_at": now, "last_error": None}
        elif endpoint is None or attempts >= endpoint.max_attempts:
            outcome, values = "failed", {"status": FAILED, "finished_at": now, "last_error": error}
        else:
            outcome = "retried"
            values = {"status": PENDING, "next_attempt_at": now + backoff(endpoint, attempts, self.rng),
                      "last_error": error}
        with self.engine.begin() as connection:
            connection.execute(
                insert(webhook_attempts).values(delivery_id=delivery_id, attempted_at=now, status_code=status_code,
                                                error=error, duration_ms=duration_ms)
            )
            connection.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                .values(attempts=attempts, claimed_at=None, **values)
            )
        if error is not None:
            log.warning("webhook %s to %s (attempt %d): %s", row["event_type"], row["endpoint"], attempts, error)
        return outcome
