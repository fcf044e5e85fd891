"""The SMTP backend against aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import email
import smtplib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default

import pytest
from hypothesis import given
from hypothesis import strategies as st
from machine import free_port, running_smtp
from sqlalchemy import Engine

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.app.adapters import StoreBounces, StoreRecipients
from syndication.clock import FixedClock
from syndication.config import SmtpConfig
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import deliver
from syndication.delivery.smtp import SmtpMessenger, dot_stuffed
from syndication.mail.base import Batch, DeliveryFailed, Sender

from .fakes import FakeMailer, FakeSubscribers, make_options

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)

SENDER = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau", "leserbriefe@pfalz-rundschau.example")


class Collecting:
    """An aiosmtpd handler that keeps each envelope; can refuse recipients containing a marker."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.sessions: set[int] = set()
        # address → (reply at RCPT, how many more times); reply at DATA for these addresses.
        self.refuse_rcpt: dict[str, list[object]] = {}
        self.refuse_data: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.startswith("refused"):
            return "550 5.1.1 mailbox unavailable"
        planned = self.refuse_rcpt.get(address)
        if planned is not None and planned[1]:
            planned[1] -= 1  # type: ignore[operator]
            return planned[0]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        refusal = self.refuse_data.get(envelope.rcpt_tos[0])
        if refusal is not None:
            return refusal
        self.sessions.add(id(session))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return f"250 2.0.0 Ok: queued as Q{len(self.envelopes)}"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collecting, int]]:
    handler = Collecting()
    with running_smtp(handler) as port:
        yield handler, port


def _messenger(port: int) -> SmtpMessenger:
    config = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=5)
    return SmtpMessenger(config, SENDER, FixedClock())


def _parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default)  # type: ignore[return-value]


def test_each_message_reaches_exactly_its_recipient(engine: Engine, smtp_server: tuple[Collecting, int]) -> None:
    """One envelope per subscriber, RCPT TO only their address, To header the same."""
    handler, port = smtp_server
    messenger = _messenger(port)
    report = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(12), messenger, make_options(batch_size=5))
    messenger.close()
    pairs = sorted(
        (rcpts[0], _parsed(raw)["To"].addresses[0].addr_spec, len(rcpts)) for _, rcpts, raw in handler.envelopes
    )
    assert sorted((f"leser{n}@example.org", f"leser{n}@example.org", 1) for n in range(1, 13)) == pairs
    assert (12, 1) == (report.sent, len(handler.sessions))


def test_message_has_both_parts_text_first_and_list_headers(smtp_server: tuple[Collecting, int]) -> None:
    """multipart/alternative, text/plain then text/html, personalised, with List-* and ids."""
    handler, port = smtp_server
    mailer = FakeMailer()
    subscriber = FakeSubscribers.generated(1).by_id[1]
    messenger = _messenger(port)
    messenger.send(Batch("k", mailer.body("all"), (mailer.recipient(subscriber),), mailer.shared_headers()))
    messenger.close()
    message = _parsed(handler.envelopes[0][2])
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert ("multipart/alternative", ["text/plain", "text/html"]) == (message.get_content_type(), parts)
    assert "Guten Morgen, Leser 1" in message.get_body(("plain",)).get_content()
    assert "List-Unsubscribe=One-Click" == message["List-Unsubscribe-Post"]
    assert message["List-Unsubscribe"].startswith("<https://www.pfalz-rundschau.example/unsubscribe?token=t1>")
    assert "<newsletter.pfalz-rundschau.example>" in message["List-Id"]
    assert ("<daily-2026-11-24.1@pfalz-rundschau.example>", "leserbriefe@pfalz-rundschau.example") == (
        message["Message-ID"], message["Reply-To"])
    assert message["Date"] is not None


def test_lines_starting_with_a_dot_arrive_unchanged(smtp_server: tuple[Collecting, int]) -> None:
    """Lines that start with dots are stuffed on the wire and arrive as written."""
    handler, port = smtp_server
    mailer = FakeMailer()
    text = ".Punkt am Anfang\n..zwei Punkte\n.\nEnde\n"
    body = replace(mailer.body("all"), text=text)
    messenger = _messenger(port)
    messenger.send(Batch("k", body, (mailer.recipient(FakeSubscribers.generated(1).by_id[1]),)))
    messenger.close()
    arrived = _parsed(handler.envelopes[0][2]).get_body(("plain",)).get_content()
    assert text == arrived.replace("\r\n", "\n")


@given(st.binary(max_size=60).map(lambda raw: raw.translate(bytes.maketrans(b"\x00\x01\x02\x03", b".\r\nA"))))
def test_dot_stuffing_is_byte_for_byte_smtplibs(data: bytes) -> None:
    """dot_stuffed gives exactly the bytes smtplib's DATA sends, for any mix of dots and line ends."""
    expected = smtplib._quote_periods(data)
    expected = (expected if expected.endswith(b"\r\n") else expected + b"\r\n") + b".\r\n"
    assert expected == dot_stuffed(data)


def test_server_reply_is_the_provider_id(smtp_server: tuple[Collecting, int]) -> None:
    """The receipt carries the server's queue reply."""
    _, port = smtp_server
    mailer = FakeMailer()
    messenger = _messenger(port)
    recipient = mailer.recipient(FakeSubscribers.generated(1).by_id[1])
    receipts = messenger.send(Batch("k", mailer.body("all"), (recipient,)))
    messenger.close()
    assert "2.0.0 Ok: queued as Q1" == receipts[0].provider_id


def test_reconnects_when_the_server_drops_the_connection(smtp_server: tuple[Collecting, int]) -> None:
    """A dropped connection between batches is reopened; both batches arrive."""
    handler, port = smtp_server
    mailer = FakeMailer()
    subscribers = FakeSubscribers.generated(2).by_id
    messenger = _messenger(port)
    messenger.send(Batch("a", mailer.body("all"), (mailer.recipient(subscribers[1]),)))
    assert messenger._connection is not None
    messenger._connection.sock.close()  # the server side goes away
    messenger.send(Batch("b", mailer.body("all"), (mailer.recipient(subscribers[2]),)))
    messenger.close()
    assert 2 == len(handler.envelopes)


def test_refused_recipient_fails_the_batch_keeping_the_accepted(smtp_server: tuple[Collecting, int]) -> None:
    """550 for one recipient: permanent failure; the messages accepted before it are reported."""
    _, port = smtp_server
    mailer = FakeMailer()
    good = mailer.recipient(FakeSubscribers.generated(1).by_id[1])
    bad = type(good)("refused@example.org", "<r@x>")
    messenger = _messenger(port)
    with pytest.raises(DeliveryFailed) as caught:
        messenger.send(Batch("k", mailer.body("all"), (good, bad)))
    messenger.close()
    assert (False, ["leser1@example.org"]) == (caught.value.retryable, [r.email for r in caught.value.accepted])
    assert "refused@" not in str(caught.value)


def test_unreachable_server_is_retryable() -> None:
    """Nobody listening: a retryable DeliveryFailed."""
    mailer = FakeMailer()
    messenger = _messenger(free_port())
    with pytest.raises(DeliveryFailed) as caught:
        messenger.send(Batch("k", mailer.body("all"), (mailer.recipient(FakeSubscribers.generated(1).by_id[1]),)))
    assert True is caught.value.retryable


def _store_with_readers(engine: Engine, count: int) -> SubscriberStore:
    store = SubscriberStore(engine, "test-secret-key-0123456789abcdef")
    for number in range(1, count + 1):
        store.add(f"leser{number}@example.org", now=NOW, status=SubscriberStatus.ACTIVE, name=f"Leser {number}")
    return store


def _send_through_store(engine: Engine, store: SubscriberStore, port: int):  # type: ignore[no-untyped-def]
    messenger = _messenger(port)
    try:
        return deliver(Ledger(engine), FakeMailer(), StoreRecipients(store), messenger, make_options(),
                       bounces=StoreBounces(store))
    finally:
        messenger.close()


def test_one_refused_address_bounces_alone_and_is_suppressed(
    engine: Engine, smtp_server: tuple[Collecting, int]
) -> None:
    """10 readers, the 4th refused with 550 5.1.1 at RCPT: 9 sent, 1 bounced and suppressed; a rerun sends nothing."""
    handler, port = smtp_server
    store = _store_with_readers(engine, 10)
    handler.refuse_rcpt["leser4@example.org"] = ["550 5.1.1 <leser4@example.org>: user unknown", 99]
    report = _send_through_store(engine, store, port)
    delivered = sorted(rcpts[0] for _, rcpts, _ in handler.envelopes)
    assert sorted(f"leser{n}@example.org" for n in range(1, 11) if n != 4) == delivered
    assert (9, 1, 0, 1) == (report.sent, report.bounced, report.failed, report.exit_code)
    bounced = store.get_by_email("leser4@example.org")
    assert bounced is not None
    assert (SubscriberStatus.BOUNCED, True) == (bounced.status, store.is_suppressed("leser4@example.org"))
    assert not any("leser4@" in line for line in map(str, report.errors))
    again = _send_through_store(engine, store, port)
    assert (9, 0, 9) == (again.sent, again.sent_now, len(handler.envelopes))


def test_temporary_refusal_is_retried_by_the_next_run(engine: Engine, smtp_server: tuple[Collecting, int]) -> None:
    """A 450 at RCPT defers that reader alone (not suppressed); the next run delivers to them."""
    handler, port = smtp_server
    store = _store_with_readers(engine, 5)
    handler.refuse_rcpt["leser2@example.org"] = ["450 4.2.1 mailbox busy, try later", 1]
    first = _send_through_store(engine, store, port)
    assert (4, 1, 0) == (first.sent, first.failed, first.bounced)
    assert False is store.is_suppressed("leser2@example.org")
    second = _send_through_store(engine, store, port)
    assert (5, 0, 1, 0) == (second.sent, second.failed, second.sent_now, second.exit_code)
    assert 5 == len(handler.envelopes)


def test_refusal_at_data_fails_that_reader_only(engine: Engine, smtp_server: tuple[Collecting, int]) -> None:
    """554 5.7.1 after DATA (content refused) fails the one message without suppressing; 5.1.1 at DATA bounces."""
    handler, port = smtp_server
    store = _store_with_readers(engine, 4)
    handler.refuse_data["leser1@example.org"] = "554 5.7.1 message refused by policy"
    handler.refuse_data["leser3@example.org"] = "550 5.1.1 no such user here"
    report = _send_through_store(engine, store, port)
    assert (2, 1, 1) == (report.sent, report.failed, report.bounced)
    assert (False, True) == (store.is_suppressed("leser1@example.org"), store.is_suppressed("leser3@example.org"))


def test_a_message_that_cannot_be_built_fails_alone(engine: Engine, smtp_server: tuple[Collecting, int]) -> None:
    """A reader whose name is not valid Unicode fails with a reason; a CR/LF name is cleaned and delivered."""
    handler, port = smtp_server
    source = FakeSubscribers.generated(4)
    source.by_id[2] = replace(source.by_id[2], name="Leser \udcff")
    source.by_id[3] = replace(source.by_id[3], name="Leser\r\nBcc: victim@example.net")
    messenger = _messenger(port)
    report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    messenger.close()
    assert (3, 1, 1) == (report.sent, report.failed, report.exit_code)
    assert any(line.startswith("subscriber 2: failed: the name cannot be encoded") for line in map(str, report.errors))
    third = next(_parsed(raw) for _, rcpts, raw in handler.envelopes if rcpts == ["leser3@example.org"])
    assert ("Leser Bcc: victim@example.net", None) == (third["To"].addresses[0].display_name, third["Bcc"])
