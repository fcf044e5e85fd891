"""What a provider (or our own redirect, or an inbound bounce) reports about one sent message."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from syndication.errors import InputError
from syndication.redact import redacted_reason


class EventKind(StrEnum):
    PROCESSED = "processed"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    BOUNCE = "bounce"
    DROPPED = "dropped"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    CLICK = "click"
    OPEN = "open"


class BounceType(StrEnum):
    # A permanent refusal (5xx, unknown user): the address is suppressed at once.
    HARD = "hard"
    # A temporary refusal (4xx, mailbox full, blocked for now): suppressed only when it repeats.
    SOFT = "soft"


_EDITION = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_SMTP_STATUS = re.compile(r"[245](?:\.\d{1,3}\.\d{1,3}|\d\d)")


def event_key(provider_event_id: str) -> str:
    """What is stored for a provider's event id: SHA-256 of the whole id (never cut short)."""
    return hashlib.sha256(provider_event_id.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SendEvent:
    """One fact about one message: who it was for (by the ids the message carried) and what happened.

    ``provider_event_id`` is the provider's id of the event, whole; the store keeps its SHA-256,
    so that a retried or replayed event counts once. ``reason`` must already be free of
    addresses (use :func:`syndication.redact.redacted_reason`); the constructor redacts it again to be sure.
    """

    provider: str
    provider_event_id: str
    kind: EventKind
    occurred_at: datetime
    edition_id: str | None = None
    run_id: int | None = None
    subscriber_id: int | None = None
    bounce_type: BounceType | None = None
    smtp_status: str | None = None
    reason: str | None = None
    url: str | None = None
    article_id: str | None = None
    # The mailer's variant key (which articles the body shows), when the message carried it.
    variant: str | None = None
    # The delivery slot, when the source knows it but no run id (our own click links).
    slot: str | None = None

    def __post_init__(self) -> None:
        where = f"{self.provider or '?'} event"
        if not self.provider or len(self.provider) > 40:
            raise InputError(where, "provider must be 1 to 40 characters", "provider")
        if not self.provider_event_id:
            raise InputError(where, "an event id is required", "provider_event_id")
        if not isinstance(self.kind, EventKind):
            object.__setattr__(self, "kind", EventKind(self.kind))
        if self.occurred_at.tzinfo is None:
            raise InputError(where, "occurred_at must be timezone-aware", "occurred_at")
        if self.edition_id is not None and not _EDITION.fullmatch(self.edition_id):
            raise InputError(where, "not an edition id", "edition_id")
        if self.kind == EventKind.BOUNCE and self.bounce_type is None:
            raise InputError(where, "a bounce needs a bounce type (hard or soft)", "bounce_type")
        if self.bounce_type is not None and not isinstance(self.bounce_type, BounceType):
            object.__setattr__(self, "bounce_type", BounceType(self.bounce_type))
        if self.smtp_status is not None and not _SMTP_STATUS.fullmatch(self.smtp_status.strip()):
            object.__setattr__(self, "smtp_status", None)
        object.__setattr__(self, "reason", redacted_reason(self.reason))
        if self.variant is not None:
            object.__setattr__(self, "variant", self.variant[:200])

    @property
    def key(self) -> str:
        return event_key(self.provider_event_id)
