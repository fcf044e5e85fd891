"""`subscribers forget` erases an address from every table, file and log; its hash still blocks re-import.

The reader goes through the real journey first (sign-up mail, confirmation, welcome mail, a
digest sent through the ledger to the outbox), so that every place an address can end up holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, MetaData, select, text

from subscribers.model import Frequency, SubscriberStatus
from subscribers.service import Consent
from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
ADDRESS = "Erika.Mustermann@Example.org"
NAME = "Erika Unverwechselbar"
Invoke = Callable[..., Result]


def _journey(settings: Settings, store_url: str, store_cli: Invoke, engine: Engine) -> int:
    """Sign-up, confirmation, welcome mail, then a digest to the outbox; returns the subscriber id."""
    configured = settings.model_copy(update={"store": settings.store.model_copy(update={"url": store_url})})
    runtime = Runtime(settings=configured, secrets=Secrets(secret_key=SECRET), clock=FixedClock(NOW))
    try:
        service = App(runtime).subscription_service()
        request = service.request(
            ADDRESS, topics=(), frequency=Frequency.DAILY,
            consent=Consent(form="subscribe-form", ip="203.0.113.7", user_agent="Test"), name=NAME,
        )
        assert request is not None and service.deliver(request)
        subscriber = service.store.get_by_email(ADDRESS)
        token = request.context["confirm_url"].split("token=", 1)[1]
        confirmed, welcome = service.confirm(token, Consent(form="confirm-link", ip="203.0.113.7"))
        assert welcome is not None and service.deliver(welcome)
        assert SubscriberStatus.ACTIVE == confirmed.status
    finally:
        runtime.close()
    articles = ArticleStore(engine)
    for number in (1, 2):
        articles.upsert(make_article(number), NOW)
    assert 0 == store_cli("digest", "build", "--edition", "daily").return_value
    sent = store_cli("digest", "send", "--edition", "daily")
    assert 0 == sent.return_value, sent.output
    return subscriber.id


def _database_text(engine: Engine) -> str:
    """The whole database as text: SQLite's iterdump, or every row of every table on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            return "\n".join(raw.driver_connection.iterdump())  # type: ignore[union-attr]
        finally:
            raw.close()
    metadata = MetaData()
    metadata.reflect(engine)
    lines = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
        # Also what a dump tool would see of sequences, views and functions in this schema.
        for name in connection.execute(text("SELECT table_name FROM information_schema.views")).scalars():
            lines.append(f"view {name}")
    return "\n".join(lines)


def _files_holding(folders: list[Path], needle: bytes) -> list[str]:
    found = []
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and needle in path.read_bytes().lower():
                found.append(str(path))
    return found


def test_forget_leaves_no_trace_in_database_files_or_logs(
    store_cli: Invoke, settings: Settings, store_url: str, store_engine: Engine, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After forget (other case), neither the dump nor var/outbox/public nor the log holds the address."""
    subscriber_id = _journey(settings, store_url, store_cli, store_engine)
    needle = ADDRESS.lower()
    folders = [tmp_path / "var", tmp_path / "outbox", tmp_path / "public"]
    # The traces are really there before, so the test can fail.
    assert needle in _database_text(store_engine).lower()
    assert len(_files_holding([tmp_path / "outbox"], needle.encode())) >= 3
    caplog.set_level(logging.DEBUG)
    caplog.clear()

    result = store_cli("subscribers", "forget", ADDRESS.upper())

    assert 0 == result.return_value, result.output
    dump = _database_text(store_engine).lower()
    assert (0, 0) == (dump.count(needle), dump.count(NAME.lower()))
    assert [] == _files_holding(folders, needle.encode())
    assert needle not in caplog.text.lower()
    assert needle not in result.output.lower()
    # The ledger still knows the edition went to this subscriber id (no resend to a newcomer).
    with store_engine.connect() as connection:
        ledger_ids = connection.execute(text("SELECT subscriber_id FROM delivery_recipients")).scalars().all()
    assert subscriber_id in ledger_ids


def test_forgotten_address_stays_blocked_for_import(store_cli: Invoke, tmp_path: Path, store_engine: Engine) -> None:
    """The keyed hash left behind refuses a later import of the address, in any case."""
    assert 0 == store_cli("subscribers", "add", ADDRESS, "--confirmed").return_value
    assert 0 == store_cli("subscribers", "forget", ADDRESS).return_value
    source = tmp_path / "back.csv"
    source.write_text(f"email,status,consent_action,consent_at\n{ADDRESS.upper()},active,confirmed,{NOW.isoformat()}\n",
                      encoding="utf-8")
    result = store_cli("subscribers", "import", str(source), "--consented")
    assert 1 == result.return_value
    assert f"{source}:2: the address was erased (GDPR) and may not be re-imported" in result.stderr
    assert None is SubscriberStore(store_engine, SECRET).get_by_email(ADDRESS)
