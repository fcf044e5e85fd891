"""The outbox backend: one .eml per message plus an index."""

from __future__ import annotations

import email
import os
from email.policy import default
from pathlib import Path
from unittest import mock

from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.delivery.ledger import Ledger
from syndication.delivery.outbox import OutboxMessenger, read_index
from syndication.delivery.send import deliver
from syndication.mail.base import Batch, Sender

from .fakes import FakeMailer, FakeSubscribers, make_options

SENDER = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau", "leserbriefe@pfalz-rundschau.example")


def test_each_message_is_a_parseable_eml_with_an_index_line(tmp_path: Path) -> None:
    """Two recipients: two files that parse, name their recipient, and two index lines pointing at them."""
    mailer = FakeMailer()
    recipients = tuple(mailer.recipient(s) for s in FakeSubscribers.generated(2).by_id.values())
    outbox = OutboxMessenger(tmp_path / "outbox", SENDER, FixedClock())
    receipts = outbox.send(Batch("b1", mailer.body("all"), recipients, mailer.shared_headers()))
    outbox.close()
    entries = list(read_index(tmp_path / "outbox"))
    parsed = [email.message_from_bytes((tmp_path / "outbox" / e.file).read_bytes(), policy=default) for e in entries]
    assert ["leser1@example.org", "leser2@example.org"] == [e.recipient for e in entries]
    assert [e.file for e in entries] == [r.provider_id for r in receipts]
    assert ["Leser 1 <leser1@example.org>", "Leser 2 <leser2@example.org>"] == [str(m["To"]) for m in parsed]
    assert ["text/plain", "text/html"] == [p.get_content_type() for p in parsed[0].iter_parts()]
    assert "Der Morgen (all)" == entries[0].subject
    assert [] == [p.name for p in (tmp_path / "outbox").iterdir() if p.name.startswith(".tmp")]


def test_a_second_copy_gets_its_own_file(tmp_path: Path) -> None:
    """Sending the same message twice never overwrites: the duplicate is visible as a second file."""
    mailer = FakeMailer()
    recipient = mailer.recipient(FakeSubscribers.generated(1).by_id[1])
    outbox = OutboxMessenger(tmp_path, SENDER, FixedClock())
    outbox.send(Batch("b", mailer.body("all"), (recipient,)))
    outbox.send(Batch("b", mailer.body("all"), (recipient,)))
    outbox.close()
    stem = "daily-2026-11-24.1_pfalz-rundschau.example"
    assert [f"{stem}-2.eml", f"{stem}.eml"] == sorted(p.name for p in tmp_path.glob("*.eml"))


def test_reconcile_finds_messages_already_written(tmp_path: Path) -> None:
    """reconcile answers which recipients of a batch already have their file."""
    mailer = FakeMailer()
    first, second = (mailer.recipient(s) for s in FakeSubscribers.generated(2).by_id.values())
    outbox = OutboxMessenger(tmp_path, SENDER, FixedClock())
    outbox.send(Batch("b", mailer.body("all"), (first,)))
    found = outbox.reconcile(Batch("b", mailer.body("all"), (first, second)))
    outbox.close()
    assert ["leser1@example.org"] == [r.email for r in found]


def test_send_edition_to_the_outbox(engine: Engine, tmp_path: Path) -> None:
    """A whole run to the outbox: one file per subscriber, the ledger records file names."""
    outbox = OutboxMessenger(tmp_path / "out", SENDER, FixedClock())
    report = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(23), outbox, make_options())
    outbox.close()
    rows = Ledger(engine).sent_to("daily-2026-11-24")
    assert (23, 23) == (report.sent, len(list((tmp_path / "out").glob("*.eml"))))
    assert all((tmp_path / "out" / provider_id).exists() for _, _, provider_id in rows)


def test_a_message_being_written_is_not_listed_as_a_message(tmp_path: Path) -> None:
    """While the outbox writes a message its file is not "*.eml": a reader globbing messages never sees it half done."""
    outbox = OutboxMessenger(tmp_path, Sender("newsletter@pfalz-rundschau.example"), FixedClock())
    seen: list[list[str]] = []
    real_link = os.link

    def link_and_look(source: str, target: Path) -> None:
        seen.append(sorted(path.name for path in tmp_path.glob("*.eml")))
        real_link(source, target)

    try:
        with mock.patch("os.link", link_and_look):
            name = outbox._place("leser-1", b"Subject: x\r\n\r\nText\r\n")
    finally:
        outbox.close()
    assert ([[]], [name]) == (seen, sorted(path.name for path in tmp_path.glob("*.eml")))
