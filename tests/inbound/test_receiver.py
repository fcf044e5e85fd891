"""`syndication inbound --listen`: mail forwarded over LMTP (or SMTP) is applied once, and acknowledged only then."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from machine import free_port

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.inbound.receiver import InboundController
from syndication.inbound.service import Ended, InboundProcessor
from syndication.mail.events import SendEvent
from syndication.mail.verp import UNSUBSCRIBE_SALT, VerpCodec

from . import mails

SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
BOUNCES = VerpCodec(SECRET, "bounces@pfalz-rundschau.example")


class Recorded:
    """An event recorder that keeps events once by id, as the event store does; can be made to fail."""

    def __init__(self) -> None:
        self.events: dict[str, SendEvent] = {}
        self.fail = False

    def record(self, events: Sequence[SendEvent], now: datetime) -> object:
        if self.fail:
            raise OSError("database unavailable")
        new = [event for event in events if event.key not in self.events]
        self.events.update({event.key: event for event in new})
        return type("Outcome", (), {"duplicates": len(events) - len(new)})()


class Unsubscribed:
    """An unsubscriber that remembers what it was asked to end."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, str | None]] = []

    def unsubscribe(self, subscriber_id: int, edition_id: str | None) -> Ended | None:
        self.asked.append((subscriber_id, edition_id))
        return Ended(edition_id)


def _wire(raw: bytes) -> bytes:
    """CRLF line ends: smtplib sends bytes as they are."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _processor(recorded: Recorded) -> InboundProcessor:
    unsubscribes = VerpCodec(SECRET, "unsubscribe@pfalz-rundschau.example", salt=UNSUBSCRIBE_SALT)
    return InboundProcessor(BOUNCES, unsubscribes, recorded, FixedClock(NOW), Unsubscribed())


@pytest.mark.parametrize("protocol", ["lmtp", "smtp"])
def test_forwarded_bounce_is_recorded_once(protocol: str) -> None:
    """The same DSN forwarded twice is one event for the VERP address's subscriber; both deliveries are accepted."""
    recorded = Recorded()
    port = free_port()
    controller = InboundController(_processor(recorded), "127.0.0.1", port, protocol=protocol)
    controller.start()
    verp = BOUNCES.address(9, "daily-2026-11-24") or ""
    raw = _wire(mails.dsn(verp, "leser9@example.org", "5.1.1"))
    try:
        client = smtplib.LMTP("127.0.0.1", port) if protocol == "lmtp" else smtplib.SMTP("127.0.0.1", port)
        with client:
            refused = [client.sendmail("", [verp], raw), client.sendmail("", [verp], raw)]
    finally:
        controller.stop()
    assert [{}, {}] == refused
    assert [(9, "daily-2026-11-24", "bounce")] == [
        (event.subscriber_id, event.edition_id, event.kind.value) for event in recorded.events.values()]


def test_envelope_recipient_is_enough_to_find_the_subscriber() -> None:
    """A bounce whose headers do not name our VERP address is still matched by its LMTP envelope recipient."""
    recorded = Recorded()
    port = free_port()
    controller = InboundController(_processor(recorded), "127.0.0.1", port)
    controller.start()
    verp = BOUNCES.address(4, "daily-2026-11-24") or ""
    raw = _wire(mails.qmail_bounce("postmaster@elsewhere.example", "leser4@example.org"))
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            client.sendmail("", [verp], raw)
    finally:
        controller.stop()
    assert [4] == [event.subscriber_id for event in recorded.events.values()]


def test_a_mail_that_cannot_be_stored_is_refused_temporarily() -> None:
    """When the database fails the sender gets 451 (try again later): the bounce is not lost."""
    recorded = Recorded()
    recorded.fail = True
    port = free_port()
    controller = InboundController(_processor(recorded), "127.0.0.1", port)
    controller.start()
    verp = BOUNCES.address(9, "daily-2026-11-24") or ""
    try:
        with smtplib.LMTP("127.0.0.1", port) as client, pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("", [verp], _wire(mails.dsn(verp, "leser9@example.org", "5.1.1")))
    finally:
        controller.stop()
    assert 451 == refused.value.smtp_code


def test_listen_needs_host_and_port() -> None:
    """A malformed --listen is a usage error naming the option."""
    result = CliRunner().invoke(cli, ["inbound", "--listen", "localhost"], obj=CliContext(clock=FixedClock(NOW)))
    assert 0 != result.exit_code
    # The words are the CLI's language's; the option and the expected form are named in every one.
    assert ("--listen localhost", "HOST:PORT") == tuple(
        part for part in ("--listen localhost", "HOST:PORT") if part in str(result.exception)
    )
