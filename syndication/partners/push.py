"""Posting queued versions to partners' endpoints: signed (Standard Webhooks), in order per article, retried.

Each POST carries ``webhook-id`` (the same for every attempt of one version: receivers deduplicate
by it), ``webhook-timestamp`` and ``webhook-signature``, signed with the partner's own secret by the
``standardwebhooks`` library. The body is ``{"type": "item.version", "timestamp", "data": {"item":
<ninjs>, "cursor": <cursor after this version>}}``: the same item the cursor endpoint serves.

A 2xx answer delivers. Anything else (or no answer) is retried after ``push_backoff_base_seconds``,
doubled per attempt up to ``push_backoff_max_seconds``, with jitter (half to all of it), until
``push_give_up_hours`` after the version was queued; then it is given up (failed). Versions of one
article go strictly in order: a version waits while an earlier one of the same article is not
finished. An endpoint that fails is not tried again in the same run. Every attempt is logged
(``partner_push_attempts`` and one log line without personal data).
"""

from __future__ import annotations

import heapq
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, insert, select, update

from syndication.clock import Clock
from syndication.config import PartnersConfig, SiteConfig
from syndication.partners.endpoints import DELIVERED, FAILED, PENDING, SENDING, Endpoint, Endpoints
from syndication.partners.model import Partner
from syndication.partners.ninjs import timestamp, to_ninjs
from syndication.partners.paging import encode_cursor
from syndication.partners.tables import partner_push_attempts, partner_pushes
from syndication.partners.versions import ItemVersion
from syndication.redact import redacted_reason as redact
from syndication.signed_delivery import backoff as retry_wait
from syndication.signed_delivery import post_signed

log = logging.getLogger(__name__)

EVENT_TYPE = "item.version"
USER_AGENT = "syndication-partners/1"
# A push claimed this long ago by a process that did not finish it (it died) is taken again.
CLAIM_LEASE = timedelta(minutes=10)
# Open pushes looked at per run.
SCAN_LIMIT = 5000


def backoff(config: PartnersConfig, attempts: int, rng: random.Random) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: exponential, capped, with jitter."""
    return retry_wait(attempts, config.push_backoff_base_seconds, config.push_backoff_max_seconds, rng)


def payload(version: ItemVersion, partner: Partner, config: PartnersConfig, site: SiteConfig, now: datetime) -> str:
    """The JSON body of one version's push."""
    item = to_ninjs(version.article, partner.terms(config, site), version)
    body = {"type": EVENT_TYPE, "timestamp": timestamp(now),
            "data": {"item": item, "cursor": encode_cursor(version.position)}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class PushReport:
    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    # Left for the next run because their endpoint already failed in this one.
    postponed: int = 0

    def summary(self) -> str:
        return (f"{self.queued} queued, {self.delivered} delivered, {self.retried} to retry, "
                f"{self.failed} given up, {self.postponed} postponed")


class PushDeliverer:
    """Queues new versions for every endpoint and posts what is due."""

    def __init__(
        self,
        engine: Engine,
        endpoints: Endpoints,
        config: PartnersConfig,
        site: SiteConfig,
        clock: Clock,
        *,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        before_queue: Callable[[], object] | None = None,
    ) -> None:
        self.engine = engine
        self.endpoints = endpoints
        self.config = config
        self.site = site
        self.clock = clock
        self.client = client
        self.rng = rng or random.Random()
        # Runs first (the composition records new versions: a kill seen by another process goes out now).
        self.before_queue = before_queue

    def run(self) -> PushReport:
        """Record, queue and post: one run of the scheduler's job and of ``partners deliver``."""
        if self.before_queue is not None:
            self.before_queue()
        queued = self.endpoints.queue(self.clock.now())
        report = self.deliver_due()
        report = PushReport(queued, report.delivered, report.retried, report.failed, report.postponed)
        if any((report.queued, report.delivered, report.retried, report.failed)):
            log.info("partner pushes: %s", report.summary())
        return report

    def _open(self, now: datetime) -> list[Mapping[str, Any]]:
        table = partner_pushes
        with self.engine.begin() as connection:
            connection.execute(
                update(table).where(table.c.status == SENDING, table.c.claimed_at < now - CLAIM_LEASE)
                .values(status=PENDING, claimed_at=None)
            )
            return list(
                connection.execute(
                    select(table).where(table.c.status.in_([PENDING, SENDING])).order_by(table.c.id).limit(SCAN_LIMIT)
                ).mappings()
            )

    def deliver_due(self) -> PushReport:
        """Post every push that is due and first in line for its article; record each attempt."""
        counts = {"delivered": 0, "retried": 0, "failed": 0, "postponed": 0}
        lines: dict[tuple[int, str], list[Mapping[str, Any]]] = {}
        for row in self._open(self.clock.now()):
            lines.setdefault((row["endpoint_id"], row["article_id"]), []).append(row)
        # The first push of every (endpoint, article) line, oldest first; the next joins when one is done.
        heads = [(line[0]["id"], key) for key, line in lines.items()]
        heapq.heapify(heads)
        endpoints = {endpoint.id: (endpoint, partner) for endpoint, partner in self.endpoints.all()}
        failed_endpoints: set[int] = set()
        own_client = self.client is None
        client = self.client or httpx.Client(follow_redirects=False)
        try:
            while heads:
                _, key = heapq.heappop(heads)
                row = lines[key].pop(0)
                if row["status"] != PENDING or row["next_attempt_at"] > self.clock.now():
                    continue
                if key[0] in failed_endpoints:
                    counts["postponed"] += 1
                    continue
                if not self._claim(int(row["id"])):
                    continue
                outcome = self._attempt(client, row, endpoints.get(key[0]))
                counts[outcome] += 1
                if outcome != "delivered":
                    failed_endpoints.add(key[0])
                if outcome != "retried" and lines[key]:
                    heapq.heappush(heads, (lines[key][0]["id"], key))
        finally:
            if own_client:
                client.close()
        return PushReport(0, **counts)

    def _claim(self, push_id: int) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(
                update(partner_pushes).where(partner_pushes.c.id == push_id, partner_pushes.c.status == PENDING)
                .values(status=SENDING, claimed_at=self.clock.now())
            ).rowcount == 1

    def _post(
        self, client: httpx.Client, endpoint: Endpoint, partner: Partner, row: Mapping[str, Any]
    ) -> tuple[int | None, str | None]:
        version = next(self.endpoints.versions.get([int(row["version_id"])]), None)
        if version is None:
            return None, "the version is no longer in the log"
        signed_at = self.clock.now().astimezone(UTC)
        return post_signed(
            client, endpoint.url, secret=self.endpoints.secret_of(endpoint), message_id=str(row["message_id"]),
            body=payload(version, partner, self.config, self.site, signed_at), signed_at=signed_at,
            timeout=self.config.push_timeout_seconds, user_agent=USER_AGENT,
        )

    def _attempt(
        self, client: httpx.Client, row: Mapping[str, Any], found: tuple[Endpoint, Partner] | None
    ) -> str:
        began = time.monotonic()
        if found is None:
            status_code = None
            error = "the partner's pushes are stopped, or it has no push endpoint any more, or it is revoked"
        else:
            status_code, error = self._post(client, found[0], found[1], row)
        duration_ms = int((time.monotonic() - began) * 1000)
        now = self.clock.now()
        attempts = int(row["attempts"]) + 1
        error = redact(error)
        give_up_at = row["created_at"] + timedelta(hours=self.config.push_give_up_hours)
        next_attempt = now + backoff(self.config, attempts, self.rng)
        if error is None:
            outcome, values = "delivered", {"status": DELIVERED, "finished_at": now, "last_error": None}
        elif found is None or next_attempt > give_up_at:
            outcome, values = "failed", {"status": FAILED, "finished_at": now, "last_error": error}
        else:
            outcome = "retried"
            values = {"status": PENDING, "next_attempt_at": next_attempt, "last_error": error}
        with self.engine.begin() as connection:
            connection.execute(
                insert(partner_push_attempts).values(push_id=row["id"], attempted_at=now, status_code=status_code,
                                                     error=error, duration_ms=duration_ms)
            )
            connection.execute(
                update(partner_pushes).where(partner_pushes.c.id == row["id"])
                .values(attempts=attempts, claimed_at=None, **values)
            )
        # The partner's name is an organisation, not personal data.
        name = found[1].name if found else f"#{row['partner_id']}"
        log.info("partner push: partner=%s message=%s attempt=%d status=%s outcome=%s", name, row["message_id"],
                 attempts, status_code if status_code is not None else "-", outcome)
        return outcome
