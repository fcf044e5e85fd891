"""End to end: an edition to 2,000 readers through the fake SendGrid, signed events to the real webhook, the report."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from subscribers.model import SubscriberStatus
from subscribers.store import NewSubscriber, SubscriberStore
from syndication.app.editions import build_edition, send_edition
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.delivery.sendgrid import SendGridMessenger
from syndication.delivery.testing import FakeSendGrid, WebhookPoster
from syndication.mail.base import Sender
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import live_server, make_article
from syndication.web import create_app

from .helpers import SECRET, public_key_b64, trusting

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
READERS = 2000


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[tuple[Runtime, ec.EllipticCurvePrivateKey]]:
    key = ec.generate_private_key(ec.SECP256R1())
    runtime = Runtime(settings=trusting(settings, key), secrets=Secrets(secret_key=SECRET), clock=FixedClock(NOW))
    articles = ArticleStore(runtime.engine)
    for number in (1, 2, 3):
        articles.upsert(make_article(number), NOW)
    store = SubscriberStore(runtime.engine, SECRET)
    store.add_many([NewSubscriber(email=f"leser{n}@example.org", name=f"Leser {n}") for n in range(READERS)],
                   now=NOW, status=SubscriberStatus.ACTIVE, consent_form="test", wording_version="1")
    yield runtime, key
    runtime.close()


def _event(message: Any, kind: str, **extra: Any) -> dict[str, Any]:
    return {"email": message.email, "timestamp": int(NOW.timestamp()), "event": kind,
            "sg_event_id": uuid.uuid4().hex, "sg_message_id": f"{message.message_id}.0", **message.custom_args,
            **extra}


def test_report_counts_exactly_the_events_and_the_bad_addresses_are_suppressed(
    world: tuple[Runtime, ec.EllipticCurvePrivateKey], tmp_path: Path, settings: Settings,
) -> None:
    """2,000 sent; 30 hard bounces, 5 spam reports, 3 unsubscribes, 100 clicks, some posted twice or replayed."""
    runtime, key = world
    edition = build_edition(runtime, "daily", publish=False)
    assert edition is not None
    urls = [make_article(number).url for number in (1, 2, 3)]
    ids = [make_article(number).id for number in (1, 2, 3)]
    with live_server(create_app(runtime)) as base_url, FakeSendGrid() as fake:
        messenger = SendGridMessenger(runtime.settings.delivery.sendgrid.model_copy(update={"api_url": fake.url}),
                                      fake.api_key, Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau"))
        sent = send_edition(runtime, edition.id, messenger=messenger, echo=lambda _: None)
        messenger.close()
        messages = sorted(fake.accepted, key=lambda m: int(m.custom_args["subscriber_id"]))
        rng = random.Random(14)
        shuffled = rng.sample(messages, len(messages))
        bounced, rest = shuffled[:30], shuffled[30:]
        complainers, unsubscribers, clickers = rest[:5], rest[5:8], rest[8:108]
        events = [_event(m, "processed") for m in messages]
        events += [_event(m, "bounce", type="bounce", status="5.1.1", reason=f"550 5.1.1 <{m.email}> unknown")
                   for m in bounced]
        events += [_event(m, "delivered", response="250 OK") for m in rest]
        events += [_event(m, "spamreport") for m in complainers]
        events += [_event(m, "unsubscribe") for m in unsubscribers]
        clicks = [_event(m, "click", url=urls[n % 3]) for n, m in enumerate(clickers)]
        events += clicks
        # SendGrid retries: some events arrive twice in one post, and a whole post is replayed later.
        events += rng.sample(events, 50) + clicks[:10]
        rng.shuffle(events)
        poster = WebhookPoster(f"{base_url}/webhooks/sendgrid", key, now=lambda: NOW.timestamp())
        for start in range(0, len(events), 1000):
            poster(events[start : start + 1000])
        poster(events[:1000])
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": SECRET,
        "SYNDICATION_SUBSCRIBERS__SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_b64(key),
    }
    result = CliRunner().invoke(cli, ["--config", str(CONFIG), "digest", "report", edition.id, "--json"], env=env,
                                obj=CliContext(clock=FixedClock(NOW)), standalone_mode=False)
    assert 0 == result.exit_code, result.output
    report = json.loads(result.output)
    expected = {
        "edition_id": edition.id, "recipients": READERS, "sent": READERS, "delivered": READERS - 30, "deferred": 0,
        "bounced_hard": 30, "bounced_soft": 0, "complaints": 5, "unsubscribes": 3, "unique_clicks": 100,
        "clicks_by_article": sorted(
            [{"article_id": ids[n], "url": urls[n], "clicks": len(range(n, 100, 3))} for n in range(3)],
            key=lambda item: (-item["clicks"], item["article_id"]),
        ),
    }
    assert (READERS, 0) == (sent.sent, sent.failed)
    assert expected == report
    store = SubscriberStore(runtime.engine, SECRET)
    assert all(store.is_suppressed(m.email) for m in bounced + complainers)
    assert not any(store.is_suppressed(m.email) for m in unsubscribers + clickers)
    statuses = {store.get_by_email(m.email).status for m in unsubscribers}  # type: ignore[union-attr]
    assert {SubscriberStatus.UNSUBSCRIBED} == statuses
