"""Subscriber ids are never handed out twice: a newcomer after an erasure is not taken for the erased reader."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, text

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine, upgrade
from syndication.testing import make_article

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
Invoke = Callable[..., Result]


def _recipients(outbox: Path) -> list[str]:
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    return sorted(m["To"].addresses[0].addr_spec for m in messages)  # type: ignore[attr-defined]


def test_newcomer_after_erasing_the_newest_subscriber_gets_the_next_send(
    store_cli: Invoke, store_engine: Engine, tmp_path: Path
) -> None:
    """The 06:00 send reached the newest reader, who is then erased; a newcomer in 18:00 still gets the edition."""
    articles = ArticleStore(store_engine)
    for number in (1, 2, 3):
        articles.upsert(make_article(number), NOW)
    store = SubscriberStore(store_engine, SECRET)
    store.add("anna@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    newest = store.add("bert@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    assert 0 == store_cli("digest", "build", "--edition", "daily").return_value
    first = store_cli("digest", "send", "--edition", "daily")
    assert 0 == first.return_value, first.output
    assert ["anna@example.org", "bert@example.org"] == _recipients(tmp_path / "outbox")

    assert 0 == store_cli("subscribers", "forget", "bert@example.org").return_value
    assert 0 == store_cli("subscribers", "add", "carla@example.org", "--confirmed", "--slot", "18:00").return_value
    evening = store_cli("digest", "send", "--edition", "daily", "--slot", "18:00")

    assert 0 == evening.return_value, evening.output
    newcomer = store.get_by_email("carla@example.org")
    assert newcomer.id > newest.id
    assert ["anna@example.org", "carla@example.org"] == _recipients(tmp_path / "outbox")


def test_migration_keeps_ids_of_deleted_rows_from_coming_back(tmp_path: Path) -> None:
    """A SQLite database from before 0008: after the upgrade, new ids start above every id still referred to."""
    engine = open_engine(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    try:
        upgrade(engine, "0007_hostile_input")
        with engine.begin() as connection:
            for number in (1, 2, 3):
                connection.execute(text(
                    "INSERT INTO subscribers (id, email, email_hash, status, frequency, topics, language, created) "
                    f"VALUES ({number}, 'r{number}@example.org', 'h{number}', 'active', 'daily', '[]', 'de', "
                    "'2026-11-01 00:00:00.000000')"))
            connection.execute(text(
                "INSERT INTO consent_records (subscriber_id, action, recorded_at, form, wording_version) "
                "VALUES (2, 'added', '2026-11-01 00:00:00.000000', 'cli', '1')"))
            # Subscriber 5 was erased before the upgrade; the ledger and an event still name it.
            connection.execute(text(
                "INSERT INTO delivery_runs (id, edition_id, slot, status, backend, created_at, skipped_at_planning) "
                "VALUES (1, 'daily-x', '06:00', 'done', 'outbox', '2026-11-01 00:00:00.000000', 0)"))
            connection.execute(text(
                "INSERT INTO delivery_batches (id, run_id, number, variant, size, status, attempts) "
                "VALUES (9, 1, 1, 'all', 1, 'sent', 1)"))
            connection.execute(text(
                "INSERT INTO delivery_recipients (batch_id, edition_id, subscriber_id, email, status) "
                "VALUES (9, 'daily-x', 5, 'r5@example.org', 'sent')"))
            connection.execute(text("DELETE FROM subscribers WHERE id = 3"))

        upgrade(engine)

        with engine.connect() as connection:
            schema = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'subscribers'")).scalar()
            kept = connection.execute(text("SELECT COUNT(*) FROM consent_records WHERE subscriber_id = 2")).scalar()
        store = SubscriberStore(engine, SECRET)
        newcomer = store.add("neu@example.org", now=NOW)
        assert "AUTOINCREMENT" in schema
        assert (1, 6) == (kept, newcomer.id)
        assert ["r1@example.org", "r2@example.org", "neu@example.org"] == [s.email for s in store.list()]
    finally:
        engine.dispose()


def test_erased_newest_id_is_not_reused(any_engine: Engine) -> None:
    """Erasing the subscriber with the highest id and adding another gives a new, higher id."""
    store = SubscriberStore(any_engine, SECRET)
    store.add("eins@example.org", now=NOW)
    newest = store.add("zwei@example.org", now=NOW)
    store.forget("zwei@example.org", now=NOW)
    assert newest.id < store.add("drei@example.org", now=NOW).id


@pytest.mark.parametrize(
    "table", ["subscribers", "consent_records", "delivery_runs", "delivery_batches", "delivery_recipients"]
)
def test_tables_whose_ids_are_referred_to_keep_autoincrement_at_head(engine: Engine, table: str) -> None:
    """After every migration, the tables whose ids the ledger and events keep still say AUTOINCREMENT.

    A later SQLite batch migration rebuilds a table from its reflection, which forgets the keyword
    unless it passes ``table_kwargs={"sqlite_autoincrement": True}``.
    """
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
    assert "AUTOINCREMENT" in schema
