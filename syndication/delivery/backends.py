"""Choosing the delivery backend from ``[delivery] backend``."""

from __future__ import annotations

import httpx

from syndication.clock import Clock, SystemClock
from syndication.config import DeliveryConfig, Secrets, Settings
from syndication.delivery.outbox import OutboxMessenger
from syndication.delivery.sendgrid import SendGridMessenger
from syndication.delivery.smtp import SmtpMessenger
from syndication.errors import ConfigError
from syndication.mail.base import Messenger, Sender


def configured_sender(delivery: DeliveryConfig) -> Sender:
    """From and Reply-To as configured in ``[delivery]``."""
    return Sender(email=delivery.from_email, name=delivery.from_name, reply_to=delivery.reply_to)


def build_messenger(
    settings: Settings,
    secrets: Secrets,
    *,
    http_client: httpx.Client | None = None,
    clock: Clock | None = None,
) -> Messenger:
    """The Messenger for ``[delivery] backend`` (outbox, smtp or sendgrid).

    ``http_client`` lets callers (tests, benchmarks) pass their own httpx client to the
    SendGrid backend; ``clock`` dates the messages the local backends write.
    """
    delivery = settings.delivery
    sender = configured_sender(delivery)
    clock = clock or SystemClock()
    if delivery.backend == "outbox":
        return OutboxMessenger(settings.outbox_dir, sender, clock)
    if delivery.backend == "smtp":
        return SmtpMessenger(delivery.smtp, sender, clock, secrets=secrets, dkim=delivery.dkim)
    if delivery.backend == "sendgrid":
        if not secrets.sendgrid_api_key:
            raise ConfigError(
                "SENDGRID_API_KEY is not set: [delivery] backend = 'sendgrid' needs the API key in the environment"
            )
        return SendGridMessenger(
            delivery.sendgrid, secrets.sendgrid_api_key, sender, http_client=http_client
        )
    raise ConfigError(
        "delivery.backend: unknown backend %(backend)r; expected outbox, smtp or sendgrid", backend=delivery.backend
    )
