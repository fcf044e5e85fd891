"""Migration 0019_reader_zones keeps every slot row and id counter, and makes room for zone labels.

The database is built up to the revision before it, filled, then upgraded; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, text

from syndication.delivery.tables import delivery_runs
from syndication.events.tables import send_events, send_report_counts
from syndication.scheduler.tables import edition_sends
from syndication.store.db import upgrade

WHEN = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
LABEL = "06:00 America/Argentina/ComodRivadavia"
TABLES = {"edition_sends": "id", "delivery_runs": "id", "send_events": "id", "send_report_counts": "edition_id"}


@pytest.fixture
def old_engine(unmigrated_engine: Engine) -> Engine:
    """An engine on a database migrated only up to the revision before reader zones."""
    upgrade(unmigrated_engine, "0018_newsletters")
    return unmigrated_engine


def fill(engine: Engine) -> None:
    """A slot's ledger rows, an event and a counter; the newest delivery run deleted (its id must stay used)."""
    with engine.begin() as connection:
        connection.execute(insert(edition_sends).values(
            edition_name="daily", edition_date=date(2026, 11, 24), slot="06:00", edition_id="daily-2026-11-24",
            status="sent", attempts=1, sent=2, failed=0, started_at=WHEN, finished_at=WHEN,
        ))
        for number in (1, 2):
            connection.execute(insert(delivery_runs).values(
                edition_id=f"daily-2026-11-2{number}", slot="06:00", status="done", backend="outbox",
                created_at=WHEN, skipped_at_planning=0,
            ))
        connection.execute(delete(delivery_runs).where(delivery_runs.c.edition_id == "daily-2026-11-22"))
        connection.execute(insert(send_events).values(
            provider="sendgrid", event_key="a" * 64, kind="delivered", occurred_at=WHEN, received_at=WHEN,
            edition_id="daily-2026-11-24", run_id=1, slot="06:00",
        ))
        connection.execute(insert(send_report_counts).values(
            edition_id="daily-2026-11-24", slot="06:00", processed=2, delivered=2, deferred=0, bounced_hard=0,
            bounced_soft=0, dropped=0, complaints=0, unsubscribes=0, unique_clicks=0, clicks=0, opens=0,
        ))


def rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            table: [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]
            for table, key in TABLES.items()
        }


def test_upgrade_keeps_the_rows_and_takes_zone_labels_without_reusing_an_id(old_engine: Engine) -> None:
    """Every row is unchanged after the upgrade; a zone's label fits every slot column; a new delivery run
    gets an id above the deleted one."""
    fill(old_engine)
    before = rows(old_engine)
    upgrade(old_engine)
    assert before == rows(old_engine)
    with old_engine.begin() as connection:
        created = connection.execute(insert(delivery_runs).values(
            edition_id="daily-2026-11-24", slot=LABEL, status="done", backend="outbox", created_at=WHEN,
            skipped_at_planning=0,
        )).inserted_primary_key[0]
        connection.execute(insert(edition_sends).values(
            edition_name="daily", edition_date=date(2026, 11, 24), slot=LABEL, status="sent", attempts=1, sent=1,
            failed=0, started_at=WHEN,
        ))
        connection.execute(insert(send_events).values(
            provider="sendgrid", event_key="b" * 64, kind="delivered", occurred_at=WHEN, received_at=WHEN,
            edition_id="daily-2026-11-24", run_id=created, slot=LABEL,
        ))
    assert 3 == created
