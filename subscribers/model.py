"""Subscriber values shared by the subscriber store, digests and delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    status: SubscriberStatus
    frequency: Frequency = Frequency.DAILY
    # Categories and regions the subscriber chose; empty means everything.
    topics: tuple[str, ...] = ()
    language: str = "de"
    name: str | None = None
    # Preferred delivery slot ("HH:MM" of the edition's slots); None means the first slot.
    slot: str | None = None
    created: datetime | None = None
    confirmed: datetime | None = None
    unsubscribed: datetime | None = None
    unsubscribe_reason: str | None = None

    @property
    def receives_mail(self) -> bool:
        return self.status == SubscriberStatus.ACTIVE

    def wants(self, categories: tuple[str, ...], regions: tuple[str, ...]) -> bool:
        """Whether an article with these categories and regions is among the chosen topics."""
        if not self.topics:
            return True
        return bool(set(self.topics) & (set(categories) | set(regions)))


@dataclass(frozen=True)
class ConsentRecord:
    """One step of a subscriber's consent trail (GDPR Art. 7(1): the sender must be able to prove consent).

    ``action`` is ``requested`` (form sent), ``confirmed`` (link in the confirmation mail
    followed), ``imported`` (operator affirmed consent on import) or ``added`` (CLI).
    """

    subscriber_id: int
    action: str
    recorded_at: datetime
    form: str
    wording_version: str
    ip: str | None = None
    user_agent: str | None = None
