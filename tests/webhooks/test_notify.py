"""The features tell the webhooks' outbox what happened; a failing endpoint never slows a send."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from standardwebhooks.webhooks import Webhook

from subscribers.model import Frequency
from subscribers.service import Consent
from syndication.app import App
from syndication.app.editions import build_edition, send_edition
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock, SystemClock
from syndication.config import Secrets, Settings, WebhookConfig, load_settings
from syndication.errors import ConfigError
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore
from syndication.webhooks.outbox import WebhookOutbox
from syndication.webhooks.tables import webhook_deliveries

from .receiver import black_hole, receiver

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def _runtime(settings: Settings, engine: Engine, clock: FixedClock, url: str) -> Runtime:
    hooks = (WebhookConfig(name="crm", url=url, timeout=30),)
    configured = settings.model_copy(update={"webhooks": hooks})
    runtime = Runtime(settings=configured, secrets=Secrets.from_env(), clock=clock)
    runtime.__dict__["engine"] = engine
    runtime.notifier = WebhookOutbox(engine, hooks, clock)
    return runtime


def _queued(engine: Engine) -> list[tuple[str, dict[str, object]]]:
    with engine.connect() as connection:
        rows = connection.execute(select(webhook_deliveries).order_by(webhook_deliveries.c.id)).mappings().all()
    return [(row["event_type"], json.loads(row["payload"])["data"]) for row in rows]


def test_edition_built_and_sent_are_queued_and_a_dead_endpoint_does_not_slow_the_send(
    settings: Settings, engine: Engine, clock: FixedClock,
) -> None:
    """Build and send to the outbox with a receiver that never answers (30 s time-out): the send takes no
    time-out, both events wait in the outbox, and a second send of the same slot queues nothing new."""
    with black_hole() as dead_url:
        runtime = _runtime(settings, engine, clock, dead_url)
        run_collect(runtime.settings, ArticleStore(engine), clock)
        App(runtime).seed_demo_subscribers()
        edition = build_edition(runtime, "daily")
        assert edition is not None
        began = time.monotonic()
        report = send_edition(runtime, edition.id, "06:00", echo=lambda _line: None)
        took = time.monotonic() - began
        send_edition(runtime, edition.id, "06:00", echo=lambda _line: None)
    queued = _queued(engine)
    assert ["edition.built", "edition.sent"] == [event for event, _ in queued]
    assert {"edition_id": edition.id, "slot": "06:00", "sent": report.sent} == {
        key: queued[1][1][key] for key in ("edition_id", "slot", "sent")}
    assert report.sent > 0
    assert took < 10, f"the send took {took:.1f} s: it waited for the webhook receiver"


def test_subscriber_confirm_unsubscribe_and_erase_are_queued_without_the_erased_address(
    settings: Settings, engine: Engine, clock: FixedClock,
) -> None:
    """Confirmation, unsubscribe and erasure each queue their event; after erasure no payload names the address."""
    runtime = _runtime(settings, engine, clock, "http://127.0.0.1:9/")
    service = App(runtime).subscription_service()
    outgoing = service.request("nina@example.org", topics=(), frequency=Frequency.DAILY, consent=Consent(form="t"))
    assert outgoing is not None
    subscriber, _ = service.confirm(outgoing.context["confirm_url"].split("token=")[1], Consent(form="t"))
    confirmed = _queued(engine)
    service.unsubscribe(subscriber, "one-click")
    service.forget("nina@example.org")
    queued = _queued(engine)
    assert [("subscriber.confirmed", {"subscriber_id": subscriber.id, "email": "nina@example.org"})] == confirmed
    assert ["subscriber.confirmed", "subscriber.unsubscribed", "subscriber.erased"] == [e for e, _ in queued]
    assert "nina@example.org" not in json.dumps(queued)
    assert {"subscriber_id": subscriber.id} == queued[2][1]
    database = Path(settings.store_url.removeprefix("sqlite:///"))
    files = [path for path in database.parent.glob(database.name + "*") if path.is_file()]
    assert files and not any(b"nina@example.org" in path.read_bytes() for path in files)


def _config_with(tmp_path: Path, webhooks: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.read_text(encoding="utf-8") + "\n" + webhooks, encoding="utf-8")
    return path


def test_cli_secret_is_a_standard_webhooks_secret_and_deliver_posts(tmp_path: Path) -> None:
    """`webhooks secret` prints an environment line whose whsec_ value signs; `webhooks deliver` posts with it."""
    runner = CliRunner()
    made = runner.invoke(cli, ["--config", str(CONFIG), "webhooks", "secret", "crm"],
                         obj=CliContext(clock=FixedClock()))
    name, _, value = made.stdout.strip().partition("=")
    assert ("SYNDICATION_WEBHOOK_CRM_SECRET", True) == (name, value.startswith("whsec_"))
    env = {"SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"), name: value}
    with receiver() as hook:
        config = _config_with(tmp_path, f'[[webhooks]]\nname = "crm"\nurl = "{hook.url}"\n')
        settings = load_settings(config, env=env)
        runtime = Runtime(settings=settings, secrets=Secrets.from_env(env), clock=SystemClock())
        WebhookOutbox(runtime.engine, settings.webhooks, runtime.clock).notify("edition.built", {"edition_id": "x"})
        runtime.close()
        delivered = runner.invoke(cli, ["--config", str(config), "webhooks", "deliver"], env=env,
                                  obj=CliContext(clock=SystemClock()))
    assert (0, "1 delivered, 0 to retry, 0 given up, 0 postponed") == (delivered.exit_code, delivered.stdout.strip())
    assert "edition.built" == Webhook(value).verify(hook.requests[0].body, hook.requests[0].headers)["type"]


@pytest.mark.parametrize("bad", ["ftp://example.org/x", "not a url"])
def test_bad_webhook_url_is_refused_naming_the_key(bad: str, tmp_path: Path) -> None:
    """A [[webhooks]] url that is not http(s) is a config error naming webhooks.0.url."""
    config = _config_with(tmp_path, f'[[webhooks]]\nname = "crm"\nurl = "{bad}"\n')
    with pytest.raises(ConfigError, match=r"webhooks\.0\.url: bad value"):
        load_settings(config, env={})


def test_bounce_and_complaint_events_queue_their_webhooks_once(
    settings: Settings, engine: Engine, clock: FixedClock,
) -> None:
    """The event policy queues subscriber.bounced / subscriber.complained when it changes a status, once."""
    from subscribers.model import SubscriberStatus
    from syndication.mail.events import BounceType, EventKind, SendEvent

    runtime = _runtime(settings, engine, clock, "http://127.0.0.1:9/")
    store = App(runtime).subscriber_store()
    bouncing = store.add("weg@example.org", now=clock.now(), status=SubscriberStatus.ACTIVE)
    complaining = store.add("spam@example.org", now=clock.now(), status=SubscriberStatus.ACTIVE)
    events = [
        SendEvent("smtp", "mid:<1@mx>", EventKind.BOUNCE, clock.now(), subscriber_id=bouncing.id,
                  bounce_type=BounceType.HARD, smtp_status="5.1.1"),
        SendEvent("smtp", "mid:<2@mx>", EventKind.COMPLAINT, clock.now(), subscriber_id=complaining.id),
    ]
    App(runtime).event_store().record(events, clock.now())
    App(runtime).event_store().record(events, clock.now())
    assert [("subscriber.bounced", bouncing.id, "weg@example.org"),
            ("subscriber.complained", complaining.id, "spam@example.org")] == [
        (event, data["subscriber_id"], data["email"]) for event, data in _queued(engine)]


def test_a_refusal_at_send_time_queues_subscriber_bounced(
    settings: Settings, engine: Engine, clock: FixedClock,
) -> None:
    """An SMTP 5xx at RCPT (suppressed on the spot by the send) is told to the webhooks too."""
    from subscribers.model import SubscriberStatus
    from syndication.app.adapters import StoreBounces

    runtime = _runtime(settings, engine, clock, "http://127.0.0.1:9/")
    store = App(runtime).subscriber_store()
    reader = store.add("weg@example.org", now=clock.now(), status=SubscriberStatus.ACTIVE)
    StoreBounces(store, runtime.notifier).hard_bounce(reader.id, reader.email, "550 5.1.1", clock.now())
    assert [("subscriber.bounced", reader.id)] == [(event, data["subscriber_id"]) for event, data in _queued(engine)]
