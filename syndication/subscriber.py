"""The subscriber as every feature reads it: who gets mail, how often, and which topics.

The subscriber store (:mod:`subscribers`) keeps them; digests and delivery only read these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

# Suppression reasons (the subscriber store's suppression list). A "forgotten" address is never
# re-added by import or CLI; it can only come back by signing up on the form and confirming again
# (fresh, provable consent).
FORGOTTEN: Final = "forgotten"
BOUNCED: Final = "bounced"
COMPLAINED: Final = "complained"


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
    # The reader's IANA time zone (newsletters with slot_zone = "reader"); None: the site's.
    timezone: str | None = None

    @property
    def receives_mail(self) -> bool:
        return self.status == SubscriberStatus.ACTIVE

    def wants(self, categories: tuple[str, ...], regions: tuple[str, ...]) -> bool:
        """Whether an article with these categories and regions is among the chosen topics."""
        if not self.topics:
            return True
        return bool(set(self.topics) & (set(categories) | set(regions)))


# How strongly a status ends a subscription (the event policy and SendGrid's lists): a complaint stays a complaint.
_STRENGTH = {
    SubscriberStatus.PENDING: 0,
    SubscriberStatus.ACTIVE: 0,
    SubscriberStatus.UNSUBSCRIBED: 1,
    SubscriberStatus.BOUNCED: 2,
    SubscriberStatus.COMPLAINED: 3,
}


def ends_more_strongly(status: SubscriberStatus, current: SubscriberStatus) -> bool:
    """Whether ``status`` may replace ``current``: a stronger outcome is never replaced by a weaker one."""
    return _STRENGTH[status] > _STRENGTH[current]
