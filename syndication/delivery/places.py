"""Where a sent message belongs: its run and slot, from the send ledger (for the event store)."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from syndication.delivery.tables import delivery_batches, delivery_recipients, delivery_runs


class LedgerPlaces:
    """Places an event in its run by the run id the message carried, else by (edition, subscriber)."""

    def place(
        self, connection: Connection, edition_id: str, run_id: int | None, subscriber_id: int | None
    ) -> tuple[int | None, str]:
        if run_id is not None:
            slot = connection.execute(
                select(delivery_runs.c.slot)
                .where(delivery_runs.c.id == run_id, delivery_runs.c.edition_id == edition_id)
            ).scalar()
            if slot is not None:
                return run_id, str(slot)
        if subscriber_id is not None:
            row = connection.execute(
                select(delivery_runs.c.id, delivery_runs.c.slot)
                .select_from(delivery_recipients
                             .join(delivery_batches, delivery_recipients.c.batch_id == delivery_batches.c.id)
                             .join(delivery_runs, delivery_batches.c.run_id == delivery_runs.c.id))
                .where(delivery_recipients.c.edition_id == edition_id,
                       delivery_recipients.c.subscriber_id == subscriber_id)
            ).first()
            if row is not None:
                return int(row.id), str(row.slot)
        return None, ""


def recipients_by_slot(connection: Connection, edition_id: str) -> dict[str, tuple[int, int]]:
    """slot → (recipients planned, messages sent) of the edition's runs, from the ledger."""
    columns = delivery_recipients.c
    rows = connection.execute(
        select(delivery_runs.c.slot, func.count(columns.id),
               func.coalesce(func.sum(case((columns.status == "sent", 1), else_=0)), 0))
        .select_from(delivery_recipients
                     .join(delivery_batches, columns.batch_id == delivery_batches.c.id)
                     .join(delivery_runs, delivery_batches.c.run_id == delivery_runs.c.id))
        .where(delivery_runs.c.edition_id == edition_id)
        .group_by(delivery_runs.c.slot)
    )
    return {str(row[0]): (int(row[1]), int(row[2])) for row in rows}
