"""Erasure from delivery: the ledger keeps its rows without the address, the outbox loses its messages."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData, select

from syndication.clock import FixedClock
from syndication.delivery.erasure import erase_from_delivery
from syndication.delivery.ledger import Ledger
from syndication.delivery.outbox import OutboxMessenger, read_index
from syndication.delivery.send import deliver
from syndication.mail.base import Sender

from .fakes import FakeMailer, FakeSubscribers, make_options

SENDER = Sender("newsletter@pfalz-rundschau.example")


def _send_to_outbox(engine: Engine, outbox: Path, count: int) -> None:
    messenger = OutboxMessenger(outbox, SENDER, FixedClock())
    try:
        deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(count), messenger, make_options())
    finally:
        messenger.close()


def _database_text(engine: Engine) -> str:
    """Every value of every table, as one lower-case text (a full dump)."""
    metadata = MetaData()
    metadata.reflect(engine)
    parts: list[str] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in connection.execute(select(table)))
    return "\n".join(parts).lower()


def _outbox_text(outbox: Path) -> bytes:
    return b"\n".join(path.read_bytes() for path in sorted(outbox.iterdir()) if path.is_file()).lower()


def test_erased_address_is_gone_from_ledger_and_outbox(any_engine: Engine, tmp_path: Path) -> None:
    """After erasure the address (written in another case) is in no table and no outbox file; others stay."""
    outbox = tmp_path / "outbox"
    _send_to_outbox(any_engine, outbox, 5)
    assert "leser3@example.org" in _database_text(any_engine)
    erase_from_delivery(any_engine, 3, "Leser3@Example.ORG", outbox)
    assert "leser3@example.org" not in _database_text(any_engine)
    assert b"leser3@example.org" not in _outbox_text(outbox)
    remaining = sorted(entry.recipient for entry in read_index(outbox))
    assert [f"leser{n}@example.org" for n in (1, 2, 4, 5)] == remaining
    assert 4 == len(list(outbox.glob("*.eml")))


def test_ledger_keeps_the_sent_state_under_the_subscriber_id(engine: Engine, tmp_path: Path) -> None:
    """The erased subscriber's row stays sent (so nothing is resent), with the address blanked."""
    outbox = tmp_path / "outbox"
    _send_to_outbox(engine, outbox, 3)
    erase_from_delivery(engine, 2, "leser2@example.org", outbox)
    sent = Ledger(engine).sent_to("daily-2026-11-24")
    assert [(1, "leser1@example.org"), (2, ""), (3, "leser3@example.org")] == [(s, e) for s, e, _ in sent]
    report = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(3),
                     OutboxMessenger(outbox, SENDER, FixedClock()), make_options())
    assert (3, 0) == (report.sent, report.sent_now)


def test_message_naming_the_address_only_in_its_encoded_body_is_deleted(engine: Engine, tmp_path: Path) -> None:
    """A stored message without an index line whose quoted-printable body names the address is deleted too."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    hidden = (
        b"From: a@pfalz-rundschau.example\r\nTo: someone@example.org\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Weitergeleitet an leser9@exa=\r\nmple.org =C3=BCber den Verteiler\r\n"
    )
    (outbox / "stray.eml").write_bytes(hidden)
    (outbox / ".tmp-left-by-a-crash.part").write_bytes(hidden)
    (outbox / "other.eml").write_bytes(hidden.replace(b"leser9", b"leser8"))
    erase_from_delivery(engine, None, "leser9@example.org", outbox)
    assert ["other.eml"] == sorted(path.name for path in outbox.iterdir())


def test_erasing_an_unknown_address_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    """No ledger row or outbox file of another address is touched; a missing outbox is fine."""
    outbox = tmp_path / "outbox"
    _send_to_outbox(engine, outbox, 2)
    index_before = (outbox / "index.jsonl").read_bytes()
    erase_from_delivery(engine, 99, "nobody@example.org", outbox)
    erase_from_delivery(engine, 99, "nobody@example.org", tmp_path / "missing")
    assert index_before == (outbox / "index.jsonl").read_bytes()
    assert 2 == len(Ledger(engine).sent_to("daily-2026-11-24"))
