"""The console list's filters as SQL: they let through every row that matches, and only the exact filters'
rows where the filter is exact (real store, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from subscribers.browse import list_condition
from subscribers.model import Frequency, Subscriber, SubscriberStatus
from subscribers.store import SubscriberStore

KEY = "test-secret-key-0123456789abcdef"
BERLIN = ZoneInfo("Europe/Berlin")
# Midnight in Berlin on 24 November is 23:00 UTC on the 23rd: sign-ups on both sides of it.
MIDNIGHT = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
TOPICS = [("Kultur",), ("Ärzte", "Sport"), ("kultur_extra",), ("100%",), ()]


@pytest.fixture
def readers(any_engine: Engine) -> tuple[SubscriberStore, list[Subscriber]]:
    store = SubscriberStore(any_engine, KEY)
    added = []
    for number in range(20):
        added.append(store.add(
            f"leser{number}@example.org",
            now=MIDNIGHT + timedelta(minutes=(number - 10) * 7),
            status=SubscriberStatus.ACTIVE,
            frequency=Frequency.WEEKLY if number % 3 == 0 else Frequency.DAILY,
            topics=TOPICS[number % len(TOPICS)],
            slot=("06:00", "12:00", None)[number % 3],
        ))
    return store, added


def _listed(store: SubscriberStore, **filters: object) -> list[int]:
    where = list_condition(zone=BERLIN, **filters)  # type: ignore[arg-type]
    return [s.id for batch in store.iter_all(where=where, batch_size=7) for s in batch]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"frequency": "weekly"}, lambda s: s.frequency == Frequency.WEEKLY),
        ({"slot": "12:00"}, lambda s: s.slot == "12:00"),
        ({"frequency": "daily", "slot": "06:00"}, lambda s: s.frequency == Frequency.DAILY and s.slot == "06:00"),
        ({"topic": "kultur"}, lambda s: "kultur" in {t.lower() for t in s.topics}),
        ({"topic": "100%"}, lambda s: "100%" in s.topics),
        ({"topic": "kultur_extra"}, lambda s: "kultur_extra" in s.topics),
    ],
)
def test_exact_filters_read_exactly_the_matching_rows(
    readers: tuple[SubscriberStore, list[Subscriber]], filters: dict[str, str], expected: object
) -> None:
    """Frequency, slot and an ASCII topic (any case, LIKE's wildcards taken literally) select in SQL exactly
    the subscribers that match, and no other."""
    store, added = readers
    assert [s.id for s in added if expected(s)] == _listed(store, **filters)  # type: ignore[operator]


def _signed_up_on_or_after(subscriber: Subscriber, day: date) -> bool:
    return subscriber.created is not None and subscriber.created.astimezone(BERLIN).date() >= day


def test_wide_filters_let_every_match_through(readers: tuple[SubscriberStore, list[Subscriber]]) -> None:
    """A sign-up day in the site's zone and a topic SQL cannot fold (Ä) narrow the rows without losing one
    that matches: every subscriber signed up from 24 November on in Berlin, every one with "ärzte", is read."""
    store, added = readers
    day = date(2026, 11, 24)
    on_the_day = [s.id for s in added if _signed_up_on_or_after(s, day)]
    doctors = [s.id for s in added if "ärzte" in {t.lower() for t in s.topics}]
    read_since, read_topic = _listed(store, since=day), _listed(store, topic="ärzte")
    assert (on_the_day, doctors) == (
        [i for i in read_since if i in on_the_day], [i for i in read_topic if i in doctors]
    )
    assert 0 < len(on_the_day) < len(added)
