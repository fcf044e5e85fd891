"""SendGrid: one refused or poisoned recipient fails alone; a crash is in doubt only once the request went out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import SendgridConfig
from syndication.delivery.doubt import DeliveryEvidence, doubts
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import deliver
from syndication.delivery.sendgrid import SendGridMessenger
from syndication.delivery.testing import FakeSendGrid
from syndication.mail.base import Sender

from .fakes import FakeMailer, FakeSubscribers, make_options

SENDER = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau")
EDITION = "daily-2026-11-24"


@pytest.fixture
def fake() -> FakeSendGrid:
    with FakeSendGrid(hang_seconds=1.0) as server:
        yield server


def _messenger(fake: FakeSendGrid) -> SendGridMessenger:
    return SendGridMessenger(SendgridConfig(api_url=fake.url, timeout=2), fake.api_key, SENDER)


def _send(engine: Engine, fake: FakeSendGrid, source: FakeSubscribers, mailer: FakeMailer | None = None, **options):  # type: ignore[no-untyped-def]
    messenger = _messenger(fake)
    try:
        return deliver(Ledger(engine), mailer or FakeMailer(), source, messenger, make_options(**options))
    finally:
        messenger.close()


@pytest.mark.parametrize("name_index", [True, False], ids=["named", "bisected"])
def test_400_for_one_personalization_sends_the_others(engine: Engine, fake: FakeSendGrid, name_index: bool) -> None:
    """10 readers, SendGrid refuses the 4th address: 9 sent, the 4th reported by subscriber id, no address."""
    fake.invalid_addresses.add("leser4@example.org")
    fake.name_index = name_index
    report = _send(engine, fake, FakeSubscribers.generated(10))
    assert {f"leser{n}@example.org": 1 for n in range(1, 11) if n != 4} == dict(fake.counts)
    assert (9, 1, 1) == (report.sent, report.failed, report.exit_code)
    assert any(line.startswith("subscriber 4: failed: SendGrid refused") for line in map(str, report.errors))
    assert not any("leser4@" in line for line in map(str, report.errors))


def test_a_400_about_the_sender_still_fails_the_batch_once(engine: Engine, fake: FakeSendGrid) -> None:
    """A refusal not about a personalization (the from address) is not split: one request, the batch failed."""
    fake.fail_next(1, "400")
    report = _send(engine, fake, FakeSubscribers.generated(10))
    assert (0, 10, 1) == (report.sent, report.failed, fake.requests)


def test_5000_readers_with_3_poisoned_records(engine: Engine, fake: FakeSendGrid) -> None:
    """3 records that cannot be sent fail alone with a reason; 4,997 are delivered; a rerun sends nothing more."""
    source = FakeSubscribers.generated(5000)
    source.by_id[17] = replace(source.by_id[17], email="leser17@example.org\r\nBcc: victim@example.net")
    source.by_id[2500] = replace(source.by_id[2500], name="Leser \udcff")
    source.by_id[4999] = replace(source.by_id[4999], name="Kaputt")
    source.by_id[3000] = replace(source.by_id[3000], name="Anna\r\nBcc: victim@example.net")

    class OneBrokenRecord(FakeMailer):
        def recipient(self, subscriber):  # type: ignore[no-untyped-def]
            if subscriber.name == "Kaputt":
                raise KeyError("greeting")
            return super().recipient(subscriber)

    report = _send(engine, fake, source, OneBrokenRecord(), batch_size=1000)
    assert (4997, 3, 1, 4997) == (report.sent, report.failed, report.exit_code, sum(fake.counts.values()))
    failed = sorted(line.split(":")[0] for line in map(str, report.errors) if line.startswith("subscriber"))
    assert ["subscriber 17", "subscriber 2500", "subscriber 4999"] == failed
    assert not any("victim" in line or "@" in line for line in map(str, report.errors))
    assert 1 == fake.counts["leser3000@example.org"]  # a CR/LF name is cleaned, not poison
    again = _send(engine, fake, source, OneBrokenRecord(), batch_size=1000)
    assert (4997, 3, 0, 4997) == (again.sent, again.failed, again.sent_now, sum(fake.counts.values()))


def test_template_error_in_one_variant_fails_that_variant_only(engine: Engine, fake: FakeSendGrid) -> None:
    """The body of the "Sport" variant cannot be made: its readers fail with the reason, the others get theirs."""
    source = FakeSubscribers.generated(9, topics=(("Sport",), ("Politik",), ()))

    class BrokenSport(FakeMailer):
        def body(self, variant_key):  # type: ignore[no-untyped-def]
            if variant_key == "Sport":
                raise ValueError("undefined block 'results'")
            return super().body(variant_key)

    report = _send(engine, fake, source, BrokenSport())
    assert (6, 3, 1) == (report.sent, report.failed, report.exit_code)
    assert any("variant Sport" in line and "undefined block" in line for line in map(str, report.errors))


def test_crash_before_the_body_is_written_is_not_in_doubt(engine: Engine, fake: FakeSendGrid) -> None:
    """Killed while the request is built (or no connection yet): the batch goes back to pending and is sent."""
    source = FakeSubscribers.generated(20)

    class DiesWhileBuilding(SendGridMessenger):
        def payload(self, batch):  # type: ignore[no-untyped-def]
            if batch.key.endswith("/2"):
                raise KeyboardInterrupt
            return super().payload(batch)

    messenger = DiesWhileBuilding(SendgridConfig(api_url=fake.url), fake.api_key, SENDER)
    with pytest.raises(KeyboardInterrupt):
        deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())
    report = _send(engine, fake, source)
    assert (20, 0, 10) == (report.sent, report.in_doubt, report.sent_now)
    assert {f"leser{n}@example.org": 1 for n in range(1, 21)} == dict(fake.counts)


def _crash_after_acceptance(engine: Engine, fake: FakeSendGrid, source: FakeSubscribers, batch_suffix: str) -> None:
    class DiesAfterAccepted(SendGridMessenger):
        def send(self, batch, observer=None):  # type: ignore[no-untyped-def]
            receipts = super().send(batch, observer)
            if batch.key.endswith(batch_suffix):
                raise KeyboardInterrupt  # the 202 came, but the process dies before recording it
            return receipts

    messenger = DiesAfterAccepted(SendgridConfig(api_url=fake.url), fake.api_key, SENDER)
    with pytest.raises(KeyboardInterrupt):
        deliver(Ledger(engine), FakeMailer(), source, messenger, make_options())


def test_events_settle_a_batch_in_doubt(engine: Engine, fake: FakeSendGrid) -> None:
    """A crash after SendGrid accepted batch 2: in doubt; its "processed" events settle it as sent, no resend."""
    evidence = DeliveryEvidence(lambda: engine)
    received: list[dict] = []  # type: ignore[type-arg]
    fake.event_sink = received.extend
    source = FakeSubscribers.generated(30)
    _crash_after_acceptance(engine, fake, source, "/2")
    rerun = _send(engine, fake, source)
    assert (20, 10) == (rerun.sent, rerun.in_doubt)
    assert list(range(11, 21)) == [d.subscriber_id for d in doubts(engine, EDITION)]
    evidence.observe(received, FixedClock().now())
    final = _send(engine, fake, source)
    assert (30, 0, 0, 0) == (final.sent, final.in_doubt, final.sent_now, final.exit_code)
    assert ([], {f"leser{n}@example.org": 1 for n in range(1, 31)}) == (doubts(engine, EDITION), dict(fake.counts))


def test_without_events_in_time_a_doubtful_batch_is_sent_again(engine: Engine, fake: FakeSendGrid) -> None:
    """Events arrive for the edition but none for the batch in doubt: after in_doubt_wait it is sent again."""
    evidence = DeliveryEvidence(lambda: engine)
    source = FakeSubscribers.generated(30)
    _crash_after_acceptance(engine, fake, source, "/2")
    # Say SendGrid lost batch 2 after all: no event will come for it.
    fake.accepted.clear()
    fake.counts.clear()
    received: list[dict] = []  # type: ignore[type-arg]
    fake.event_sink = received.extend
    clock = FixedClock()
    waiting = _send(engine, fake, source, clock=clock)
    evidence.observe(received, clock.now())
    still = _send(engine, fake, source, clock=FixedClock(clock.now() + timedelta(minutes=29)))
    later = _send(engine, fake, source, clock=FixedClock(clock.now() + timedelta(minutes=31)))
    assert (10, 10, 10, 0) == (waiting.in_doubt, still.in_doubt, later.sent_now, later.in_doubt)
    assert {f"leser{n}@example.org": 1 for n in range(11, 31)} == dict(fake.counts)

