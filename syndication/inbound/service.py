"""Reading inbound mail into send events: the IMAP poll and the LMTP/SMTP receiver share one processor.

Each mail becomes at most one :class:`~syndication.mail.events.SendEvent`, handed to the event
store, which keeps it once (by the mail's Message-ID) and applies the bounce and complaint
policy. A mail read twice (a second poll, a crash before it was flagged, the same mail by IMAP and
by LMTP) is therefore applied once.

A mailed unsubscribe (the ``mailto:`` of ``List-Unsubscribe``) is applied here, by an
:class:`Unsubscriber`, before its event is stored: it ends the newsletter of the edition its signed
token names, as the one-click link of the same mail does; a token without an edition (a welcome
mail's) ends every newsletter. Ending what is ended already changes nothing, so a mail read again
after a crash loses nothing and does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol
from urllib.parse import unquote, urlsplit

from syndication.clock import Clock
from syndication.errors import ConfigError
from syndication.inbound.parse import parse
from syndication.mail.events import SendEvent
from syndication.mail.verp import VerpCodec

log = logging.getLogger(__name__)


class EventRecorder(Protocol):
    """Where the events go (the real one is ``syndication.events.store.EventStore``, whose policy leaves
    mailed unsubscribes to the :class:`Unsubscriber`)."""

    def record(self, events: Sequence[SendEvent], now: datetime) -> object: ...


@dataclass(frozen=True)
class Ended:
    """What a mailed unsubscribe ended: one newsletter, or (None) every newsletter; ``problem`` says why
    the token's edition did not name a newsletter (unknown edition, newsletter no longer configured)."""

    newsletter: str | None
    problem: str | None = None


class Unsubscriber(Protocol):
    """Applies a mailed unsubscribe (the real one: ``syndication.app.adapters.MailedUnsubscribes``, over the
    subscriber store's own unsubscribe, the one the one-click link uses)."""

    def unsubscribe(self, subscriber_id: int, edition_id: str | None) -> Ended | None:
        """End the newsletter of ``edition_id`` (None: every newsletter); None when there is no such subscriber."""
        ...


@dataclass
class InboundReport:
    read: int = 0
    bounce: int = 0
    deferred: int = 0
    complaint: int = 0
    unsubscribe: int = 0
    # Ours by its form, but without a validly signed id (forged, or from before VERP).
    unmatched: int = 0
    # Not a bounce, complaint or unsubscribe.
    ignored: int = 0
    # Read before: stored and applied the first time.
    duplicates: int = 0

    def add(self, other: InboundReport) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def summary(self) -> str:
        return ", ".join(f"{getattr(self, field.name)} {field.name.replace('_', ' ')}" for field in fields(self))


class InboundProcessor:
    def __init__(self, bounces: VerpCodec | None, unsubscribes: VerpCodec, events: EventRecorder,
                 clock: Clock, unsubscriber: Unsubscriber) -> None:
        self.bounces = bounces
        self.unsubscribes = unsubscribes
        self.events = events
        self.clock = clock
        self.unsubscriber = unsubscriber

    def process(self, raw: bytes, recipients: Sequence[str] = ()) -> InboundReport:
        """Parse one mail and record its event; the report counts what it was."""
        now = self.clock.now()
        parsed = parse(raw, self.bounces, self.unsubscribes, now, recipients)
        report = InboundReport(read=1)
        if parsed.problem is not None:
            log.error("inbound: mail %s: %s; nothing changed", parsed.mail_id, parsed.problem)
        if not parsed.events:
            setattr(report, parsed.outcome, 1)
            return report
        if parsed.outcome == "unsubscribe" and not self._unsubscribe(parsed.mail_id, parsed.events[0]):
            report.unmatched = 1
            return report
        outcome = self.events.record(parsed.events, now)
        if getattr(outcome, "duplicates", 0):
            report.duplicates = 1
        else:
            setattr(report, parsed.outcome, 1)
        return report

    def _unsubscribe(self, mail: str, event: SendEvent) -> bool:
        """Apply a mailed unsubscribe; False (logged) when its subscriber is not in the store."""
        if event.subscriber_id is None:
            return False
        ended = self.unsubscriber.unsubscribe(event.subscriber_id, event.edition_id)
        if ended is None:
            log.error("inbound: mail %s: unsubscribe of subscriber %s, who is not in the store (erased?); "
                      "nothing changed", mail, event.subscriber_id)
            return False
        if ended.problem is not None:
            log.error("inbound: mail %s: %s; subscriber %s is unsubscribed from every newsletter", mail,
                      ended.problem, event.subscriber_id)
        elif ended.newsletter is None:
            log.info("inbound: mail %s: the token names no edition (a welcome mail, or sent before newsletters); "
                     "subscriber %s is unsubscribed from every newsletter", mail, event.subscriber_id)
        else:
            log.info("inbound: mail %s: subscriber %s left newsletter %s", mail, event.subscriber_id,
                     ended.newsletter)
        return True


@dataclass(frozen=True)
class ImapTarget:
    scheme: str
    host: str
    port: int
    username: str
    folder: str


def imap_target(url: str, username: str | None) -> ImapTarget:
    parts = urlsplit(url)
    scheme = parts.scheme
    default_port = 993 if scheme == "imaps" else 143
    user = unquote(parts.username) if parts.username else username
    if not user:
        raise ConfigError("inbound.imap_url: no user: write imaps://USER@host/… or set SYNDICATION_IMAP_USERNAME")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapTarget(scheme, parts.hostname or "", parts.port or default_port, user, folder)
