"""The consent trail (GDPR Art. 7(1)): each step of a subscriber's consent, as the store keeps it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import Connection, Row

from subscribers.model import ConsentRecord
from subscribers.tables import consent_records


def _to_record(row: Row[Any]) -> ConsentRecord:
    return ConsentRecord(
        subscriber_id=row.subscriber_id,
        action=row.action,
        recorded_at=row.recorded_at,
        form=row.form,
        wording_version=row.wording_version,
        ip=row.ip,
        user_agent=row.user_agent,
        newsletter=row.newsletter,
    )


class ConsentTrail:
    """Records and reads consent steps; part of :class:`subscribers.store.SubscriberStore`."""

    engine: Engine

    def record_consent(self, record: ConsentRecord) -> None:
        with self.engine.begin() as connection:
            self._insert_consent(connection, [record], record.subscriber_id)

    @staticmethod
    def _insert_consent(connection: Connection, records: Sequence[ConsentRecord], subscriber_id: int) -> None:
        connection.execute(
            insert(consent_records),
            [
                {
                    "subscriber_id": subscriber_id,
                    "action": record.action,
                    "recorded_at": record.recorded_at,
                    "ip": record.ip,
                    "user_agent": (record.user_agent or "")[:500] or None,
                    "form": record.form[:200],
                    "wording_version": record.wording_version,
                    "newsletter": record.newsletter,
                }
                for record in records
            ],
        )

    def consent_records(self, subscriber_id: int) -> list[ConsentRecord]:
        query = (
            select(consent_records)
            .where(consent_records.c.subscriber_id == subscriber_id)
            .order_by(consent_records.c.id)
        )
        with self.engine.connect() as connection:
            return [_to_record(row) for row in connection.execute(query)]

    def latest_consent(self, subscriber_ids: Sequence[int]) -> dict[int, ConsentRecord]:
        """Each subscriber's newest consent step (for the export), by subscriber id."""
        found: dict[int, ConsentRecord] = {}
        ids = list(subscriber_ids)
        with self.engine.connect() as connection:
            for start in range(0, len(ids), 900):
                query = (
                    select(consent_records)
                    .where(consent_records.c.subscriber_id.in_(ids[start : start + 900]))
                    .order_by(consent_records.c.id)
                )
                for row in connection.execute(query):
                    found[row.subscriber_id] = _to_record(row)
        return found
