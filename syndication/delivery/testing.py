"""Test doubles for delivery, shipped as public API.

``FakeSendGrid`` is a real HTTP server on 127.0.0.1 that checks each ``/v3/mail/send``
request the way SendGrid does and records what it accepted per recipient; it can be told
to answer the next requests with 429, 500, 400 or not at all (a hang). It also answers the
account's read-only endpoints (scopes, Event Webhook settings, suppression lists: see
:mod:`syndication.delivery.testing_account`) for ``FakeSendGrid.account``. ``RecordingMessenger``
is an in-memory backend.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from syndication.delivery.sendgrid import MAX_CATEGORIES, MAX_PERSONALIZATIONS, RESERVED_HEADERS
from syndication.delivery.testing_account import FakeAccount
from syndication.mail.base import Batch, DeliveryFailed, Receipt, SendObserver, apply_substitutions
from syndication.testing import LoopbackServer

SUBSTITUTIONS_LIMIT = 10_000
# Roughly what SendGrid accepts as an address: local@domain.tld, no spaces or controls.
_VALID_ADDRESS = re.compile(r"[^\s@\x00-\x1f]+@[^\s@\x00-\x1f]+\.[^\s@\x00-\x1f]+")
CUSTOM_ARGS_LIMIT = 10_000


@dataclass(frozen=True)
class AcceptedMessage:
    """One message as SendGrid would deliver it (substitutions applied)."""

    email: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    custom_args: dict[str, str]
    categories: tuple[str, ...]
    message_id: str
    # Content types in request order.
    content_types: tuple[str, ...]


class RequestInvalid(Exception):
    """What SendGrid would answer with 400."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _check_headers(headers: Any, where: str) -> None:
    if not isinstance(headers, dict):
        raise RequestInvalid(where, "headers must be an object of strings")
    for name, value in headers.items():
        if not isinstance(value, str):
            raise RequestInvalid(f"{where}.{name}", "header values must be strings")
        if name.lower() in RESERVED_HEADERS:
            raise RequestInvalid(f"{where}.{name}", f"The header {name} is reserved and may not be set")


def _check_address(value: Any, where: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("email"), str) or "@" not in value["email"]:
        raise RequestInvalid(where, "Each email address must have an email such as {\"email\": \"a@b.example\"}")
    return str(value["email"])


def validate_mail_send(data: Any, invalid: frozenset[str] = frozenset(), *, name_index: bool = True) -> None:
    """Raise RequestInvalid where SendGrid's v3 Mail Send would refuse ``data``."""
    if not isinstance(data, dict):
        raise RequestInvalid(None, "The request body must be a JSON object")
    personalizations = data.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        raise RequestInvalid("personalizations", "You must have at least one personalization.")
    if len(personalizations) > MAX_PERSONALIZATIONS:
        raise RequestInvalid(
            "personalizations",
            f"The personalization block is limited to {MAX_PERSONALIZATIONS} personalizations per API request.",
        )
    _check_address(data.get("from"), "from")
    if "reply_to" in data:
        _check_address(data["reply_to"], "reply_to")
    content = data.get("content")
    if not isinstance(content, list) or not content:
        raise RequestInvalid("content", "Unless a valid template_id is provided, the content parameter is required.")
    types = []
    for index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise RequestInvalid(f"content.{index}.type", "Each content object needs a type")
        if not isinstance(part.get("value"), str) or not part["value"]:
            raise RequestInvalid(f"content.{index}.value", "The content value must be a string at least one character")
        types.append(part["type"])
    if "text/plain" in types and types[0] != "text/plain":
        raise RequestInvalid("content", "If present, text/plain must be first, followed by text/html, then others.")
    if "text/html" in types and "text/plain" in types and types.index("text/html") != 1:
        raise RequestInvalid("content", "If present, text/plain must be first, followed by text/html, then others.")
    if "headers" in data:
        _check_headers(data["headers"], "headers")
    categories = data.get("categories", [])
    if not isinstance(categories, list) or len(categories) > MAX_CATEGORIES:
        raise RequestInvalid("categories", f"You may not have more than {MAX_CATEGORIES} categories per request.")
    if any(not isinstance(c, str) or len(c) > 255 for c in categories):
        raise RequestInvalid("categories", "A category may not be longer than 255 characters.")
    if len(set(categories)) != len(categories):
        raise RequestInvalid("categories", "The categories must be unique.")
    seen: set[str] = set()
    total = 0
    for index, personalization in enumerate(personalizations):
        where = f"personalizations.{index}"
        if not isinstance(personalization, dict):
            raise RequestInvalid(where, "Each personalization must be an object")
        to = personalization.get("to")
        if not isinstance(to, list) or not to:
            raise RequestInvalid(f"{where}.to", "The to array is required for all personalization objects")
        for position, address in enumerate(to):
            email = _check_address(address, f"{where}.to.{position}").lower()
            if email in invalid or not _VALID_ADDRESS.fullmatch(email):
                raise RequestInvalid(
                    f"{where}.to.{position}.email" if name_index else "personalizations",
                    "Does not contain a valid address.",
                )
            if email in seen:
                raise RequestInvalid(
                    f"{where}.to.{position}",
                    "Each unique email address in the personalizations array should only be included once.",
                )
            seen.add(email)
        total += len(to) + len(personalization.get("cc", [])) + len(personalization.get("bcc", []))
        if "headers" in personalization:
            _check_headers(personalization["headers"], f"{where}.headers")
        substitutions = personalization.get("substitutions", {})
        if not isinstance(substitutions, dict) or any(not isinstance(v, str) for v in substitutions.values()):
            raise RequestInvalid(f"{where}.substitutions", "Substitutions must be an object of strings")
        if len(json.dumps(substitutions).encode()) > SUBSTITUTIONS_LIMIT:
            raise RequestInvalid(f"{where}.substitutions", "The substitutions may not exceed 10,000 bytes.")
        custom_args = personalization.get("custom_args", {})
        if not isinstance(custom_args, dict) or any(not isinstance(v, str) for v in custom_args.values()):
            raise RequestInvalid(f"{where}.custom_args", "Custom args must be an object of strings")
        if len(json.dumps(custom_args).encode()) > CUSTOM_ARGS_LIMIT:
            raise RequestInvalid(f"{where}.custom_args", "The custom arguments may not exceed 10,000 bytes.")
        if not (personalization.get("subject") or data.get("subject")):
            raise RequestInvalid("subject", "The subject is required.")
    if total > MAX_PERSONALIZATIONS:
        raise RequestInvalid("personalizations", "There is a limit of 1000 total recipients (to + cc + bcc).")


@dataclass
class _Failure:
    kind: str
    remaining: int


@dataclass
class FakeSendGrid(LoopbackServer):
    """A SendGrid v3 Mail Send look-alike on 127.0.0.1 (free port, own thread).

    Use as a context manager; ``url`` is the ``[delivery.sendgrid] api_url`` to configure.
    ``record_content=False`` keeps only per-recipient counts (for benchmarks).
    """

    api_key: str = "SG.test-key"
    record_content: bool = True
    reset_seconds: float = 2.0
    hang_seconds: float = 2.0
    accepted: list[AcceptedMessage] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    # Addresses answered with 400 "Does not contain a valid address." naming their personalization
    # (or, with name_index False, only "personalizations").
    invalid_addresses: set[str] = field(default_factory=set)
    name_index: bool = True
    # Requests being handled right now (a test waits for 0 before it looks at the result).
    active: int = 0
    # Gets the events SendGrid would post for each accepted request ("processed", with custom args),
    # before the request is answered (e.g. a WebhookPoster).
    event_sink: Callable[[list[dict[str, Any]]], None] | None = None
    # What the account's GET endpoints show (scopes, webhook settings, suppression lists).
    account: FakeAccount = field(default_factory=FakeAccount)
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    http_methods: ClassVar[tuple[str, ...]] = ("POST", "GET")
    thread_name: ClassVar[str] = "fake-sendgrid"

    # -- control -------------------------------------------------------------------------

    def fail_next(self, count: int, kind: str) -> None:
        """Answer the next ``count`` requests with ``kind``: "429", "500", "400" or "hang"."""
        if kind not in ("429", "500", "400", "hang"):
            raise ValueError(f"unknown failure {kind!r}")
        with self._lock:
            self._failures.append(_Failure(kind, count))

    def messages_for(self, email: str) -> list[AcceptedMessage]:
        return [message for message in self.accepted if message.email == email]

    # -- the server side -------------------------------------------------------------------

    def _next_failure(self) -> str | None:
        with self._lock:
            self.requests += 1
            while self._failures and self._failures[0].remaining <= 0:
                self._failures.pop(0)
            if not self._failures:
                return None
            self._failures[0].remaining -= 1
            return self._failures[0].kind

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: Any,
                headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        if data:
            handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.active += 1
        try:
            self._handle_request(handler)
        except (BrokenPipeError, ConnectionResetError):
            # The client is gone (a test killed it mid-request): what was accepted stays accepted.
            handler.close_connection = True
        finally:
            with self._lock:
                self.active -= 1

    def _handle_request(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        is_get = handler.command == "GET"
        if not is_get and handler.path != "/v3/mail/send":
            self._answer(handler, 404, {"errors": [{"message": "Not found", "field": None}]})
            return
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            self._answer(handler, 401, {"errors": [{"message": "The provided authorization grant is invalid, "
                                                    "expired, or revoked", "field": None}]})
            return
        failure = self._next_failure()
        if is_get and failure is None:
            with self._lock:
                status, body = self.account.answer(handler.path)
            self._answer(handler, status, body)
            return
        if failure == "hang":
            time.sleep(self.hang_seconds)
            handler.close_connection = True
            return
        if failure == "429":
            reset = int(time.time() + self.reset_seconds)
            self._answer(handler, 429, {"errors": [{"message": "too many requests", "field": None}]},
                         {"X-RateLimit-Reset": str(reset), "X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0"})
            return
        if failure == "500":
            self._answer(handler, 500, {"errors": [{"message": "internal error", "field": None}]})
            return
        if failure == "400":
            self._answer(handler, 400, {"errors": [{"message": "The from address does not match a verified "
                                                    "Sender Identity.", "field": "from"}]})
            return
        if handler.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._answer(handler, 400, {"errors": [{"message": "Content-Type must be application/json",
                                                    "field": None}]})
            return
        try:
            data = json.loads(raw)
            validate_mail_send(data, frozenset(a.lower() for a in self.invalid_addresses),
                               name_index=self.name_index)
        except ValueError:
            self._answer(handler, 400, {"errors": [{"message": "Bad Request", "field": None}]})
            return
        except RequestInvalid as invalid:
            with self._lock:
                self.refused.append({"field": invalid.field, "message": invalid.message})
            self._answer(handler, 400, {"errors": [{"message": invalid.message, "field": invalid.field}]})
            return
        message_id = uuid.uuid4().hex[:22]
        self._accept(data, message_id)
        if self.event_sink is not None:
            self.event_sink(processed_events(data, message_id))
        self._answer(handler, 202, None, {"X-Message-Id": message_id})

    def _accept(self, data: dict[str, Any], message_id: str) -> None:
        content = {part["type"]: part["value"] for part in data["content"]}
        types = tuple(part["type"] for part in data["content"])
        with self._lock:
            for personalization in data["personalizations"]:
                for address in personalization["to"]:
                    self.counts[address["email"]] += 1
                    if not self.record_content:
                        continue
                    substitutions = personalization.get("substitutions", {})
                    self.accepted.append(
                        AcceptedMessage(
                            email=address["email"],
                            subject=apply_substitutions(personalization.get("subject") or data["subject"],
                                                        substitutions),
                            text=apply_substitutions(content.get("text/plain", ""), substitutions),
                            html=apply_substitutions(content.get("text/html", ""), substitutions),
                            headers={**data.get("headers", {}), **personalization.get("headers", {})},
                            custom_args={**data.get("custom_args", {}), **personalization.get("custom_args", {})},
                            categories=tuple(data.get("categories", ())),
                            message_id=message_id,
                            content_types=types,
                        )
                    )


def processed_events(data: dict[str, Any], message_id: str) -> list[dict[str, Any]]:
    """The ``processed`` events SendGrid posts for an accepted request (custom args at the top level)."""
    events = []
    for number, personalization in enumerate(data["personalizations"]):
        for address in personalization["to"]:
            events.append({
                "email": address["email"],
                "timestamp": int(time.time()),
                "event": "processed",
                "sg_event_id": uuid.uuid4().hex,
                "sg_message_id": f"{message_id}.filter0001.{number}.0",
                "category": list(data.get("categories", [])),
                **data.get("custom_args", {}),
                **personalization.get("custom_args", {}),
            })
    return events


class WebhookPoster:
    """Posts events to an Event Webhook URL signed like SendGrid (ECDSA P-256 over timestamp + body)."""

    def __init__(self, url: str, private_key: Any, *, now: Callable[[], float] = time.time) -> None:
        self.url = url
        self.private_key = private_key
        self.now = now
        self.posted = 0

    def __call__(self, events: list[dict[str, Any]]) -> None:
        body = json.dumps(events).encode("utf-8")
        timestamp = str(int(self.now()))
        signature = self.private_key.sign(timestamp.encode("ascii") + body, ec.ECDSA(hashes.SHA256()))
        response = httpx.post(self.url, content=body, timeout=60, headers={
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode("ascii"),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        })
        response.raise_for_status()
        self.posted += len(events)


class RecordingMessenger:
    """An in-memory backend: remembers every batch it accepted.

    ``fail_with`` queues DeliveryFailed to raise on the next sends; ``crash_after``
    raises ``crash`` (not a DeliveryFailed: a simulated crash) once that many batches
    have been accepted. ``reconcilable`` makes it answer ``reconcile`` like the outbox.
    """

    name = "recording"
    receipts_per_message = False

    def __init__(self, *, reconcilable: bool = True) -> None:
        self.batches: list[Batch] = []
        self.fail_with: list[DeliveryFailed] = []
        self.crash_after: int | None = None
        self.crash: BaseException = RuntimeError("simulated crash")
        self.closed = False
        if reconcilable:
            self.reconcile = self._reconcile

    @property
    def counts(self) -> Counter[str]:
        return Counter(recipient.email for batch in self.batches for recipient in batch.recipients)

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]:
        if observer is not None:
            observer.handed()
        if self.crash_after is not None and len(self.batches) >= self.crash_after:
            raise self.crash
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.batches.append(batch)
        receipts = [Receipt(recipient.email, f"rec-{len(self.batches)}") for recipient in batch.recipients]
        for receipt in receipts if observer is not None else ():
            observer.accepted(receipt)  # type: ignore[union-attr]
        return receipts

    def _reconcile(self, batch: Batch) -> list[Receipt]:
        delivered = {
            recipient.message_id for accepted in self.batches for recipient in accepted.recipients
        }
        return [Receipt(r.email, "reconciled") for r in batch.recipients if r.message_id in delivered]

    def close(self) -> None:
        self.closed = True
