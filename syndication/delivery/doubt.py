"""Messages in doubt, and the evidence that settles them.

A crash while a message was with the provider leaves it unknown whether the provider has it:
such a recipient is ``in_doubt`` and is not sent again by a plain run. SendGrid reports every
message it accepted with a ``processed`` event (and later ``delivered``, ``bounce`` …) that
carries our custom args (edition id, subscriber id); :class:`DeliveryEvidence` records those
on the ledger, which settles a doubt: sent where an event arrived, and sent again where none
arrived within ``[delivery] in_doubt_wait`` (only once events are seen to arrive for the
edition at all, so that a webhook that is not set up never causes duplicates).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, func, select, update

from syndication.delivery.ledger import UNCLAIMED, Ledger, RunRow
from syndication.delivery.statuses import BatchStatus, RecipientStatus
from syndication.delivery.tables import delivery_batches, delivery_recipients, delivery_runs

log = logging.getLogger(__name__)

# Events SendGrid sends only for a message it accepted ("processed" first, the others later).
ACCEPTED_EVENTS = frozenset({
    "processed", "delivered", "deferred", "bounce", "dropped", "open", "click",
    "spamreport", "unsubscribe", "group_unsubscribe",
})
_ID = re.compile(r"[0-9]{1,18}")
_EDITION = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass(frozen=True)
class Doubt:
    """One recipient whose message may or may not be with the provider."""

    edition_id: str
    slot: str
    subscriber_id: int
    batch: int
    since: datetime | None


def _event_key(event: Mapping[str, Any]) -> tuple[str, int] | None:
    custom_args = event.get("custom_args") if isinstance(event.get("custom_args"), Mapping) else {}
    edition = event.get("edition_id", custom_args.get("edition_id"))  # type: ignore[union-attr]
    subscriber = event.get("subscriber_id", custom_args.get("subscriber_id"))  # type: ignore[union-attr]
    if not isinstance(edition, str) or not _EDITION.fullmatch(edition):
        return None
    if isinstance(subscriber, bool) or not isinstance(subscriber, int | str) or not _ID.fullmatch(str(subscriber)):
        return None
    return edition, int(str(subscriber))


class DeliveryEvidence:
    """Records provider events as evidence on the ledger (plugged into the SendGrid webhook).

    ``engine`` is a callable so that the web app opens the database only when an event comes.
    """

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def observe(self, events: Sequence[Mapping[str, Any]], now: datetime) -> int:
        """Record the events that prove acceptance; settle what they settle; return how many matched."""
        keys: dict[tuple[str, int], str] = {}
        for event in events:
            kind = event.get("event")
            key = _event_key(event)
            if isinstance(kind, str) and kind in ACCEPTED_EVENTS and key is not None:
                keys.setdefault(key, kind)
        if not keys:
            return 0
        engine = self._engine()
        matched = 0
        columns = delivery_recipients.c
        with engine.begin() as connection:
            for (edition_id, subscriber_id), kind in keys.items():
                where = and_(columns.edition_id == edition_id, columns.subscriber_id == subscriber_id)
                matched += connection.execute(
                    update(delivery_recipients).where(where, columns.evidence.is_(None)).values(evidence=kind)
                ).rowcount or 0
                connection.execute(
                    update(delivery_recipients).where(where, columns.status == RecipientStatus.IN_DOUBT)
                    .values(status=RecipientStatus.SENT, sent_at=now, error=None)
                )
        for edition_id in {edition for edition, _ in keys}:
            close_settled_batches(engine, edition_id)
        return matched


def close_settled_batches(engine: Engine, edition_id: str) -> None:
    """Batches in doubt with nobody left in doubt or pending are sent."""
    open_recipients = exists().where(
        delivery_recipients.c.batch_id == delivery_batches.c.id,
        delivery_recipients.c.status.in_([RecipientStatus.IN_DOUBT, RecipientStatus.PENDING]),
    )
    runs = select(delivery_runs.c.id).where(delivery_runs.c.edition_id == edition_id).scalar_subquery()
    with engine.begin() as connection:
        connection.execute(
            update(delivery_batches)
            .where(delivery_batches.c.run_id.in_(runs), delivery_batches.c.status == BatchStatus.IN_DOUBT,
                   ~open_recipients)
            .values(status=BatchStatus.SENT)
        )


def settle(ledger: Ledger, run: RunRow, now: datetime, wait: timedelta, *, events_expected: bool) -> int:
    """Settle the run's doubts by evidence; return how many go back to be sent.

    With evidence: sent. Without, once ``wait`` has passed since the batch was handed over and
    events arrived for other messages of the edition (so events do arrive): back to pending.
    """
    columns = delivery_recipients.c
    batches = delivery_batches.c
    engine = ledger.engine
    with engine.begin() as connection:
        in_run = select(batches.id).where(batches.run_id == run.id).scalar_subquery()
        connection.execute(
            update(delivery_recipients)
            .where(columns.batch_id.in_(in_run), columns.status == RecipientStatus.IN_DOUBT,
                   columns.evidence.is_not(None))
            .values(status=RecipientStatus.SENT, sent_at=now, error=None)
        )
        events_arrive = events_expected and bool(connection.execute(
            select(func.count()).select_from(delivery_recipients)
            .where(columns.edition_id == run.edition_id, columns.evidence.is_not(None))
        ).scalar())
    close_settled_batches(engine, run.edition_id)
    if not events_arrive:
        return 0
    expired: list[int] = []
    with engine.connect() as connection:
        rows = connection.execute(
            select(batches.id, batches.handed_at, batches.finished_at).where(
                batches.run_id == run.id, batches.status != BatchStatus.SENDING,
                exists().where(columns.batch_id == batches.id, columns.status == RecipientStatus.IN_DOUBT),
            )
        )
        for row in rows:
            since = row.handed_at or row.finished_at
            if since is None or now - since >= wait:
                expired.append(row.id)
    if not expired:
        return 0
    with engine.begin() as connection:
        reopened = int(connection.execute(
            update(delivery_recipients)
            .where(columns.batch_id.in_(expired), columns.status == RecipientStatus.IN_DOUBT)
            .values(status=RecipientStatus.PENDING, error=None)
        ).rowcount or 0)
        connection.execute(
            update(delivery_batches).where(batches.id.in_(expired), batches.status != BatchStatus.SENDING)
            .values(**UNCLAIMED, error=None)
        )
        connection.execute(
            update(delivery_runs).where(delivery_runs.c.id == run.id).values(status="ready", finished_at=None)
        )
    log.warning("%s (%s): %d message(s) in doubt got no provider event in time; sent again",
                run.edition_id, run.slot, reopened)
    return reopened


def doubts(engine: Engine, edition_id: str) -> list[Doubt]:
    """Every recipient of the edition still in doubt (any slot), by subscriber id."""
    columns = delivery_recipients.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(delivery_runs.c.edition_id, delivery_runs.c.slot, columns.subscriber_id,
                   delivery_batches.c.number, delivery_batches.c.handed_at, delivery_batches.c.finished_at)
            .select_from(delivery_recipients
                         .join(delivery_batches, columns.batch_id == delivery_batches.c.id)
                         .join(delivery_runs, delivery_batches.c.run_id == delivery_runs.c.id))
            .where(columns.edition_id == edition_id, columns.status == RecipientStatus.IN_DOUBT)
            .order_by(columns.subscriber_id)
        )
        return [Doubt(row.edition_id, row.slot, row.subscriber_id, row.number, row.handed_at or row.finished_at)
                for row in rows]
