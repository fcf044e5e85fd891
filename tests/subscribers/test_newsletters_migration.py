"""The newsletters migration keeps every subscriber, consent record and ledger row of a database made before it.

The database is built with the migrations up to the one before newsletters (the head of the previous
release), filled as that release fills it, then upgraded; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, text

from subscribers.store import SubscriberStore
from subscribers.subscriptions import SubscriptionStatus
from subscribers.tables import consent_records, subscribers, suppressions
from syndication.delivery.tables import delivery_batches, delivery_recipients, delivery_runs
from syndication.digest.edition_store import get_edition
from syndication.digest.tables import digest_editions
from syndication.store.db import _alembic_config, upgrade

WHEN = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
KEPT_TABLES = {
    "subscribers": "id", "consent_records": "id", "suppressions": "email_hash", "digest_editions": "id",
    "delivery_runs": "id", "delivery_batches": "id", "delivery_recipients": "id",
}


@pytest.fixture
def old_engine(unmigrated_engine: Engine) -> Engine:
    """An engine on a database migrated only up to the revision before newsletters."""
    upgrade(unmigrated_engine, before_newsletters(unmigrated_engine))
    return unmigrated_engine


def before_newsletters(engine: Engine) -> str:
    script = ScriptDirectory.from_config(_alembic_config(engine))
    newsletters = next(rev for rev in script.walk_revisions() if rev.revision.endswith("_newsletters"))
    assert isinstance(newsletters.down_revision, str)
    return newsletters.down_revision


def fill(engine: Engine) -> None:
    """Readers in every state, their consent trail, a suppression, an edition and its send ledger."""
    people = [
        (1, "aktiv@example.org", "active", "daily"),
        (2, "woche@example.org", "active", "weekly"),
        (3, "offen@example.org", "pending", "daily"),
        (4, "weg@example.org", "unsubscribed", "daily"),
        (5, "bounce@example.org", "bounced", "weekly"),
    ]
    with engine.begin() as connection:
        for number, email, status, frequency in people:
            connection.execute(insert(subscribers).values(
                id=number, email=email, email_hash=f"{number:064d}", status=status, frequency=frequency,
                topics='["Sport"]' if number == 1 else "[]", language="de", name=None, slot=None, created=WHEN,
                confirmed=WHEN if status != "pending" else None,
                unsubscribed=WHEN if status in ("unsubscribed", "bounced") else None,
                unsubscribe_reason="one-click" if status == "unsubscribed" else None,
            ))
            connection.execute(insert(consent_records).values(
                subscriber_id=number, action="requested", recorded_at=WHEN, ip="192.0.2.1", user_agent="Firefox",
                form="web:/subscribe", wording_version="2026-11",
            ))
        connection.execute(insert(suppressions).values(email_hash=f"{5:064d}", reason="bounced", created=WHEN))
        connection.execute(insert(digest_editions).values(
            id="daily-2026-11-20", name="daily", title="Der Morgen", edition_date=date(2026, 11, 20), built_at=WHEN,
            previous_watermark=0, watermark=3, new_article_count=3, article_ids='["a", "b", "c"]',
        ))
        connection.execute(insert(delivery_runs).values(
            id=1, edition_id="daily-2026-11-20", slot="06:00", status="done", backend="outbox", created_at=WHEN,
            planned_at=WHEN, finished_at=WHEN, skipped_at_planning=0,
        ))
        connection.execute(insert(delivery_batches).values(
            id=1, run_id=1, number=1, variant="all", size=1, status="sent", attempts=1, handed_at=WHEN,
            finished_at=WHEN,
        ))
        connection.execute(insert(delivery_recipients).values(
            batch_id=1, edition_id="daily-2026-11-20", subscriber_id=1, email="aktiv@example.org", status="sent",
            sent_at=WHEN,
        ))


def rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            table: [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]
            for table, key in KEPT_TABLES.items()
        }


def test_upgrade_keeps_every_row_and_subscribes_each_reader_by_frequency(old_engine: Engine) -> None:
    """Every row of the old tables is there, unchanged, after the upgrade; each reader has one subscription,
    named like their frequency, active only where the reader was active."""
    fill(old_engine)
    before = rows(old_engine)
    upgrade(old_engine)
    after = rows(old_engine)
    kept = {table: [{key: row[key] for key in old[0]} for row in after[table]] for table, old in before.items()}
    assert before == kept
    store = SubscriberStore(old_engine)
    assert {
        1: {"daily": SubscriptionStatus.ACTIVE},
        2: {"weekly": SubscriptionStatus.ACTIVE},
        3: {"daily": SubscriptionStatus.PENDING},
        4: {"daily": SubscriptionStatus.UNSUBSCRIBED},
        5: {"weekly": SubscriptionStatus.UNSUBSCRIBED},
    } == store.subscriptions_of([1, 2, 3, 4, 5])
    readers = [s.email for page in store.iter_readers(("daily",), None, "06:00") for s in page]
    assert (["aktiv@example.org"], "daily") == (readers, get_edition(old_engine, "daily-2026-11-20").newsletter_name)
