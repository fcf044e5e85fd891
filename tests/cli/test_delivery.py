"""`syndication delivery check|sync-suppressions` against FakeSendGrid, with the real store and a digest send."""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.delivery.testing import FakeSendGrid
from syndication.delivery.testing_account import webhook_settings
from syndication.errors import ConfigError
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine
from syndication.testing import make_article

Invoke = Callable[..., Result]
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The CLI's store: SQLite in the test folder, or a PostgreSQL schema of its own."""
    url = f"sqlite:///{tmp_path / 'var' / 'syndication.db'}" if request.param == "sqlite" else (
        request.getfixturevalue("postgres_url"))
    created = open_engine(url)
    created.dispose()
    yield url


def _invoker(tmp_path: Path, fake: FakeSendGrid, store_url: str | None = None, **extra: str) -> Invoke:
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": SECRET,
        "SENDGRID_API_KEY": fake.api_key,
        "SYNDICATION_DELIVERY__SENDGRID__API_URL": fake.url,
        **({"SYNDICATION_STORE__URL": store_url} if store_url else {}),
        **extra,
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(CONFIG), *args], env=env, standalone_mode=False,
                                  obj=CliContext(clock=FixedClock(NOW)))

    return invoke


def test_check_prints_every_finding_and_exits_0_when_sending_can_work(tmp_path: Path, fake: FakeSendGrid) -> None:
    """A working key with mail.send: one line per finding, warnings included, return code 0."""
    result = _invoker(tmp_path, fake)("delivery", "check")
    assert result.exception is None, result.output
    assert 0 == result.return_value
    lines = result.output.splitlines()
    assert "ok      api key: accepted by " + fake.url + " (8 scopes)" == lines[0]
    assert any(line.startswith("warning event webhook: disabled: ") for line in lines)
    assert any(line.startswith("warning webhook signing: off:") for line in lines)


def test_check_fails_when_our_webhook_is_unsigned(tmp_path: Path, fake: FakeSendGrid) -> None:
    """The webhook posts here but unsigned: this site would refuse every event, so exit code 2."""
    fake.account.event_webhook = webhook_settings("http://localhost:8000/webhooks/sendgrid")
    result = _invoker(tmp_path, fake)("delivery", "check")
    assert isinstance(result.exception, ConfigError) and "webhook signing" in str(result.exception)
    assert "ok      event webhook: enabled, posting to http://localhost:8000/webhooks/sendgrid" in result.output


def test_check_without_mail_send_is_a_config_error(tmp_path: Path, fake: FakeSendGrid) -> None:
    """The key lacks mail.send: the finding is printed, then ConfigError (exit code 2) names 'sending'."""
    fake.account.scopes = {"suppression.bounces.read"}
    result = _invoker(tmp_path, fake)("delivery", "check")
    assert isinstance(result.exception, ConfigError) and 2 == result.exception.exit_code
    assert "the SendGrid account is not ready: sending" in str(result.exception)
    assert "error   sending: the key lacks the mail.send scope" in result.output


def test_check_without_a_key_says_which_variable(tmp_path: Path, fake: FakeSendGrid) -> None:
    """SENDGRID_API_KEY unset: ConfigError naming it, no request made."""
    result = _invoker(tmp_path, fake, SENDGRID_API_KEY="")("delivery", "check")
    assert isinstance(result.exception, ConfigError) and "SENDGRID_API_KEY is not set" in str(result.exception)
    assert [] == fake.account.requested


def test_check_with_a_refused_key(tmp_path: Path, fake: FakeSendGrid) -> None:
    """A key SendGrid refuses: ConfigError (exit code 2), the key not shown."""
    result = _invoker(tmp_path, fake, SENDGRID_API_KEY="SG.old-key")("delivery", "check")
    assert isinstance(result.exception, ConfigError) and "refused" in str(result.exception)
    assert "SG.old-key" not in str(result.exception) + result.output


def test_sync_then_digest_send_skips_what_sendgrid_knows(
    tmp_path: Path, fake: FakeSendGrid, store_url: str
) -> None:
    """After sync-suppressions, the digest goes to the clean reader only; counts printed, no addresses."""
    engine = open_engine(store_url)
    try:
        for number in (1, 2, 3):
            ArticleStore(engine).upsert(make_article(number), NOW)
        store = SubscriberStore(engine, SECRET)
        for address in ("anna@example.org", "bounced@example.org", "angry@example.org", "gone@example.org"):
            store.add(address, now=NOW, status=SubscriberStatus.ACTIVE)
    finally:
        engine.dispose()
    fake.account.add_suppression("bounces", "bounced@example.org")
    fake.account.add_suppression("spam_reports", "angry@example.org")
    fake.account.add_suppression("unsubscribes", "gone@example.org")
    fake.account.add_suppression("bounces", "stranger@example.org")
    run = _invoker(tmp_path, fake, store_url)

    synced = run("delivery", "sync-suppressions")
    assert synced.exception is None, synced.output
    assert (0, True) == (synced.return_value, "4 addresses newly suppressed, 0 already suppressed" in synced.output)
    assert "bounces: 2 listed, 2 new, 0 already suppressed, 1 subscriber's status changed" in synced.output
    assert "@" not in synced.output
    again = run("delivery", "sync-suppressions")
    assert "0 addresses newly suppressed, 4 already suppressed" in again.output

    assert run("digest", "build", "--edition", "daily").exception is None
    sent = run("digest", "send", "--edition", "daily")
    assert sent.exception is None, sent.output
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in (tmp_path / "outbox").glob("*.eml")]
    assert ["anna@example.org"] == [m["To"].addresses[0].addr_spec for m in messages]


def test_sync_with_a_list_the_key_may_not_read_returns_1(tmp_path: Path, fake: FakeSendGrid, engine: Engine) -> None:
    """A list without its scope is named on stderr and the command's code is 1; the other lists are imported."""
    fake.account.scopes.discard("suppression.unsubscribes.read")
    fake.account.add_suppression("bounces", "bounced@example.org")
    result = _invoker(tmp_path, fake)("delivery", "sync-suppressions", "--include-blocks")
    assert result.exception is None, result.output
    assert 1 == result.return_value
    assert "unsubscribes: not read: the API key lacks its scope" in result.output
    assert "blocks: 0 listed" in result.output
    assert SubscriberStore(engine, SECRET).is_suppressed("bounced@example.org")
