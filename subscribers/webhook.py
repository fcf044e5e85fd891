"""The SendGrid Event Webhook: signature check, de-duplication, bounces/complaints/unsubscribes.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from subscribers.addresses import normalise_email
from subscribers.model import SubscriberStatus
from subscribers.store import BOUNCED, COMPLAINED, SubscriberStore
from subscribers.tables import subscribers, webhook_events
from syndication.errors import ConfigError, InputError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

# Event → the status it leads to.
EVENT_STATUS: Mapping[str, SubscriberStatus] = {
    "bounce": SubscriberStatus.BOUNCED,
    "dropped": SubscriberStatus.BOUNCED,
    "spamreport": SubscriberStatus.COMPLAINED,
    "unsubscribe": SubscriberStatus.UNSUBSCRIBED,
    "group_unsubscribe": SubscriberStatus.UNSUBSCRIBED,
}

# SendGrid retries a failed post for hours, not weeks; event ids are kept well beyond that.
EVENT_RETENTION = timedelta(days=14)

# A subscriber id as SendGrid echoes it back: ASCII digits that fit a 64-bit integer.
_SUBSCRIBER_ID = re.compile(r"[0-9]{1,18}")

# A stronger outcome is never replaced by a weaker one (a complaint stays a complaint).
_STRENGTH = {
    SubscriberStatus.PENDING: 0,
    SubscriberStatus.ACTIVE: 0,
    SubscriberStatus.UNSUBSCRIBED: 1,
    SubscriberStatus.BOUNCED: 2,
    SubscriberStatus.COMPLAINED: 3,
}


def event_key(event_id: str) -> str:
    """What is stored for an event id: SHA-256 of the whole id, so that ids of any length stay distinct."""
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


class SignatureRejected(Exception):
    """The request is unsigned, wrongly signed or stale; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key from config: base64 DER (as SendGrid shows it) or PEM."""
    stripped = text.strip()
    try:
        if stripped.startswith("-----BEGIN"):
            key = load_pem_public_key(stripped.encode("ascii"))
        else:
            key = load_der_public_key(base64.b64decode("".join(stripped.split()), validate=True))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ConfigError(f"subscribers.sendgrid_webhook_public_key: not a public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigError("subscribers.sendgrid_webhook_public_key: not an elliptic-curve (ECDSA) key")
    return key


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
        raise InputError("webhook body", f"not JSON: {exc}") from None
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


class EventProcessor:
    """Applies SendGrid events to subscribers, each event at most once (by ``sg_event_id``).

    The id is stored as its SHA-256 (``event_key``), never cut short: ids sharing a prefix stay distinct.
    """

    def __init__(self, store: SubscriberStore, observers: Sequence[EventObserver] = ()) -> None:
        self.store = store
        # Told about every verified batch of events (delivery records the evidence of accepted messages).
        self.observers = tuple(observers)

    def process(self, events: Sequence[Mapping[str, Any]], now: datetime) -> WebhookReport:
        counts = {"applied": 0, "duplicates": 0, "ignored": 0, "unmatched": 0}
        for event in events:
            counts[self._process_one(event, now)] += 1
        with self.store.engine.begin() as connection:
            connection.execute(delete(webhook_events).where(webhook_events.c.received_at < now - EVENT_RETENTION))
        for observer in self.observers:
            observer.observe(events, now)
        return WebhookReport(**counts)

    def _subscriber_for(self, connection: Any, event: Mapping[str, Any]) -> tuple[int, str] | None:
        custom_args = event.get("custom_args") if isinstance(event.get("custom_args"), Mapping) else {}
        raw_id = event.get("subscriber_id", custom_args.get("subscriber_id"))
        email = None
        if isinstance(event.get("email"), str):
            try:
                email = normalise_email(event["email"])
            except InputError:
                email = None
        if isinstance(raw_id, int | str) and not isinstance(raw_id, bool) and _SUBSCRIBER_ID.fullmatch(str(raw_id)):
            row = connection.execute(
                select(subscribers.c.id, subscribers.c.email).where(subscribers.c.id == int(str(raw_id)))
            ).first()
            # The id must belong to the address the event is about, when the event names one.
            if row is not None and (email is None or row.email == email):
                return row.id, row.email
        if email is not None:
            row = connection.execute(
                select(subscribers.c.id, subscribers.c.email).where(subscribers.c.email == email)
            ).first()
            if row is not None:
                return row.id, row.email
        return None

    def _process_one(self, event: Mapping[str, Any], now: datetime) -> str:
        kind = str(event.get("event", ""))[:40]
        event_id = event.get("sg_event_id")
        target = EVENT_STATUS.get(kind)
        # A "blocked" bounce is temporary (the receiver refused for now): the address stays.
        if kind == "bounce" and str(event.get("type", "")).lower() == "blocked":
            target = None
        with self.store.engine.begin() as connection:
            match = self._subscriber_for(connection, event) if target is not None else None
            outcome = "ignored" if target is None else ("unmatched" if match is None else "applied")
            if isinstance(event_id, str) and event_id:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(webhook_events).values(
                                sg_event_id=event_key(event_id),
                                event=kind or "?",
                                subscriber_id=match[0] if match else None,
                                outcome=outcome,
                                received_at=now,
                            )
                        )
                except IntegrityError:
                    return "duplicates"
            if target is None or match is None:
                return outcome
            subscriber_id, email = match
            current = SubscriberStatus(
                connection.execute(select(subscribers.c.status).where(subscribers.c.id == subscriber_id)).scalar_one()
            )
            if _STRENGTH[target] > _STRENGTH[current]:
                connection.execute(
                    update(subscribers)
                    .where(subscribers.c.id == subscriber_id)
                    .values(status=target.value, unsubscribed=now, unsubscribe_reason=f"sendgrid:{kind}")
                )
            if target in (SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED):
                reason = BOUNCED if target == SubscriberStatus.BOUNCED else COMPLAINED
                self.store.suppress_in(connection, self.store.email_hash(email), reason, now)
        log.info("webhook event %s applied to subscriber %s", kind, subscriber_id)
        return "applied"
