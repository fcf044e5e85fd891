"""ids are never handed out twice (SQLite AUTOINCREMENT)

Revision ID: 0008_ids_never_reused
Revises: 0007_hostile_input

Without AUTOINCREMENT, SQLite gives a new row the highest id in the table plus one, so the id
of an erased newest subscriber went to the next sign-up, and the send ledger (unique on
edition and subscriber id) took the newcomer for the erased reader and skipped them. SQLite can
only add AUTOINCREMENT by rebuilding a table (Alembic batch mode). The rebuilt tables' counters
start above every id still referred to anywhere (ledger rows, events), since ids of rows already
deleted are known only from there. PostgreSQL's sequences never hand out a value twice: nothing
to do there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_ids_never_reused"
down_revision = "0007_hostile_input"
branch_labels = None
depends_on = None

# Table → the column name other tables use to refer to its ids.
_TABLES = {
    "subscribers": "subscriber_id",
    "consent_records": None,
    "delivery_runs": "run_id",
    "delivery_batches": "batch_id",
    "delivery_recipients": "recipient_id",
}


def _highest_reference(connection: sa.Connection, table: str, column: str | None) -> int:
    """The highest id of ``table`` in use: its own rows, or any other table's ``column``."""
    inspector = sa.inspect(connection)
    highest = connection.execute(sa.text(f'SELECT MAX(id) FROM "{table}"')).scalar() or 0
    if column is None:
        return int(highest)
    for other in inspector.get_table_names():
        if other == table or column not in {c["name"] for c in inspector.get_columns(other)}:
            continue
        found = connection.execute(sa.text(f'SELECT MAX("{column}") FROM "{other}"')).scalar()
        if isinstance(found, int):
            highest = max(highest, found)
    return int(highest)


def _set_counter(connection: sa.Connection, table: str, value: int) -> None:
    if value <= 0:
        return
    done = connection.execute(
        sa.text("UPDATE sqlite_sequence SET seq = MAX(seq, :value) WHERE name = :name"),
        {"value": value, "name": table},
    )
    if not done.rowcount:
        connection.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :value)"),
                           {"name": table, "value": value})


def _rebuild(autoincrement: bool) -> None:
    connection = op.get_bind()
    present = set(sa.inspect(connection).get_table_names())
    for table, column in _TABLES.items():
        if table not in present:
            continue
        highest = _highest_reference(connection, table, column) if autoincrement else 0
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
        if autoincrement:
            _set_counter(connection, table, highest)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False)
