"""The SendGrid Event Webhook's parsing: events become SendEvents without a database; the store names the subscriber."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from subscribers.webhook import EventProcessor, ParsedEvent, WebhookReport, parse_event
from syndication.mail.events import BounceType, EventKind, SendEvent

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@dataclass
class FakeNames:
    """The subscriber store as the webhook asks it: subscriber 7 is anna@example.org."""

    asked: list[list[tuple[int | None, str | None]]] = field(default_factory=list)

    def ids_named_by(self, names: Sequence[tuple[int | None, str | None]]) -> list[int | None]:
        self.asked.append(list(names))
        return [7 if (subscriber_id, email) in ((7, "anna@example.org"), (None, "anna@example.org")) else None
                for subscriber_id, email in names]


@dataclass(frozen=True)
class Outcome:
    stored: int
    duplicates: int = 0
    applied: int = 0
    unmatched: int = 0


@dataclass
class FakeSink:
    recorded: list[SendEvent] = field(default_factory=list)

    def record(self, events: Sequence[SendEvent], now: datetime) -> Outcome:
        self.recorded.extend(events)
        return Outcome(stored=len(events))


def test_a_bounce_is_parsed_with_whom_it_names_and_no_subscriber_yet() -> None:
    """parse_event reads the custom args and the address; the subscriber id is the store's to fill in."""
    event = {"event": "bounce", "type": "blocked", "email": " Anna@Example.org ", "subscriber_id": "7",
             "edition_id": "daily-2024-05-06", "run_id": 3, "sg_event_id": "e1", "timestamp": 1714979289,
             "status": "4.2.2", "reason": "mailbox full"}

    actual = parse_event(event, NOW)

    expected = ParsedEvent(
        SendEvent(provider="sendgrid", provider_event_id="e1", kind=EventKind.BOUNCE,
                  occurred_at=datetime.fromtimestamp(1714979289, tz=UTC), edition_id="daily-2024-05-06", run_id=3,
                  bounce_type=BounceType.SOFT, smtp_status="4.2.2", reason="mailbox full"),
        7, "anna@example.org",
    )
    assert expected == actual


def test_ignored_events_are_not_parsed() -> None:
    """group_resubscribe, unknown types and (with opens off) opens are ignored."""
    events = [{"event": "group_resubscribe"}, {"event": "something"}, {"event": "open", "sg_event_id": "o"}]

    actual = [parse_event(event, NOW) for event in events]

    assert [None, None, None] == actual


def test_the_processor_asks_the_store_whom_each_event_names() -> None:
    """One question to the store for the batch; its answers become the events' subscriber ids."""
    names, sink = FakeNames(), FakeSink()
    events = [
        {"event": "delivered", "email": "anna@example.org", "subscriber_id": 7, "sg_event_id": "a"},
        {"event": "spamreport", "email": "anna@example.org", "sg_event_id": "b"},
        {"event": "delivered", "email": "bert@example.org", "subscriber_id": 7, "sg_event_id": "c"},
        {"event": "group_resubscribe", "email": "anna@example.org", "sg_event_id": "d"},
    ]

    report = EventProcessor(names, sink).process(events, NOW)

    assert [[(7, "anna@example.org"), (None, "anna@example.org"), (7, "bert@example.org")]] == names.asked
    assert [7, 7, None] == [event.subscriber_id for event in sink.recorded]
    assert WebhookReport(ignored=4) == report
