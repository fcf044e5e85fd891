"""Fixtures every test module may use: settings in a temporary folder, a clock, databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from syndication.clock import FixedClock
from syndication.config import Settings, SourceConfig, load_settings
from syndication.store.db import open_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"
POSTGRES_ENV = "SYNDICATION_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def _test_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test signs with a known key unless it sets another one."""
    monkeypatch.setenv("SYNDICATION_SECRET_KEY", "test-secret-key-0123456789abcdef")


@pytest.fixture(autouse=True)
def _english_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks English in every test, whatever the machine's locale or config.toml's [site]
    language (syndication.i18n.cli_locale); tests of its German set another language themselves."""
    monkeypatch.setenv("SYNDICATION_LANGUAGE", "en")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The project's default config.toml, with every output folder under tmp_path."""
    env = {
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
    }
    loaded = load_settings(PROJECT_ROOT / "config.toml", env=env)
    content = SourceConfig(name="content", type="folder", path=PROJECT_ROOT / "content")
    return loaded.model_copy(update={"sources": (content,)})


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated SQLite database in the test's temporary folder."""
    created = open_engine(settings.store_url)
    yield created
    created.dispose()


def _postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema of its own; skipped without a server.

    Each test gets its own schema (via search_path), so runs in parallel never collide.
    """
    url = _postgres_url()
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    from sqlalchemy import create_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {exc}")
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database in a schema of its own."""
    created = open_engine(postgres_url)
    yield created
    created.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def unmigrated_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database, not migrated: a migration test upgrades it to the revision it starts
    from, fills it and upgrades it again. Once on SQLite, once on PostgreSQL (skipped where none is reachable)."""
    url = f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = open_engine(url, migrate=False)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """The test runs once on SQLite and once on PostgreSQL (skipped where none is reachable)."""
    if request.param == "sqlite":
        return request.getfixturevalue("engine")
    return request.getfixturevalue("postgres_engine")
