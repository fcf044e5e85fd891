"""Migration 0007 rewrites stored webhook event ids as SHA-256, so retries of old events stay duplicates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text

from subscribers.tables import webhook_events
from subscribers.webhook import event_key
from syndication.store.db import open_engine, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("postgres_url")


def test_stored_event_ids_are_hashed_by_the_upgrade(unmigrated_url: str) -> None:
    """An id recorded before the upgrade is stored as event_key(id) afterwards, on SQLite and PostgreSQL."""
    engine: Engine = open_engine(unmigrated_url, migrate=False)
    try:
        upgrade(engine, "0006_scheduler")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO webhook_events (sg_event_id, event, subscriber_id, outcome, received_at) "
                    "VALUES (:id, 'bounce', NULL, 'unmatched', :at)"
                ),
                {"id": "old-event-1", "at": datetime(2026, 11, 20, tzinfo=UTC).replace(tzinfo=None)},
            )
        upgrade(engine)
        with engine.connect() as connection:
            stored = connection.execute(select(webhook_events.c.sg_event_id)).scalars().all()
        assert [event_key("old-event-1")] == stored
    finally:
        engine.dispose()
