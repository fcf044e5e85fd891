"""Demo subscribers for ``make demo``: different topics, frequencies, names and slots (example.org)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from subscribers.model import ConsentRecord, Frequency, Subscriber, SubscriberStatus
from subscribers.store import AlreadySubscribed, SubscriberStore


@dataclass(frozen=True)
class DemoSubscriber:
    email: str
    name: str | None
    frequency: Frequency
    topics: tuple[str, ...]
    slot: str | None


DEMO_SUBSCRIBERS = (
    DemoSubscriber("anna.beispiel@example.org", "Anna", Frequency.DAILY, (), None),
    DemoSubscriber("bernd.muster@example.org", "Bernd", Frequency.DAILY, ("Politik", "Wirtschaft"), "12:00"),
    DemoSubscriber("carla.pfalz@example.org", "Carla", Frequency.DAILY, ("Kaiserslautern",), "18:00"),
    DemoSubscriber("dieter.wochenende@example.org", None, Frequency.WEEKLY, (), None),
    DemoSubscriber("eva.land@example.org", "Eva", Frequency.WEEKLY, ("Rheinland-Pfalz", "Politik"), None),
)


def seed_demo_subscribers(
    store: SubscriberStore, now: datetime, *, language: str, wording_version: str
) -> list[Subscriber]:
    """Add the demo subscribers as ACTIVE (idempotent: present ones are left as they are)."""
    result = []
    for demo in DEMO_SUBSCRIBERS:
        existing = store.get_by_email(demo.email)
        if existing is not None:
            result.append(existing)
            continue
        try:
            added = store.add(
                demo.email,
                now=now,
                status=SubscriberStatus.ACTIVE,
                frequency=demo.frequency,
                topics=demo.topics,
                name=demo.name,
                slot=demo.slot,
                language=language,
            )
        except AlreadySubscribed:  # added by a concurrent run
            continue
        store.record_consent(
            ConsentRecord(
                subscriber_id=added.id,
                action="added",
                recorded_at=now,
                form="demo",
                wording_version=wording_version,
            )
        )
        result.append(added)
    return result
