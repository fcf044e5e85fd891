"""Fakes for the interfaces send.py declares: a subscriber list and an edition mailer."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from subscribers.model import Frequency, Subscriber, SubscriberStatus
from syndication.clock import FixedClock
from syndication.delivery.ledger import DEFAULT_LEASE
from syndication.delivery.retry import RetryPolicy
from syndication.delivery.send import SendOptions, Throttle
from syndication.delivery.testing import RecordingMessenger
from syndication.mail.base import MessageBody, Recipient

GREETING = "%%mk:greeting%%"
UNSUBSCRIBE = "%%mk:unsubscribe%%"
MAILTO = "unsubscribe@pfalz-rundschau.example"


class FakeSubscribers:
    """An in-memory subscriber list with a suppression list; pages by id like the real store."""

    def __init__(self, subscribers: Sequence[Subscriber]) -> None:
        self.by_id = {s.id: s for s in subscribers}
        self.suppressed: set[str] = set()
        self.pages_served = 0
        self._lock = threading.Lock()

    @classmethod
    def generated(cls, count: int, *, topics: Sequence[tuple[str, ...]] = ((),)) -> FakeSubscribers:
        return cls([
            Subscriber(
                id=number, email=f"leser{number}@example.org", status=SubscriberStatus.ACTIVE,
                frequency=Frequency.DAILY, name=f"Leser {number}", topics=topics[number % len(topics)],
            )
            for number in range(1, count + 1)
        ])

    def set_status(self, subscriber_id: int, status: SubscriberStatus) -> None:
        self.by_id[subscriber_id] = replace(self.by_id[subscriber_id], status=status)

    def _may_receive(self, subscriber: Subscriber) -> bool:
        return subscriber.status == SubscriberStatus.ACTIVE and subscriber.email not in self.suppressed

    def iter_active(
        self, frequency: Frequency, slot: str | None, first_slot: str, batch_size: int
    ) -> Iterator[list[Subscriber]]:
        ids = sorted(self.by_id)
        page: list[Subscriber] = []
        for subscriber_id in ids:
            subscriber = self.by_id[subscriber_id]
            if subscriber.frequency != frequency or not self._may_receive(subscriber):
                continue
            in_slot = subscriber.slot or first_slot
            if slot is not None and in_slot != slot:
                continue
            page.append(subscriber)
            if len(page) == batch_size:
                self.pages_served += 1
                yield page
                page = []
        if page:
            self.pages_served += 1
            yield page

    def receivable(self, subscriber_ids: Sequence[int]) -> Mapping[int, Subscriber]:
        found = (self.by_id.get(i) for i in subscriber_ids)
        return {s.id: s for s in found if s is not None and self._may_receive(s)}


class FakeMailer:
    """Variant = the subscriber's first topic (or "all"); personal parts are placeholders."""

    def __init__(self, edition_id: str = "daily-2026-11-24", *, nothing_for: str | None = None) -> None:
        self.edition_id = edition_id
        self.nothing_for = nothing_for
        self.bodies_built: list[str] = []

    def variant_key(self, subscriber: Subscriber) -> str | None:
        if subscriber.topics and subscriber.topics[0] == self.nothing_for:
            return None
        return subscriber.topics[0] if subscriber.topics else "all"

    def body(self, variant_key: str) -> MessageBody:
        self.bodies_built.append(variant_key)
        return MessageBody(
            subject=f"Der Morgen ({variant_key})",
            html=f"<p>{GREETING}</p><p>Ausgabe {variant_key}</p><a href=\"{UNSUBSCRIBE}\">Abmelden</a>",
            text=f"{GREETING}\n\nAusgabe {variant_key}\n\nAbmelden: {UNSUBSCRIBE}\n",
        )

    def recipient(self, subscriber: Subscriber) -> Recipient:
        unsubscribe = f"https://www.pfalz-rundschau.example/unsubscribe?token=t{subscriber.id}"
        return Recipient(
            email=subscriber.email,
            message_id=f"<{self.edition_id}.{subscriber.id}@pfalz-rundschau.example>",
            name=subscriber.name,
            substitutions={GREETING: f"Guten Morgen, {subscriber.name}", UNSUBSCRIBE: unsubscribe},
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>, <mailto:{MAILTO}?subject=unsubscribe>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            custom_args={"edition_id": self.edition_id, "subscriber_id": str(subscriber.id)},
        )

    def shared_headers(self) -> Mapping[str, str]:
        return {"List-Id": "Pfalz-Rundschau Newsletter <newsletter.pfalz-rundschau.example>"}


class Sleeps:
    """An injectable sleep that only records."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_options(
    *, edition_id: str = "daily-2026-11-24", slot: str = "06:00", batch_size: int = 10, max_retries: int = 5,
    sleep: Sleeps | None = None, clock: FixedClock | None = None, rate: float | None = None,
    resend_in_doubt: bool = False, stop: threading.Event | None = None, lease: timedelta = DEFAULT_LEASE,
    echo=print,  # type: ignore[no-untyped-def]
) -> SendOptions:
    sleep = sleep or Sleeps()
    return SendOptions(
        edition_id=edition_id, slot=slot, first_slot="06:00", frequency=Frequency.DAILY, batch_size=batch_size,
        categories=("edition-daily", edition_id),
        policy=RetryPolicy(max_retries=max_retries, base_seconds=1.0, max_seconds=60.0, sleep=sleep),
        throttle=Throttle(rate, sleep=sleep),
        clock=clock or FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC)),
        resend_in_doubt=resend_in_doubt, stop=stop, lease=lease, echo=echo,
    )


class StoppingMessenger(RecordingMessenger):
    """Sends its batch, then sets ``stop``: the send ends after one batch."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop

    def send(self, batch, observer=None):  # type: ignore[no-untyped-def]
        self.stop.set()
        return super().send(batch, observer)
