"""The ledger's hot recipient writes: the plan's rows inserted, the receipts of accepted messages.

These run far more often than the rest of the ledger: planning inserts every recipient of an
edition (a million rows), SMTP records each accepted message in its own transaction, SendGrid a
thousand at once. So they are tuned to the database: the plan and SMTP's receipts skip SQLAlchemy's
compiler (COPY or a plain executemany; one prepared UPDATE), which makes them depend on the driver
and its parameter style. They live apart from :class:`~syndication.delivery.ledger.Ledger`, which
keeps the state machine of runs and batches in plain Core SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from syndication.delivery.statuses import RecipientStatus
from syndication.delivery.tables import delivery_recipients

__all__ = ["ReceiptWriter", "insert_recipients", "record_receipts"]

# The placeholder of each positional parameter style (a named style has none: the compiler is used).
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class ReceiptWriter:
    """Records one accepted message per transaction on a connection held for the batch.

    This runs once per SMTP message, so it skips what a transaction usually costs here: pool
    checkout and SQL compilation (a prepared driver statement, then COMMIT). Committed means
    durable as the database is configured (SQLite WAL: survives the process; PostgreSQL: fsync).
    """

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.connect()
        marker = _MARKERS.get(engine.dialect.paramstyle, "?")
        self._sql = (
            f"UPDATE delivery_recipients SET status = '{RecipientStatus.SENT}', provider_id = {marker}, "
            f"sent_at = {marker} WHERE id = {marker} AND status = '{RecipientStatus.PENDING}'"
        )
        self._processor = delivery_recipients.c.sent_at.type.bind_processor(engine.dialect)

    def write(self, recipient_id: int, provider_id: str | None, now: datetime) -> None:
        sent_at = self._processor(now) if self._processor is not None else now
        self._connection.exec_driver_sql(self._sql, (provider_id, sent_at, recipient_id))
        self._connection.commit()

    def close(self) -> None:
        self._connection.close()


def insert_recipients(engine: Engine, connection: Connection, rows: list[tuple[object, ...]]) -> None:
    """Insert recipient rows ``(batch_id, edition_id, subscriber_id, email, status)`` on ``connection``."""
    if engine.dialect.driver == "psycopg":
        # PostgreSQL: COPY, one stream for the lot (executemany still pays a round of the
        # protocol per row; planning 200,000 recipients took three times as long).
        sql = "COPY delivery_recipients (batch_id, edition_id, subscriber_id, email, status) FROM STDIN"
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(sql) as copy:
                for batch_id, edition_id, subscriber_id, email, status in rows:
                    copy.write_row((batch_id, edition_id, subscriber_id, email, str(status)))
        except connection.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
            # As the INSERT would have said it: one edition reaches a subscriber once.
            raise IntegrityError(sql, None, exc) from exc
        return
    # Plain tuples straight to the driver's executemany: for a million rows, building a
    # parameter dict per row through the SQL compiler costs more than the insert itself.
    marker = _MARKERS.get(engine.dialect.paramstyle)
    if marker is None:
        columns = ("batch_id", "edition_id", "subscriber_id", "email", "status")
        connection.execute(insert(delivery_recipients), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    placeholders = ", ".join([marker] * 5)
    connection.exec_driver_sql(
        f"INSERT INTO delivery_recipients (batch_id, edition_id, subscriber_id, email, status) VALUES ({placeholders})",
        rows,
    )


def record_receipts(engine: Engine, receipts: Sequence[tuple[int, str | None]], now: datetime) -> None:
    """Recipient rows ``(id, provider message id)`` accepted by the backend, sent in one transaction."""
    if not receipts:
        return
    with engine.begin() as connection:
        provider_ids = {provider_id for _, provider_id in receipts}
        if len(provider_ids) == 1:
            # SendGrid: one X-Message-Id for the whole request; one statement for the batch.
            ids = [recipient_id for recipient_id, _ in receipts]
            for start in range(0, len(ids), 900):
                connection.execute(
                    update(delivery_recipients)
                    .where(delivery_recipients.c.id.in_(ids[start : start + 900]))
                    .values(status=RecipientStatus.SENT, provider_id=next(iter(provider_ids)), sent_at=now)
                )
            return
        connection.execute(
            update(delivery_recipients)
            .where(delivery_recipients.c.id == bindparam("rid"))
            .values(status=RecipientStatus.SENT, provider_id=bindparam("pid"), sent_at=now),
            [{"rid": recipient_id, "pid": provider_id} for recipient_id, provider_id in receipts],
        )
