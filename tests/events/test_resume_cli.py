"""`digest send` stops at the brake, `syndication status` says why, `digest resume` finishes the send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.app.editions import build_edition, send_edition
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.delivery.ledger import Ledger
from syndication.delivery.statuses import RunStatus
from syndication.events.brake import CounterBrake
from syndication.events.store import EventStore
from syndication.mail.events import BounceType, EventKind, SendEvent
from syndication.runtime import Runtime
from syndication.scheduler.ledger import SendKey, SendLedger, SendStatus
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

from .helpers import SECRET

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
EDITION = "daily-2026-11-24"
Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Invoke:
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": SECRET,
        "SYNDICATION_DELIVERY__BATCH_SIZE": "10",
        "SYNDICATION_DELIVERY__BRAKE_MIN_MESSAGES": "10",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(CONFIG), *args], env=env,
                                  obj=CliContext(clock=FixedClock(NOW)), standalone_mode=False)

    return invoke


def test_a_braked_send_is_shown_by_status_and_resumed_once(run: Invoke, engine: Engine, tmp_path: Path) -> None:
    """Complaints already over the limit: send pauses before a batch; status names it; resume sends all 30 once."""
    ArticleStore(engine).upsert(make_article(1), NOW)
    store = SubscriberStore(engine, SECRET)
    for number in range(30):
        store.add(f"leser{number}@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    EventStore(engine).record(_complaints(), NOW)
    assert 0 == run("digest", "build", "--edition", "daily").exit_code
    paused = run("digest", "send", "--edition", "daily", "--no-progress")
    status = run("status")
    resumed = run("digest", "resume", EDITION, "--no-progress")
    again = run("digest", "resume", EDITION)
    outbox = sorted(path.name for path in (tmp_path / "outbox").rglob("*.eml"))
    assert (1, "PAUSED: complaint rate 5.00%") == (paused.return_value, paused.output.split("; ")[-1][:28])
    assert f"the send of {EDITION} (06:00) is PAUSED: complaint rate 5.00%" in status.output
    assert (1, 0, "30 sent (30 now)") == (status.return_value, resumed.return_value, resumed.output.split(": ")[1][:16])
    assert ("no paused send to resume" in str(again.exception), 30) == (True, len(outbox))


def test_resume_sends_a_held_send_whose_time_came_while_paused(run: Invoke, engine: Engine, tmp_path: Path) -> None:
    """The edition paused before its sends started (the console holds them): the 06:00 send's time came while
    it was held (the scheduler recorded it failed), the 12:00 send's has not. `digest resume` sends 06:00 to
    every reader now, once, and releases 12:00 without sending it (the scheduler sends it at its time)."""
    ArticleStore(engine).upsert(make_article(1), NOW)
    store = SubscriberStore(engine, SECRET)
    for number in range(5):
        store.add(f"leser{number}@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    assert 0 == run("digest", "build", "--edition", "daily").exit_code
    for slot in ("06:00", "12:00"):
        Ledger(engine).hold_run(EDITION, slot, RunStatus.PAUSED, "paused in the console", "outbox", NOW)
    sends, key = SendLedger(engine), SendKey("daily", date(2026, 11, 24), "06:00")
    sends.claim(key, NOW)
    sends.set_edition(key, EDITION)
    sends.finish(key, SendStatus.FAILED, NOW, detail="paused in the console")
    resumed = run("digest", "resume", EDITION, "--no-progress")
    outbox = list((tmp_path / "outbox").rglob("*.eml"))
    morning, noon = (Ledger(engine).get_run(EDITION, slot) for slot in ("06:00", "12:00"))
    assert (0, 5, RunStatus.DONE, None) == (
        resumed.return_value, len(outbox), morning.status if morning else None, noon
    )


def test_bounce_brake_and_the_minimum(engine: Engine) -> None:
    """Hard bounces over 5 % of sent pull the brake, but not before the minimum was sent; 0 turns it off."""
    bounces = [SendEvent("sendgrid", f"b{n}", EventKind.BOUNCE, NOW, edition_id=EDITION, subscriber_id=n,
                         bounce_type=BounceType.HARD, slot="06:00") for n in range(6)]
    EventStore(engine).record(bounces, NOW)
    brake = CounterBrake(engine, complaint_brake=0.001, bounce_brake=0.05, min_messages=100)
    off = CounterBrake(engine, complaint_brake=0.001, bounce_brake=0, min_messages=100)
    assert (None, None) == (brake.reason(EDITION, "06:00", 99, 0), off.reason(EDITION, "06:00", 100, 0))
    assert "hard-bounce rate 6.00% (6 of 100 sent)" in (brake.reason(EDITION, "06:00", 100, 0) or "")
    assert brake.reason(EDITION, "06:00", 200, 11) is not None


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, object], str | None]] = []

    def notify(self, event_type: str, data: dict[str, object], *, key: str | None = None,
               connection: object = None) -> None:
        self.events.append((event_type, dict(data), key))


def test_a_pause_is_told_to_the_outgoing_webhooks(settings: Settings, engine: Engine) -> None:
    """The paused send is an `edition.paused` event (keyed, so asking again is the same event)."""
    delivery = settings.delivery.model_copy(update={"batch_size": 10, "brake_min_messages": 10})
    notifier = RecordingNotifier()
    runtime = Runtime(settings=settings.model_copy(update={"delivery": delivery}),
                      secrets=Secrets(secret_key=SECRET), clock=FixedClock(NOW), notifier=notifier)
    try:
        ArticleStore(engine).upsert(make_article(1), NOW)
        SubscriberStore(engine, SECRET).add("anna@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
        EventStore(engine).record(_complaints(), NOW)
        assert build_edition(runtime, "daily", publish=False) is not None
        report = send_edition(runtime, EDITION, echo=lambda _: None)
    finally:
        runtime.close()
    assert report.paused is not None
    paused = [(kind, key, data["sent"], data["pending"]) for kind, data, key in notifier.events
              if kind == "edition.paused"]
    assert [("edition.paused", f"{EDITION}:06:00:paused", 0, 1)] == paused


def _complaints() -> list[SendEvent]:
    events = [SendEvent("sendgrid", f"d{n}", EventKind.DELIVERED, NOW, edition_id=EDITION, subscriber_id=1000 + n,
                        slot="06:00") for n in range(20)]
    events.append(SendEvent("sendgrid", "c1", EventKind.COMPLAINT, NOW, edition_id=EDITION, subscriber_id=1000,
                            slot="06:00"))
    return events
