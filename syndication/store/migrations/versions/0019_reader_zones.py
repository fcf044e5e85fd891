"""reader zones: a slot's send may name the reader zone it goes to; subscribers are found by zone

Revision ID: 0019_reader_zones
Revises: 0018_newsletters

A newsletter with ``slot_zone = "reader"`` sends each slot once per reader zone, labelled like
``"06:00 America/New_York"`` wherever a slot is recorded (edition_sends, delivery_runs and the send
events and report counters), so those columns grow from 5 to 80 characters. Every row stays as it is.
``subscribers.timezone`` gets an index: the scheduler reads the zones readers set at every quarter hour.
SQLite changes a column's type only by rebuilding the table (Alembic batch mode); tables whose ids are
never reused keep AUTOINCREMENT and their counter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_reader_zones"
down_revision = "0018_newsletters"
branch_labels = None
depends_on = None

# Table → (slot nullable, ids never reused: SQLite AUTOINCREMENT).
_SLOT_TABLES = {
    "edition_sends": (False, False),
    "delivery_runs": (False, True),
    "send_events": (True, True),
    "send_report_counts": (False, False),
    "send_click_counts": (False, False),
}


def _counter(connection: sa.Connection, table: str) -> int | None:
    return connection.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table}).scalar()


def _resize(length_from: int, length_to: int) -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    for table, (nullable, autoincrement) in _SLOT_TABLES.items():
        counter = _counter(connection, table) if sqlite and autoincrement else None
        kwargs = {"table_kwargs": {"sqlite_autoincrement": True}} if autoincrement else {}
        with op.batch_alter_table(table, **kwargs) as batch:  # type: ignore[arg-type]
            batch.alter_column(
                "slot", type_=sa.String(length_to), existing_type=sa.String(length_from), existing_nullable=nullable
            )
        if counter is not None:
            connection.execute(
                sa.text("UPDATE sqlite_sequence SET seq = MAX(seq, :value) WHERE name = :name"),
                {"value": counter, "name": table},
            )


def upgrade() -> None:
    _resize(5, 80)
    op.create_index("ix_subscribers_timezone", "subscribers", ["timezone"])


def downgrade() -> None:
    op.drop_index("ix_subscribers_timezone", table_name="subscribers")
    _resize(80, 5)
