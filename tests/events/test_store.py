"""The event store: each event once, the bounce/complaint policy, incremental counters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.events.policy import BouncePolicy, SubscriberSuppressions
from syndication.events.store import EventStore
from syndication.events.tables import send_events
from syndication.mail.events import BounceType, EventKind, SendEvent, event_key
from syndication.store.db import open_engine

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
EDITION = "daily-2026-11-24"


def _event(event_id: str, kind: EventKind, subscriber_id: int | None = None, **extra: Any) -> SendEvent:
    return SendEvent(
        provider="sendgrid", provider_event_id=event_id, kind=kind, occurred_at=extra.pop("at", NOW),
        edition_id=EDITION, subscriber_id=subscriber_id, **extra,
    )


def _setup(engine: Engine, count: int = 5, **options: Any) -> tuple[EventStore, SubscriberStore, list[int]]:
    store = SubscriberStore(engine, "test-secret-key-0123456789abcdef")
    ids = [store.add(f"reader{n}@example.org", status=SubscriberStatus.ACTIVE, now=NOW).id for n in range(count)]
    events = EventStore(engine, suppressions=SubscriberSuppressions(store), **options)
    return events, store, ids


def test_each_event_is_stored_once(engine: Engine) -> None:
    """A replayed event (same provider id) is a duplicate: stored and counted once."""
    events, _, ids = _setup(engine)
    first = events.record([_event("e1", EventKind.DELIVERED, ids[0]), _event("e1", EventKind.DELIVERED, ids[0])], NOW)
    again = events.record([_event("e1", EventKind.DELIVERED, ids[0])], NOW)
    assert (1, 1) == (first.stored, first.duplicates)
    assert (0, 1) == (again.stored, again.duplicates)
    assert 1 == events.counts(EDITION)["delivered"]


def test_event_ids_sharing_a_prefix_stay_distinct(engine: Engine) -> None:
    """Long event ids are kept whole (as SHA-256): two ids differing only at the end are two events."""
    events = _setup(engine)[0]
    long_id = "x" * 300
    outcome = events.record([_event(long_id + "a", EventKind.CLICK, url="https://a.example/"),
                             _event(long_id + "b", EventKind.CLICK, url="https://a.example/")], NOW)
    assert 2 == outcome.stored
    assert 64 == len(event_key(long_id))


def test_hard_bounce_and_complaint_suppress_at_once(engine: Engine) -> None:
    """A hard bounce or a complaint suppresses the address; an unsubscribe event unsubscribes."""
    events, store, ids = _setup(engine)
    events.record([
        _event("b", EventKind.BOUNCE, ids[0], bounce_type=BounceType.HARD, smtp_status="5.1.1",
               reason="550 5.1.1 <reader0@example.org>: user unknown"),
        _event("c", EventKind.COMPLAINT, ids[1]),
        _event("u", EventKind.UNSUBSCRIBE, ids[2]),
    ], NOW)
    assert SubscriberStatus.BOUNCED == store.get(ids[0]).status
    assert SubscriberStatus.COMPLAINED == store.get(ids[1]).status
    assert SubscriberStatus.UNSUBSCRIBED == store.get(ids[2]).status
    assert ["bounced", "complained", None] == [store.suppression_reason(f"reader{n}@example.org") for n in range(3)]
    with engine.connect() as connection:
        reason = connection.execute(select(send_events.c.reason).where(send_events.c.kind == "bounce")).scalar()
    assert "550 5.1.1 <<address>>: user unknown" == reason


def test_soft_bounces_suppress_after_the_limit_within_the_window(engine: Engine) -> None:
    """Soft bounces suppress only when `soft_bounce_limit` arrive within `soft_bounce_days`."""
    events, store, ids = _setup(engine, policy=BouncePolicy(soft_bounce_limit=3, soft_bounce_days=7))
    soft = {"bounce_type": BounceType.SOFT}
    events.record([_event("s1", EventKind.BOUNCE, ids[0], at=NOW - timedelta(days=20), **soft),
                   _event("s2", EventKind.BOUNCE, ids[0], at=NOW - timedelta(days=3), **soft),
                   _event("s3", EventKind.BOUNCE, ids[0], **soft)], NOW)
    assert SubscriberStatus.ACTIVE == store.get(ids[0]).status
    events.record([_event("s4", EventKind.BOUNCE, ids[0], at=NOW + timedelta(hours=1), **soft)], NOW)
    assert SubscriberStatus.BOUNCED == store.get(ids[0]).status
    assert store.is_suppressed("reader0@example.org")


def test_counters_count_readers_and_clicks_per_article(engine: Engine) -> None:
    """Counters grow as events arrive: readers once per kind; clicks per article and URL."""
    events, _, ids = _setup(engine, per_subscriber=True)
    events.record([
        _event("d1", EventKind.DELIVERED, ids[0]), _event("d2", EventKind.DELIVERED, ids[0]),
        _event("d3", EventKind.DELIVERED, ids[1]),
        _event("k1", EventKind.CLICK, ids[0], article_id="a1", url="https://x.example/1"),
        _event("k2", EventKind.CLICK, ids[0], article_id="a1", url="https://x.example/1"),
        _event("k3", EventKind.CLICK, ids[1], article_id="a2", url="https://x.example/2"),
    ], NOW)
    counts = events.counts(EDITION)
    assert (2, 3, 2) == (counts["delivered"], counts["clicks"], counts["unique_clicks"])


def test_clicks_are_kept_without_a_person_unless_per_subscriber(engine: Engine) -> None:
    """Without [tracking] per_subscriber a click is stored without its subscriber id."""
    events, _, ids = _setup(engine)
    events.record([_event("k1", EventKind.CLICK, ids[0], url="https://x.example/1")], NOW)
    with engine.connect() as connection:
        assert [None] == list(connection.execute(select(send_events.c.subscriber_id)).scalars())


def _concurrent_replays(engine: Engine) -> None:
    events, _, ids = _setup(engine, count=1)
    batch = [_event(f"c{n}", EventKind.COMPLAINT if n == 0 else EventKind.DELIVERED, ids[0]) for n in range(20)]
    errors: list[BaseException] = []

    def post() -> None:
        try:
            events.record(batch, NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [] == errors
    with engine.connect() as connection:
        assert 20 == connection.execute(select(func.count()).select_from(send_events)).scalar()
    counts = events.counts(EDITION)
    assert (1, 1) == (counts["delivered"], counts["complaints"])


def test_concurrent_posts_store_each_event_once_on_sqlite(engine: Engine) -> None:
    """Four webhook calls posting the same events at once store and count each event once (SQLite)."""
    _concurrent_replays(engine)


def test_concurrent_posts_store_each_event_once_on_postgres(postgres_url: str) -> None:
    """The same on PostgreSQL."""
    engine = open_engine(postgres_url)
    try:
        _concurrent_replays(engine)
    finally:
        engine.dispose()


def test_an_event_needs_an_aware_time() -> None:
    """A naive time is refused with the field named."""
    with pytest.raises(Exception, match="occurred_at"):
        SendEvent("sendgrid", "e", EventKind.DELIVERED, datetime(2026, 11, 24))
