"""Queuing outgoing webhooks: the :class:`~syndication.runtime.Notifier` the composition plugs in.

``notify`` only inserts rows (one per endpoint that wants the event type), in the caller's
transaction when it hands one in: a send, a sign-up or a bounce never waits for a receiver.
:mod:`syndication.webhooks.delivery` posts the rows later (scheduler job, ``webhooks deliver``).

Payloads follow the Standard Webhooks shape ``{"type", "timestamp", "data"}``. Subscriber
events carry the subscriber id and address; an erasure takes the address out of every
payload of that subscriber, sent or not, and its own event carries the id alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from syndication.clock import Clock
from syndication.config import WEBHOOK_EVENTS, WebhookConfig
from syndication.webhooks.tables import webhook_deliveries

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"
ERASED = "subscriber.erased"


def message_id(event_type: str, key: str | None) -> str:
    """The webhook-id: derived from ``key`` (the same fact is one message), else random."""
    if key is None:
        return f"msg_{uuid.uuid4().hex}"
    return "msg_" + hashlib.sha256(f"{event_type}\x00{key}".encode()).hexdigest()[:32]


def _insert(connection: Connection) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(webhook_deliveries)
    return sqlite.insert(webhook_deliveries)


class WebhookOutbox:
    """Queues each event for every ``[[webhooks]]`` endpoint that wants it."""

    def __init__(self, engine: Engine, endpoints: Sequence[WebhookConfig], clock: Clock) -> None:
        self.engine = engine
        self.endpoints = tuple(endpoints)
        self.clock = clock

    def notify(
        self, event_type: str, data: Mapping[str, Any], *, key: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        if event_type not in WEBHOOK_EVENTS:
            raise ValueError(f"unknown webhook event type {event_type!r}")
        if connection is None:
            with self.engine.begin() as own:
                self._queue(own, event_type, data, key)
        else:
            self._queue(connection, event_type, data, key)

    def _queue(self, connection: Connection, event_type: str, data: Mapping[str, Any], key: str | None) -> None:
        raw_id = data.get("subscriber_id")
        subscriber_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        if event_type == ERASED and subscriber_id is not None:
            self.forget_address(connection, subscriber_id)
            data = {"subscriber_id": subscriber_id}
        wanted = [endpoint for endpoint in self.endpoints if endpoint.wants(event_type)]
        if not wanted:
            return
        now = self.clock.now()
        msg_id = message_id(event_type, key)
        payload = json.dumps(
            {"type": event_type, "timestamp": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
             "data": dict(data)},
            ensure_ascii=False, separators=(",", ":"), sort_keys=True,
        )
        for endpoint in wanted:
            connection.execute(
                _insert(connection).values(
                    endpoint=endpoint.name, message_id=msg_id, event_type=event_type, subscriber_id=subscriber_id,
                    payload=payload, status=PENDING, attempts=0, created_at=now, next_attempt_at=now,
                ).on_conflict_do_nothing(index_elements=["endpoint", "message_id"])
            )

    def forget_address(self, connection: Connection, subscriber_id: int) -> int:
        """Take the address out of every queued or sent payload of ``subscriber_id``; how many changed."""
        changed = 0
        rows = connection.execute(
            select(webhook_deliveries.c.id, webhook_deliveries.c.payload).where(
                webhook_deliveries.c.subscriber_id == subscriber_id
            )
        ).all()
        for row in rows:
            payload = json.loads(row.payload)
            if "email" in payload.get("data", {}):
                payload["data"].pop("email")
                connection.execute(
                    update(webhook_deliveries).where(webhook_deliveries.c.id == row.id).values(
                        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
                    )
                )
                changed += 1
        return changed
