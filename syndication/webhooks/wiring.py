"""The outgoing webhooks of a runtime: the outbox it notifies and the deliverer that posts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy.engine import Connection

from syndication.runtime import Runtime
from syndication.webhooks.delivery import DeliveryReport, WebhookDeliverer
from syndication.webhooks.outbox import WebhookOutbox


def plug_in(runtime: Runtime) -> Runtime:
    """Give ``runtime`` the webhook outbox as its notifier (always: an erasure must scrub old payloads)."""
    runtime.notifier = LazyOutbox(runtime)
    return runtime


class LazyOutbox:
    """The outbox, opened on first use: commands that never notify do not open the database for it."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._outbox: WebhookOutbox | None = None

    def notify(
        self, event_type: str, data: Mapping[str, Any], *, key: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        if self._outbox is None:
            runtime = self._runtime
            self._outbox = WebhookOutbox(runtime.engine, runtime.settings.webhooks, runtime.clock)
        self._outbox.notify(event_type, data, key=key, connection=connection)


def deliver_webhooks(runtime: Runtime, client: httpx.Client | None = None) -> DeliveryReport:
    """Post what is due (the scheduler job and ``syndication webhooks deliver``)."""
    deliverer = WebhookDeliverer(
        runtime.engine, runtime.settings.webhooks, runtime.secrets.webhook_secrets, runtime.clock, client=client
    )
    return deliverer.deliver_due()
