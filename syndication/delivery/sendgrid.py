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
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from syndication.config import SendgridConfig
from syndication.mail.base import (
    Batch,
    DeliveryFailed,
    Receipt,
    Recipient,
    Refusal,
    Sender,
    SendObserver,
    clean_batch_headers,
    clean_recipient,
    recipient_problem,
    refuse_one,
)
from syndication.redact import redact

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


_PERSONALIZATION_FIELD = re.compile(r"personalizations(?:\.(\d+))?(?:\.|$)")


def personalization_fields(response: httpx.Response) -> list[int | None] | None:
    """The personalizations a 400 names (an index each; None: "the personalizations" unnamed).

    None when an error is about anything else (from, content, …): that refuses every
    recipient alike and is not split.
    """
    try:
        data = response.json()
    except ValueError:
        return None
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list) or not errors:
        return None
    found: list[int | None] = []
    for error in errors:
        field = error.get("field") if isinstance(error, dict) else None
        match = _PERSONALIZATION_FIELD.match(field) if isinstance(field, str) else None
        if match is None:
            return None
        found.append(int(match.group(1)) if match.group(1) is not None else None)
    return found


def _address(email: str, name: str | None) -> dict[str, str]:
    return {"email": email, "name": name} if name else {"email": email}


class SendGridMessenger:
    """Sends batches through SendGrid's v3 Mail Send API."""

    name = "sendgrid"
    receipts_per_message = False

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
        # Custom args every recipient shares (the edition id) go once, at the top: SendGrid adds them to
        # each personalization's, and its events carry both.
        shared_args = dict(batch.recipients[0].custom_args)
        for recipient in batch.recipients[1:]:
            shared_args = {key: value for key, value in shared_args.items() if recipient.custom_args.get(key) == value}
        personalizations = []
        for recipient in batch.recipients:
            header_names.update(recipient.headers)
            personalization: dict[str, Any] = {"to": [_address(recipient.email, recipient.name)]}
            if recipient.substitutions:
                personalization["substitutions"] = dict(recipient.substitutions)
            if recipient.headers:
                personalization["headers"] = dict(recipient.headers)
            own_args = {key: str(value) for key, value in recipient.custom_args.items() if key not in shared_args}
            if own_args:
                personalization["custom_args"] = own_args
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
        if shared_args:
            payload["custom_args"] = {key: str(value) for key, value in shared_args.items()}
        if self.sender.reply_to:
            payload["reply_to"] = {"email": self.sender.reply_to}
        if batch.headers:
            payload["headers"] = dict(batch.headers)
        if batch.categories:
            payload["categories"] = list(dict.fromkeys(batch.categories))[:MAX_CATEGORIES]
        return payload

    def _post(self, batch: Batch, observer: SendObserver | None) -> httpx.Response:
        try:
            body = json.dumps(self.payload(batch), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            raise DeliveryFailed(f"batch {batch.key}: the message cannot be encoded (invalid Unicode)",
                                 retryable=False) from None

        def trace(event: str, _info: dict[str, Any]) -> None:
            # The body is about to be written: from here on SendGrid may get (and accept) it.
            if observer is not None and event.endswith("send_request_body.started"):
                observer.handed()

        try:
            return self.client.post(
                self.url,
                content=body,
                headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
                extensions={"trace": trace},
            )
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"SendGrid did not answer in time ({type(exc).__name__})", retryable=True) from exc
        except httpx.TransportError as exc:
            raise DeliveryFailed(f"SendGrid unreachable: {type(exc).__name__}: {exc}", retryable=True) from exc

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]:
        """One request for the batch; with an ``observer``, a refused personalization is split off.

        A recipient whose personalization cannot be made is reported before any request; a 400
        naming one personalization reports that recipient and sends the others again; a 400
        about the personalizations without naming one is bisected until the bad one is found.
        """
        batch = clean_batch_headers(batch)
        recipients = []
        for number, recipient in enumerate(batch.recipients):
            problem = recipient_problem(recipient)
            if problem is None:
                recipients.append(clean_recipient(recipient))
                continue
            refuse_one(observer, Refusal(recipient.email, problem, permanent=True),
                       f"batch {batch.key}: recipient {number + 1}")
        receipts: list[Receipt] = []
        parts = [tuple(recipients)] if recipients else []
        while parts:
            part = parts.pop(0)
            try:
                receipts.extend(self._send_part(replace(batch, recipients=part), observer, parts))
            except DeliveryFailed as failure:
                raise DeliveryFailed(
                    str(failure), retryable=failure.retryable, retry_after=failure.retry_after,
                    accepted=(*receipts, *failure.accepted),
                ) from failure
        return receipts

    def _send_part(
        self, batch: Batch, observer: SendObserver | None, queue: list[tuple[Recipient, ...]]
    ) -> list[Receipt]:
        """Send ``batch``; on a 400 about one personalization, report it and queue the rest."""
        response = self._post(batch, observer)
        status = response.status_code
        if 200 <= status < 300:
            provider_id = response.headers.get("x-message-id")
            receipts = [Receipt(recipient.email, provider_id) for recipient in batch.recipients]
            if observer is not None:
                for receipt in receipts:
                    observer.accepted(receipt)
            return receipts
        text = error_text(response)
        if status == 429 or status >= 500:
            raise DeliveryFailed(
                f"SendGrid answered {status}: {text}",
                retryable=True,
                retry_after=retry_after_seconds(response.headers, self._now()),
            )
        fields = personalization_fields(response) if status == 400 and observer is not None else None
        if fields is None:
            raise DeliveryFailed(f"SendGrid refused the batch ({status}): {text}", retryable=False)
        recipients = batch.recipients
        named = sorted(index for index in fields if index is not None and 0 <= index < len(recipients))
        if named:
            assert observer is not None
            for index in named:
                observer.refused(Refusal(recipients[index].email, redact(f"SendGrid refused: {text}"), permanent=True))
            rest = tuple(r for index, r in enumerate(recipients) if index not in set(named))
            if rest:
                queue.insert(0, rest)
        elif len(recipients) == 1:
            assert observer is not None
            observer.refused(Refusal(recipients[0].email, redact(f"SendGrid refused: {text}"), permanent=True))
        else:
            middle = len(recipients) // 2
            queue[:0] = [recipients[:middle], recipients[middle:]]
        return []

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
