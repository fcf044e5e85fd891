"""Subscribers as the store reads them from its rows (every column, or what a send needs)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Row

from subscribers.model import Frequency, Subscriber, SubscriberStatus
from subscribers.tables import subscribers


def topics_json(topics: Iterable[str]) -> str:
    return json.dumps(sorted(dict.fromkeys(t.strip() for t in topics if t.strip())), ensure_ascii=False)


def to_subscriber(row: Row[Any]) -> Subscriber:
    return Subscriber(
        id=row.id,
        email=row.email,
        status=SubscriberStatus(row.status),
        frequency=Frequency(row.frequency),
        topics=tuple(json.loads(row.topics or "[]")),
        language=row.language,
        name=row.name,
        slot=row.slot,
        created=row.created,
        confirmed=row.confirmed,
        unsubscribed=row.unsubscribed,
        unsubscribe_reason=row.unsubscribe_reason,
        timezone=row.timezone,
    )


COLUMNS = (
    subscribers.c.id,
    subscribers.c.email,
    subscribers.c.status,
    subscribers.c.frequency,
    subscribers.c.topics,
    subscribers.c.language,
    subscribers.c.name,
    subscribers.c.slot,
    subscribers.c.created,
    subscribers.c.confirmed,
    subscribers.c.unsubscribed,
    subscribers.c.unsubscribe_reason,
    subscribers.c.timezone,
)

# What sending needs: no timestamps, whose conversion cost about half of reading a million rows.
MAILING_COLUMNS = COLUMNS[:8]
_STATUSES = {status.value: status for status in SubscriberStatus}
_FREQUENCIES = {frequency.value: frequency for frequency in Frequency}


def to_mailing_subscriber(row: Row[Any]) -> Subscriber:
    """A subscriber as a send needs it (timestamps and unsubscribe reason left out)."""
    topics = row.topics
    return Subscriber(
        id=row.id,
        email=row.email,
        status=_STATUSES[row.status],
        frequency=_FREQUENCIES[row.frequency],
        topics=tuple(json.loads(topics)) if topics and topics != "[]" else (),
        language=row.language,
        name=row.name,
        slot=row.slot,
    )
