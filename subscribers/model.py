"""Subscriber values of the subscriber store: names, the consent trail.

:class:`Subscriber`, :class:`SubscriberStatus` and :class:`Frequency` are core values
(:mod:`syndication.subscriber`: digests and delivery read them too); they keep their names here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from subscribers.zones import canonical_zone
from syndication.config.newsletters import clean_zone
from syndication.errors import InputError
from syndication.subscriber import Frequency, Subscriber, SubscriberStatus

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


def clean_timezone(raw: str | None) -> str | None:
    """A reader's zone as it may be stored: an IANA name, or None (empty: the site's zone).

    Every way a zone enters (CLI, CSV import, preferences) passes through here: InputError (field
    ``timezone``) for a name of no zone.
    """
    try:
        # Under its current IANA name: readers of one clock share one send ("US/Eastern" is "America/New_York").
        return canonical_zone(clean_zone(raw))
    except ValueError:
        raise InputError(
            "timezone", "an IANA time zone such as 'America/New_York', not %(zone)r", zone=(raw or "").strip()
        ) from None


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
    # The newsletter the step is about; None: the subscriber as a whole (records from before newsletters).
    newsletter: str | None = None


@dataclass(frozen=True)
class ImportedConsent:
    """The consent step a row of an export carries (when, how, wording version), kept as it was."""

    action: str
    recorded_at: datetime
    form: str
    wording_version: str


@dataclass(frozen=True)
class NewSubscriber:
    """A row to add in bulk (import).

    ``status`` None takes the status of the whole import; the timestamps None take the
    import's time. A row from an export carries them all, so that nothing is lost.
    """

    email: str
    frequency: Frequency = Frequency.DAILY
    topics: tuple[str, ...] = ()
    name: str | None = None
    slot: str | None = None
    language: str = "de"
    status: SubscriberStatus | None = None
    created: datetime | None = None
    confirmed: datetime | None = None
    unsubscribed: datetime | None = None
    unsubscribe_reason: str | None = None
    consent: ImportedConsent | None = None
    # Newsletters subscribed to; None: the one named like the frequency (as before newsletters).
    newsletters: tuple[str, ...] | None = None
    # The reader's IANA zone (checked by the importer); None: the site's.
    timezone: str | None = None


__all__ = [
    "NAME_MAX_LENGTH", "ConsentRecord", "Frequency", "ImportedConsent", "NewSubscriber", "Subscriber",
    "SubscriberStatus", "clean_name",
]
