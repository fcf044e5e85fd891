"""The complaint brake: a 20,000-recipient send pauses within one batch of passing the threshold; resume finishes it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from delivery.fakes import FakeMailer, FakeSubscribers, make_options
from sqlalchemy import Engine, insert

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.delivery.brake import paused_runs, resume_edition
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import deliver
from syndication.delivery.sendgrid import SendGridMessenger
from syndication.delivery.statuses import RunStatus
from syndication.delivery.testing import FakeSendGrid, WebhookPoster
from syndication.events.brake import CounterBrake
from syndication.events.tables import send_report_counts
from syndication.runtime import Runtime
from syndication.testing import live_server
from syndication.web import create_app

from .helpers import SECRET, trusting

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
COUNT = 20_000
BATCH = 1000
# Recipients who report the mail as spam as soon as they get it: 6 in the 5th batch pass 0.1 % of 5,000.
COMPLAINERS = frozenset(range(4001, 4007))


class DeliveringProvider:
    """Turns each accepted request's "processed" events into "delivered" ones plus the complaints, and posts them."""

    def __init__(self, poster: WebhookPoster) -> None:
        self.poster = poster

    def __call__(self, processed: list[dict[str, Any]]) -> None:
        events = []
        for event in processed:
            events.append({**event, "event": "delivered", "sg_event_id": uuid.uuid4().hex})
            if int(event["subscriber_id"]) in COMPLAINERS:
                events.append({**event, "event": "spamreport", "sg_event_id": uuid.uuid4().hex})
        self.poster(events)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[tuple[Runtime, ec.EllipticCurvePrivateKey]]:
    key = ec.generate_private_key(ec.SECP256R1())
    created = Runtime(settings=trusting(settings, key), secrets=Secrets(secret_key=SECRET), clock=FixedClock(NOW))
    yield created, key
    created.close()


def test_complaints_pause_the_send_within_one_batch_and_resume_sends_everyone_once(
    runtime: tuple[Runtime, ec.EllipticCurvePrivateKey],
) -> None:
    """Complaints pass 0.1 % in batch 5: batch 6 is never taken; `resume` sends the other 15,000, each once."""
    app_runtime, key = runtime
    engine: Engine = app_runtime.engine
    delivery = app_runtime.settings.delivery
    brake = CounterBrake(engine, complaint_brake=delivery.complaint_brake, bounce_brake=delivery.bounce_brake,
                         min_messages=delivery.brake_min_messages)
    subscribers = FakeSubscribers.generated(COUNT)
    options = replace(make_options(batch_size=BATCH), brake=brake)
    with live_server(create_app(app_runtime)) as base_url, FakeSendGrid(record_content=False) as fake:
        fake.event_sink = DeliveringProvider(WebhookPoster(f"{base_url}/webhooks/sendgrid", key,
                                                           now=lambda: NOW.timestamp()))
        messenger = SendGridMessenger(delivery.sendgrid.model_copy(update={"api_url": fake.url}), fake.api_key,
                                      _sender())
        try:
            first = deliver(Ledger(engine), FakeMailer(), subscribers, messenger, options)
            again = deliver(Ledger(engine), FakeMailer(), subscribers, messenger, options)
            paused = paused_runs(engine)
            assert ["06:00"] == resume_edition(engine, "daily-2026-11-24")[0]
            finished = deliver(Ledger(engine), FakeMailer(), subscribers, messenger, options)
        finally:
            messenger.close()
        counts = dict(fake.counts)
    assert (5 * BATCH, 15 * BATCH) == (first.sent, first.pending)
    assert first.paused is not None and "complaint rate 0.12%" in first.paused
    assert (5 * BATCH, 0) == (again.sent, again.sent_now)
    assert [("daily-2026-11-24", "06:00")] == [(edition, slot) for edition, slot, _ in paused]
    assert (COUNT, 15 * BATCH, None) == (finished.sent, finished.sent_now, finished.paused)
    assert {f"leser{n}@example.org": 1 for n in range(1, COUNT + 1)} == counts
    assert RunStatus.DONE == Ledger(engine).get_run("daily-2026-11-24", "06:00").status  # type: ignore[union-attr]


def _sender():  # type: ignore[no-untyped-def]
    from syndication.mail.base import Sender

    return Sender(email="newsletter@pfalz-rundschau.example", name="Pfalz-Rundschau")


def test_the_brake_counts_the_editions_zone_runs_together(engine: Engine) -> None:
    """Three zone runs of 400 delivered with 1 complaint each stay below a minimum of 1,000 one by one; counted
    as the edition (1,200 delivered, 3 complaints: 0.25 %) they pass 0.1 % and the brake pulls."""
    with engine.begin() as connection:
        for zone in ("06:00", "06:00 America/New_York", "06:00 Asia/Tokyo"):
            connection.execute(insert(send_report_counts).values(
                edition_id="morgen-2026-11-24", slot=zone, processed=400, delivered=400, deferred=0, bounced_hard=0,
                bounced_soft=0, dropped=0, complaints=1,
            ))
    brake = CounterBrake(engine, complaint_brake=0.001, bounce_brake=0.05, min_messages=1000)
    reason = brake.reason("morgen-2026-11-24", "06:00 Asia/Tokyo", 1200, 0)
    assert "complaint rate 0.25% (3 of 1200 delivered) passed [delivery] complaint_brake 0.10%" == reason
    assert brake.reason("abend-2026-11-24", "18:00", 400, 0) is None
