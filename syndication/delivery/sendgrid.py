"""The SendGrid backend: one v3 ``/v3/mail/send`` request per batch.

A batch becomes one request: up to 1000 personalizations sharing one ``content`` list
(text/plain before text/html, as SendGrid requires), each with the recipient's
``substitutions`` for the personal parts, its own ``headers`` (List-Unsubscribe,
List-Unsubscribe-Post) and ``custom_args`` (edition and subscriber id, so that Event
Webhook events map back). SendGrid answers 202 with an ``X-Message-Id`` for the request;
that id (which SendGrid's events carry as the prefix of ``sg_message_id``) is recorded
for every recipient of the batch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from syndication.config import SendgridConfig
from syndication.delivery.base import Batch, DeliveryFailed, Receipt, Sender

MAX_PERSONALIZATIONS = 1000
MAX_CATEGORIES = 10
# Headers SendGrid does not let a request set (v3 Mail Send, "headers"); sending one is a 400.
RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "Content-Type",
        "Content-Transfer-Encoding",
        "To",
        "From",
        "Subject",
        "Reply-To",
        "CC",
        "BCC",
    )
)
_ERROR_TEXT_LIMIT = 500


def retry_after_seconds(headers: httpx.Headers, now: float) -> float | None:
    """The wait SendGrid asked for: ``Retry-After`` (seconds or HTTP date), else ``X-RateLimit-Reset`` (epoch)."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def error_text(response: httpx.Response) -> str:
    """SendGrid's own words for a refusal: the ``errors`` messages (with the field they name)."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:_ERROR_TEXT_LIMIT] or response.reason_phrase
    messages = []
    for error in data.get("errors", []) if isinstance(data, dict) else []:
        if isinstance(error, dict):
            message = str(error.get("message", ""))
            field = error.get("field")
            messages.append(f"{field}: {message}" if field else message)
    return ("; ".join(messages) or response.text)[:_ERROR_TEXT_LIMIT]


def _address(email: str, name: str | None) -> dict[str, str]:
    return {"email": email, "name": name} if name else {"email": email}


class SendGridMessenger:
    """Sends batches through SendGrid's v3 Mail Send API."""

    name = "sendgrid"

    def __init__(
        self,
        config: SendgridConfig,
        api_key: str,
        sender: Sender,
        *,
        http_client: httpx.Client | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.sender = sender
        self.url = config.api_url.rstrip("/") + "/v3/mail/send"
        self._api_key = api_key
        self._owns_client = http_client is None
        self.client = http_client or httpx.Client(timeout=config.timeout)
        self._now = now

    def payload(self, batch: Batch) -> dict[str, Any]:
        """The request body for ``batch`` (JSON-ready)."""
        if not batch.recipients:
            raise DeliveryFailed(f"batch {batch.key}: no recipients", retryable=False)
        if len(batch.recipients) > MAX_PERSONALIZATIONS:
            raise DeliveryFailed(
                f"batch {batch.key}: {len(batch.recipients)} recipients; SendGrid takes at most "
                f"{MAX_PERSONALIZATIONS} per request",
                retryable=False,
            )
        header_names = set(batch.headers)
        personalizations = []
        for recipient in batch.recipients:
            header_names.update(recipient.headers)
            personalization: dict[str, Any] = {"to": [_address(recipient.email, recipient.name)]}
            if recipient.substitutions:
                personalization["substitutions"] = dict(recipient.substitutions)
            if recipient.headers:
                personalization["headers"] = dict(recipient.headers)
            if recipient.custom_args:
                personalization["custom_args"] = {key: str(value) for key, value in recipient.custom_args.items()}
            personalizations.append(personalization)
        reserved = [name for name in header_names if name.lower() in RESERVED_HEADERS]
        if reserved:
            raise DeliveryFailed(
                f"batch {batch.key}: SendGrid does not allow setting the headers {sorted(reserved)}",
                retryable=False,
            )
        payload: dict[str, Any] = {
            "personalizations": personalizations,
            "from": _address(self.sender.email, self.sender.name),
            "subject": batch.body.subject,
            # SendGrid requires text/plain first when both are present.
            "content": [
                {"type": "text/plain", "value": batch.body.text},
                {"type": "text/html", "value": batch.body.html},
            ],
            "tracking_settings": {
                "click_tracking": {"enable": self.config.click_tracking, "enable_text": False},
                "open_tracking": {"enable": self.config.open_tracking},
                # Our own one-click unsubscribe links are in every message already.
                "subscription_tracking": {"enable": False},
            },
            "mail_settings": {"sandbox_mode": {"enable": self.config.sandbox_mode}},
        }
        if self.sender.reply_to:
            payload["reply_to"] = {"email": self.sender.reply_to}
        if batch.headers:
            payload["headers"] = dict(batch.headers)
        if batch.categories:
            payload["categories"] = list(dict.fromkeys(batch.categories))[:MAX_CATEGORIES]
        return payload

    def send(self, batch: Batch) -> Sequence[Receipt]:
        body = json.dumps(self.payload(batch), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            response = self.client.post(
                self.url,
                content=body,
                headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
            )
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"SendGrid did not answer in time ({type(exc).__name__})", retryable=True) from exc
        except httpx.TransportError as exc:
            raise DeliveryFailed(f"SendGrid unreachable: {type(exc).__name__}: {exc}", retryable=True) from exc
        status = response.status_code
        if 200 <= status < 300:
            provider_id = response.headers.get("x-message-id")
            return [Receipt(recipient.email, provider_id) for recipient in batch.recipients]
        text = error_text(response)
        if status == 429 or status >= 500:
            raise DeliveryFailed(
                f"SendGrid answered {status}: {text}",
                retryable=True,
                retry_after=retry_after_seconds(response.headers, self._now()),
            )
        raise DeliveryFailed(f"SendGrid refused the batch ({status}): {text}", retryable=False)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
