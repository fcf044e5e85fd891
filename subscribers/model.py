"""Subscriber values shared by the subscriber store, digests and delivery."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# As the form's input allows: a longer value is cut, not refused.
NAME_MAX_LENGTH = 200
_SPACES = re.compile(r"\s+")


def _is_control(char: str) -> bool:
    # Cc covers C0, DEL and C1 (NEL included); Zl/Zp are the Unicode line and paragraph
    # separators, which some mail and log readers treat as line ends too.
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def clean_name(raw: str | None) -> str | None:
    """A subscriber's name as it may be stored: one line, no control characters, at most 200 characters.

    Every way a name enters (form, preferences, CSV import, CLI) passes through here, so a
    name can never carry CR/LF into a mail header. Control characters become spaces (a
    tab or line break between two words must not glue them together), runs of white space
    shrink to one; an empty result is None.
    """
    if raw is None:
        return None
    text = "".join(" " if _is_control(char) else char for char in str(raw))
    text = _SPACES.sub(" ", text).strip()[:NAME_MAX_LENGTH].rstrip()
    return text or None


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
