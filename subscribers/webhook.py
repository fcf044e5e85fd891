"""The SendGrid Event Webhook: signature check, and each event parsed into a :class:`SendEvent`.

Storing, de-duplicating, the bounce/complaint policy and the report counters are the event
store's (``syndication.events``), handed in as an :class:`EventSink`; which subscriber an event
names is the subscriber store's (:class:`SubscriberNames`). This module only verifies, parses
and reads from each event the edition, run and subscriber the message carried in its custom args
(edition_id, run_id, subscriber_id, variant) and the address it names. An event naming no
subscriber id is matched by its address only to apply the policy (a bounce or complaint must
suppress); it is never counted for an edition by address alone.

SendGrid signs ``timestamp + raw body`` with ECDSA (P-256, SHA-256) and sends the DER
signature base64-encoded in ``X-Twilio-Email-Event-Webhook-Signature`` and the Unix time in
``X-Twilio-Email-Event-Webhook-Timestamp``. The verification key is shown base64 DER
(SubjectPublicKeyInfo) in SendGrid's mail settings; PEM is accepted too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from syndication.errors import InputError
from syndication.mail.addresses import normalise_email
from syndication.mail.events import BounceType, EventKind, SendEvent
from syndication.mail.events import event_key as event_key  # what webhook_events kept for an event id

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

PROVIDER = "sendgrid"

# SendGrid's event type → ours. group_resubscribe has none: only a fresh double opt-in lifts a
# suppression, never a provider's event.
EVENT_KINDS: Mapping[str, EventKind] = {
    "processed": EventKind.PROCESSED,
    "delivered": EventKind.DELIVERED,
    "deferred": EventKind.DEFERRED,
    "bounce": EventKind.BOUNCE,
    "dropped": EventKind.DROPPED,
    "spamreport": EventKind.COMPLAINT,
    "unsubscribe": EventKind.UNSUBSCRIBE,
    "group_unsubscribe": EventKind.UNSUBSCRIBE,
    "click": EventKind.CLICK,
    "open": EventKind.OPEN,
}

# A subscriber id as SendGrid echoes it back: ASCII digits that fit a 64-bit integer.
_SUBSCRIBER_ID = re.compile(r"[0-9]{1,18}")

_RUN_ID = re.compile(r"[0-9]{1,18}")
_EDITION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class SignatureRejected(Exception):
    """The request is unsigned, wrongly signed or stale; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_request(
    public_key: ec.EllipticCurvePublicKey,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    max_age_seconds: int,
) -> None:
    """Raises SignatureRejected unless the request is signed by SendGrid's key and fresh."""
    signature_b64 = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
    timestamp = headers.get(TIMESTAMP_HEADER) or headers.get(TIMESTAMP_HEADER.lower())
    if not signature_b64 or not timestamp:
        raise SignatureRejected("unsigned")
    try:
        signed_at = int(timestamp.strip())
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (ValueError, binascii.Error):
        raise SignatureRejected("malformed signature headers") from None
    try:
        public_key.verify(signature, timestamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureRejected("wrong signature") from None
    if abs(now.timestamp() - signed_at) > max_age_seconds:
        raise SignatureRejected("stale")


def parse_events(body: bytes) -> list[Mapping[str, Any]]:
    """The events of a (verified) request body: a JSON array of objects."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("webhook body", "not JSON: %(exc)s", exc=exc) from None
    except (RecursionError, ValueError):
        # Nesting deeper than the parser's stack, or a number too long to convert.
        raise InputError("webhook body", "not JSON: nested too deeply or a number too long") from None
    if not isinstance(data, list):
        raise InputError("webhook body", "expected a JSON array of events")
    return [event for event in data if isinstance(event, Mapping)]


@dataclass(frozen=True)
class WebhookReport:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    unmatched: int = 0


class EventObserver(Protocol):
    """Another feature that wants the verified events too."""

    def observe(self, events: Sequence[Mapping[str, Any]], now: datetime) -> int: ...


class Recorded(Protocol):
    stored: int
    duplicates: int
    applied: int
    unmatched: int


class EventSink(Protocol):
    """Where parsed events go (``syndication.events.store.EventStore``)."""

    def record(self, events: Sequence[SendEvent], now: datetime) -> Recorded: ...


def _args(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The custom args, wherever SendGrid put them (top level, as it does, or under ``custom_args``)."""
    nested = event.get("custom_args")
    return {**(nested if isinstance(nested, Mapping) else {}), **event}


def _id(value: Any, pattern: re.Pattern[str]) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or not pattern.fullmatch(str(value)):
        return None
    return str(value)


def _occurred(event: Mapping[str, Any], now: datetime) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and 0 < stamp < 32_503_680_000:
        return datetime.fromtimestamp(stamp, tz=UTC)
    return now


def _event_id(event: Mapping[str, Any]) -> str:
    """SendGrid's ``sg_event_id``; without one, a digest of the whole event (a replay is still a duplicate)."""
    given = event.get("sg_event_id")
    if isinstance(given, str) and given:
        return given
    canonical = json.dumps(event, sort_keys=True, default=str, ensure_ascii=True)
    return "body:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _text(value: Any, limit: int = 2000) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


@dataclass(frozen=True)
class ParsedEvent:
    """A SendGrid event as ours, and whom it names: the subscriber id the message carried and the
    (normalised) address of the event; the subscriber store says which subscriber that is."""

    event: SendEvent
    subscriber_id: int | None
    email: str | None


class SubscriberNames(Protocol):
    """Which subscriber each event names (the real one: :class:`subscribers.store.SubscriberStore`)."""

    def ids_named_by(self, names: Sequence[tuple[int | None, str | None]]) -> list[int | None]:
        """For each (id the message carried, address of the event): the subscriber's id, or None."""
        ...


def parse_event(event: Mapping[str, Any], now: datetime, *, opens: bool = False) -> ParsedEvent | None:
    """The event as ours, or None when it is ignored (group_resubscribe, opens when off, unknown types).

    The event's ``subscriber_id`` is left None: the subscriber store fills it in from the names."""
    kind = EVENT_KINDS.get(str(event.get("event", "")))
    if kind is None or (kind == EventKind.OPEN and not opens):
        return None
    args = _args(event)
    edition_id = _id(args.get("edition_id"), _EDITION_ID)
    run_id = _id(args.get("run_id"), _RUN_ID)
    bounce_type = None
    if kind == EventKind.BOUNCE:
        # "blocked": the receiving server refused for now (a soft bounce); "bounce": for good.
        bounce_type = BounceType.SOFT if str(event.get("type", "")).lower() == "blocked" else BounceType.HARD
    parsed = SendEvent(
        provider=PROVIDER, provider_event_id=_event_id(event), kind=kind, occurred_at=_occurred(event, now),
        edition_id=edition_id, run_id=int(run_id) if run_id else None, variant=_text(args.get("variant"), 200),
        bounce_type=bounce_type, smtp_status=_text(event.get("status"), 20),
        reason=_text(event.get("reason")) or _text(event.get("response")),
        url=_text(event.get("url")) if kind == EventKind.CLICK else None,
        article_id=_text(args.get("article_id"), 64),
    )
    raw_id = _id(args.get("subscriber_id"), _SUBSCRIBER_ID)
    return ParsedEvent(parsed, int(raw_id) if raw_id is not None else None, _email(event))


def _email(event: Mapping[str, Any]) -> str | None:
    """The event's address, normalised; None when it names none (or none that is an address)."""
    if not isinstance(event.get("email"), str):
        return None
    try:
        return normalise_email(event["email"])
    except InputError:
        return None


class EventProcessor:
    """Parses verified SendGrid events into :class:`SendEvent` s and hands them to the ``sink``.

    ``subscribers`` says which subscriber each event names; ``opens``: open events are kept only
    when ``[tracking] opens`` is on.
    """

    def __init__(self, subscribers: SubscriberNames, sink: EventSink, observers: Sequence[EventObserver] = (), *,
                 opens: bool = False) -> None:
        self.subscribers = subscribers
        self.sink = sink
        # Told about every verified batch of events (delivery records the evidence of accepted messages).
        self.observers = tuple(observers)
        self.opens = opens

    def process(self, events: Sequence[Mapping[str, Any]], now: datetime) -> WebhookReport:
        found = [parse_event(event, now, opens=self.opens) for event in events]
        named = [one for one in found if one is not None]
        ids = self.subscribers.ids_named_by([(one.subscriber_id, one.email) for one in named]) if named else []
        parsed = [replace(one.event, subscriber_id=found_id) for one, found_id in zip(named, ids, strict=True)]
        outcome = self.sink.record(parsed, now)
        for observer in self.observers:
            observer.observe(events, now)
        stored_without_action = outcome.stored - outcome.applied - outcome.unmatched
        return WebhookReport(applied=outcome.applied, duplicates=outcome.duplicates,
                             ignored=len(found) - len(named) + stored_without_action, unmatched=outcome.unmatched)
