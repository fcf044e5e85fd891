"""Reading inbound mail into send events: the IMAP poll and the LMTP/SMTP receiver share one processor.

Each mail becomes at most one :class:`~syndication.mail.events.SendEvent`, handed to the event
store, which keeps it once (by the mail's Message-ID) and applies the bounce, complaint and
unsubscribe policy. A mail read twice (a second poll, a crash before it was flagged, the same
mail by IMAP and by LMTP) is therefore applied once.
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
    """Where the events go (the real one is ``syndication.events.store.EventStore``)."""

    def record(self, events: Sequence[SendEvent], now: datetime) -> object: ...


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
                 clock: Clock) -> None:
        self.bounces = bounces
        self.unsubscribes = unsubscribes
        self.events = events
        self.clock = clock

    def process(self, raw: bytes, recipients: Sequence[str] = ()) -> InboundReport:
        """Parse one mail and record its event; the report counts what it was."""
        now = self.clock.now()
        parsed = parse(raw, self.bounces, self.unsubscribes, now, recipients)
        report = InboundReport(read=1)
        if not parsed.events:
            setattr(report, parsed.outcome, 1)
            return report
        outcome = self.events.record(parsed.events, now)
        if getattr(outcome, "duplicates", 0):
            report.duplicates = 1
        else:
            setattr(report, parsed.outcome, 1)
        return report


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
