"""Fixtures for the subscriber tests: a runtime on a fixed clock, and the real app on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import ec
from live_server import TEST_KEY, LiveServer, public_key_b64, serve, with_subscribers
from sqlalchemy import Engine

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.runtime import Runtime
from syndication.store.db import open_engine

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
CLI_SECRET = "test-secret-key-0123456789abcdef"
CLI_NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
Invoke = Callable[..., Result]


@pytest.fixture
def webhook_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key pair standing in for SendGrid's signing key."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, webhook_key: ec.EllipticCurvePrivateKey) -> Iterator[Runtime]:
    """A runtime on the fixed clock, with the test webhook key configured."""
    configured = with_subscribers(settings, sendgrid_webhook_public_key=public_key_b64(webhook_key))
    created = Runtime(settings=configured, secrets=Secrets(secret_key=TEST_KEY), clock=clock)
    yield created
    created.close()


@pytest.fixture
def live(runtime: Runtime) -> Iterator[LiveServer]:
    """The real app (syndication.web.create_app) served by uvicorn on a free loopback port."""
    yield from serve(runtime)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database the command line runs on: a SQLite file under var/, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'syndication.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store_engine(store_url: str) -> Iterator[Engine]:
    """An engine on the command line's database, migrated."""
    created = open_engine(store_url)
    yield created
    created.dispose()


@pytest.fixture
def store_cli(tmp_path: Path, store_url: str) -> Invoke:
    """Runs the command line (any command) on that database, with var/public/outbox in tmp_path, at CLI_NOW."""
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_STORE__URL": store_url,
        "SYNDICATION_SECRET_KEY": CLI_SECRET,
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(CONFIG), *args], env=env,
                                  obj=CliContext(clock=FixedClock(CLI_NOW)), standalone_mode=False)

    return invoke
