"""`syndication digest send` with the real edition mailer and subscriber store, to the outbox."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from subscribers.model import Frequency, SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.delivery.ledger import Ledger
from syndication.errors import UsageError
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

Invoke = Callable[..., Result]
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.fixture
def run(tmp_path: Path, engine: Engine) -> Invoke:
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": SECRET,
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--config", str(CONFIG), "digest", *args], env=env, obj=CliContext(clock=FixedClock(NOW))
        )

    return invoke


def _prepare(engine: Engine) -> SubscriberStore:
    articles = ArticleStore(engine)
    for number in (1, 2, 3):
        articles.upsert(make_article(number), NOW)
    store = SubscriberStore(engine, SECRET)
    store.add("anna@example.org", now=NOW, status=SubscriberStatus.ACTIVE, name="Anna")
    store.add("ben@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    store.add("carla@example.org", now=NOW, status=SubscriberStatus.PENDING)
    store.add("dora@example.org", now=NOW, status=SubscriberStatus.ACTIVE, frequency=Frequency.WEEKLY)
    store.add("emil@example.org", now=NOW, status=SubscriberStatus.ACTIVE, slot="18:00")
    return store


def test_send_writes_one_message_per_active_subscriber_of_the_slot(run: Invoke, engine: Engine, tmp_path: Path) -> None:
    """Active daily subscribers of the first slot get one .eml each; pending, weekly and 18:00 do not."""
    _prepare(engine)
    assert 0 == run("build", "--edition", "daily").exit_code
    result = run("send", "--edition", "daily")
    assert 0 == result.exit_code, result.output
    files = (tmp_path / "outbox").glob("*.eml")
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]
    assert ["anna@example.org", "ben@example.org"] == sorted(m["To"].addresses[0].addr_spec for m in messages)
    anna = next(m for m in messages if "anna" in str(m["To"]))
    assert "List-Unsubscribe=One-Click" == anna["List-Unsubscribe-Post"]
    assert "Anna" in anna.get_body(("plain",)).get_content()
    assert "2 sent (2 now), 0 failed, 0 skipped" in result.output
    again = run("send", "--edition", "daily")
    assert "2 sent (0 now)" in again.output and 2 == len(list((tmp_path / "outbox").glob("*.eml")))


def test_evening_slot_and_dry_run(run: Invoke, engine: Engine, tmp_path: Path) -> None:
    """--dry-run lists who would get the 18:00 send and writes nothing; the real send then reaches them."""
    _prepare(engine)
    run("build", "--edition", "daily")
    dry = run("send", "--edition", "daily", "--slot", "18:00", "--dry-run")
    assert 0 == dry.exit_code, dry.output
    assert "emil@example.org\tall\t" in dry.output
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").glob("*.eml"))
    sent = run("send", "--edition", "daily", "--slot", "18:00")
    assert 0 == sent.exit_code, sent.output
    assert [(5, "emil@example.org")] == [(sid, mail) for sid, mail, _ in Ledger(engine).sent_to("daily-2026-11-24")]


def test_unknown_slot_and_missing_edition_are_usage_errors(run: Invoke, engine: Engine) -> None:
    """No edition built yet, or a slot the edition does not have: a UsageError (exit code 2)."""
    missing = run("send", "--edition", "daily").exception
    _prepare(engine)
    run("build", "--edition", "daily")
    wrong_slot = run("send", "--edition", "daily", "--slot", "09:00").exception
    assert (UsageError, UsageError) == (type(missing), type(wrong_slot))
    assert (2, "--slot 09:00: edition 'daily' goes out at 06:00, 12:00, 18:00") == (
        wrong_slot.exit_code, str(wrong_slot))
