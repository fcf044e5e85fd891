"""`syndication digest doubt`: what a crash left in doubt, by subscriber id, and resending exactly that."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.delivery.sending import LedgerObserver
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

from .test_smtp import Collecting, smtp_server  # noqa: F401 - the aiosmtpd fixture

Invoke = Callable[..., Result]
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
EDITION = "daily-2026-11-24"


class SimulatedKill(BaseException):
    """Stands for SIGKILL: nothing after it runs (no except Exception catches it)."""


@pytest.fixture
def run(
    tmp_path: Path, engine: Engine, smtp_server: tuple[Collecting, int], monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> Invoke:
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": SECRET,
        "SYNDICATION_DELIVERY__BACKEND": "smtp",
        "SYNDICATION_DELIVERY__SMTP__HOST": "127.0.0.1",
        "SYNDICATION_DELIVERY__SMTP__PORT": str(smtp_server[1]),
        "SYNDICATION_DELIVERY__SMTP__SECURITY": "none",
    }

    # Set once, while the SMTP server's thread is idle, not by CliRunner around every call: setenv in one thread
    # while another reads the environment (libfaketime does, in the moved-clock run) crashed the process.
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--config", str(CONFIG), "digest", *args], obj=CliContext(clock=FixedClock(NOW)),
            standalone_mode=False,  # the command's exit code is its return value
        )

    return invoke


def _prepare(engine: Engine) -> None:
    articles = ArticleStore(engine)
    for number in (1, 2, 3):
        articles.upsert(make_article(number), NOW)
    store = SubscriberStore(engine, SECRET)
    for name in ("anna", "ben", "carla", "dora"):
        store.add(f"{name}@example.org", now=NOW, status=SubscriberStatus.ACTIVE, name=name.title())


def test_crash_leaves_one_message_in_doubt_listed_and_resent(
    run: Invoke, engine: Engine, smtp_server: tuple[Collecting, int], monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """Killed after the server accepted the 2nd message: only that one is in doubt, by id; resending sends it alone."""
    handler, _ = smtp_server
    _prepare(engine)
    assert 0 == run("build", "--edition", "daily").exit_code
    original = LedgerObserver.accepted

    def dies_on_second(self, receipt):  # type: ignore[no-untyped-def]
        if self.accepted_count == 1:
            raise SimulatedKill
        original(self, receipt)

    monkeypatch.setattr(LedgerObserver, "accepted", dies_on_second)
    with pytest.raises(SimulatedKill):
        run("send", "--edition", "daily")
    monkeypatch.setattr(LedgerObserver, "accepted", original)
    rerun = run("send", "--edition", "daily")
    assert 1 == rerun.return_value and "3 sent (2 now), 0 failed, 0 skipped, 1 in doubt" in rerun.output
    listed = run("doubt", EDITION, "--json")
    assert (1, [2]) == (listed.return_value, [m["subscriber_id"] for m in json.loads(listed.output)["messages"]])
    assert "@" not in listed.output
    plain = run("doubt", EDITION)
    assert "subscriber 2\tslot 06:00\tbatch 1" in plain.output and "1 message(s) in doubt" in plain.output
    resent = run("doubt", EDITION, "--resend-in-doubt")
    assert (0, "0 message(s) in doubt") == (resent.return_value, resent.output.strip().splitlines()[-1].split(": ")[-1])
    received = Counter(rcpts[0] for _, rcpts, _ in handler.envelopes)
    assert {"anna@example.org": 1, "ben@example.org": 2, "carla@example.org": 1, "dora@example.org": 1} == received
