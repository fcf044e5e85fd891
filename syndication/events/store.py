"""The event store: each provider event once, its policy applied, its report counters increased.

Everything one event does happens in one transaction with its insert, and only when the insert
is new (``ON CONFLICT DO NOTHING`` on the unique (provider, event key)): a replayed, retried or
concurrently posted event changes nothing twice, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, Table, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from syndication.events.policy import Action, BouncePolicy, Suppressions
from syndication.events.tables import send_click_counts, send_event_marks, send_events, send_report_counts
from syndication.mail.events import BounceType, EventKind, SendEvent

log = logging.getLogger(__name__)

# Slot of an event whose message we cannot place in a run.
UNPLACED = ""
# Events per transaction, and how often a transaction the database rolled back is tried.
_CHUNK = 1000
_ATTEMPTS = 3


class RunPlaces(Protocol):
    """Finds the run (and so the slot) a message of an edition went out in (the send ledger)."""

    def place(
        self, connection: Connection, edition_id: str, run_id: int | None, subscriber_id: int | None
    ) -> tuple[int | None, str]:
        """(run id, slot) of the message; (None, "") when unknown."""
        ...


class ArticleLinks(Protocol):
    """Which of our articles a clicked URL is (a provider's click event names only the URL)."""

    def article_for(self, connection: Connection, url: str) -> str | None: ...


class NoPlaces:
    """For stores without a ledger: every event is unplaced, unless it names its run."""

    def place(
        self, connection: Connection, edition_id: str, run_id: int | None, subscriber_id: int | None
    ) -> tuple[int | None, str]:
        return run_id, UNPLACED


@dataclass(frozen=True)
class RecordOutcome:
    """What ``record`` did: new events stored, duplicates skipped, subscribers changed by the policy."""

    stored: int = 0
    duplicates: int = 0
    applied: int = 0
    unmatched: int = 0


def _insert(connection: Connection, table: Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"events need SQLite or PostgreSQL, not {connection.dialect.name}")


def _add(connection: Connection, table: Table, keys: Mapping[str, Any], amounts: Mapping[str, int],
         extra: Mapping[str, Any] | None = None) -> None:
    """Increase ``amounts`` on the row of ``keys`` (created at zero), in one atomic statement."""
    zeros = {column.name: 0 for column in table.columns if column.name not in keys and column.type.python_type is int}
    values = {**zeros, **(extra or {}), **keys, **amounts}
    statement = _insert(connection, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + amount for name, amount in amounts.items()}
    )
    connection.execute(statement)


def _first_time(connection: Connection, edition_id: str, subscriber_id: int, counter: str) -> bool:
    """Whether the recipient counts for ``counter`` in this edition for the first time (and mark it)."""
    statement = _insert(connection, send_event_marks).values(
        edition_id=edition_id, subscriber_id=subscriber_id, counter=counter
    ).on_conflict_do_nothing().returning(send_event_marks.c.counter)
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
    return connection.execute(statement).first() is not None


_COUNTER = {
    EventKind.PROCESSED: "processed",
    EventKind.DELIVERED: "delivered",
    EventKind.DEFERRED: "deferred",
    EventKind.DROPPED: "dropped",
    EventKind.COMPLAINT: "complaints",
    EventKind.UNSUBSCRIBE: "unsubscribes",
    EventKind.OPEN: "opens",
}


class EventStore:
    """Stores send events (see module docstring).

    ``suppressions`` receives the policy's actions; ``places`` puts an event in its run and slot;
    ``per_subscriber`` keeps who clicked or opened (``[tracking] per_subscriber``): off, a click
    or open is stored without its subscriber, and each click counts as a unique click.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        suppressions: Suppressions | None = None,
        places: RunPlaces | None = None,
        policy: BouncePolicy | None = None,
        per_subscriber: bool = False,
        articles: ArticleLinks | None = None,
    ) -> None:
        self.engine = engine
        self.articles = articles
        self.suppressions = suppressions
        self.places = places or NoPlaces()
        self.policy = policy or BouncePolicy()
        self.per_subscriber = per_subscriber

    def record(self, events: Sequence[SendEvent], now: datetime) -> RecordOutcome:
        """Store each event once, apply its policy, count it; one transaction per chunk of events.

        Within a transaction every kind of row is written in one sorted order (events, marks,
        counters, subscribers), so that concurrent posts of overlapping events never deadlock;
        a transaction the database still chose as a deadlock victim is run again.
        """
        ordered = sorted(events, key=lambda event: (event.provider, event.key))
        totals = {"stored": 0, "duplicates": 0, "applied": 0, "unmatched": 0}
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            for attempt in range(_ATTEMPTS):
                try:
                    with self.engine.begin() as connection:
                        part = self._record_chunk(connection, chunk, now)
                    break
                except OperationalError:
                    if attempt == _ATTEMPTS - 1:
                        raise
                    log.warning("event store: transaction rolled back by the database (deadlock?); trying again")
            for name, value in part.items():
                totals[name] += value
        return RecordOutcome(**totals)

    def _record_chunk(self, connection: Connection, chunk: Sequence[SendEvent], now: datetime) -> dict[str, int]:
        counts = {"stored": 0, "duplicates": 0, "applied": 0, "unmatched": 0}
        places: dict[tuple[str, int | None, int | None], tuple[int | None, str]] = {}
        new: list[tuple[SendEvent, str, int | None]] = []
        for event in chunk:
            if event.kind == EventKind.CLICK and event.article_id is None and event.url and self.articles:
                event = replace(event, article_id=self.articles.article_for(connection, event.url))
            personal = event.kind not in (EventKind.CLICK, EventKind.OPEN) or self.per_subscriber
            subscriber_id = event.subscriber_id if personal else None
            run_id, slot = event.run_id, UNPLACED
            if event.edition_id is not None:
                where = (event.edition_id, event.run_id, None if event.run_id else event.subscriber_id)
                if where not in places:
                    places[where] = self.places.place(connection, event.edition_id, event.run_id,
                                                      event.subscriber_id)
                run_id, slot = places[where]
                if slot == UNPLACED and event.slot and len(event.slot) <= 5:
                    slot = event.slot
            inserted = connection.execute(
                _insert(connection, send_events).values(
                    provider=event.provider, event_key=event.key, kind=event.kind.value,
                    occurred_at=event.occurred_at, received_at=now, edition_id=event.edition_id, run_id=run_id,
                    slot=slot, subscriber_id=subscriber_id, variant=event.variant,
                    bounce_type=event.bounce_type.value if event.bounce_type else None,
                    smtp_status=event.smtp_status, reason=event.reason, url=event.url, article_id=event.article_id,
                ).on_conflict_do_nothing(index_elements=["provider", "event_key"]).returning(send_events.c.id)
            ).first()
            if inserted is None:
                counts["duplicates"] += 1
            else:
                counts["stored"] += 1
                new.append((event, slot, subscriber_id))
        self._count(connection, [(event, slot, sid) for event, slot, sid in new if event.edition_id is not None])
        for event, _, _ in sorted(new, key=lambda item: item[0].subscriber_id or 0):
            action = self._action(connection, event, now)
            if action is None:
                continue
            if event.subscriber_id is None or self.suppressions is None:
                counts["unmatched"] += 1
                continue
            reason = f"{event.provider}:{event.kind.value}"
            found = self.suppressions.apply_in(connection, event.subscriber_id, action, reason, now)
            counts["applied" if found else "unmatched"] += 1
        return counts

    def _action(self, connection: Connection, event: SendEvent, now: datetime) -> Action | None:
        action = self.policy.immediate_action(event)
        if action is not None or event.subscriber_id is None:
            return action
        if event.kind == EventKind.BOUNCE and event.bounce_type == BounceType.SOFT:
            recent = connection.execute(
                select(func.count()).select_from(send_events).where(
                    send_events.c.subscriber_id == event.subscriber_id,
                    send_events.c.kind == EventKind.BOUNCE.value,
                    send_events.c.bounce_type == BounceType.SOFT.value,
                    send_events.c.occurred_at >= event.occurred_at - self.policy.soft_bounce_window,
                    send_events.c.occurred_at <= event.occurred_at,
                )
            ).scalar_one()
            if recent >= self.policy.soft_bounce_limit:
                return Action.BOUNCED
        return None

    @staticmethod
    def _counter(event: SendEvent) -> str:
        if event.kind == EventKind.CLICK:
            return "clicks"
        if event.kind == EventKind.BOUNCE:
            return "bounced_hard" if event.bounce_type == BounceType.HARD else "bounced_soft"
        return _COUNTER[event.kind]

    def _count(self, connection: Connection, new: Sequence[tuple[SendEvent, str, int | None]]) -> None:
        """Add the new events to the counters: marks first, then counter rows, each in sorted order."""
        wanted = sorted({(event.edition_id or "", sid, self._counter(event)) for event, _, sid in new
                         if sid is not None})
        first = {mark for mark in wanted if _first_time(connection, *mark)}  # type: ignore[arg-type]
        amounts: dict[tuple[str, str], dict[str, int]] = {}
        clicks: dict[tuple[str, str, str, str], tuple[str, int]] = {}
        for event, slot, sid in new:
            edition_id = event.edition_id or ""
            counter = self._counter(event)
            mark = (edition_id, sid, counter)
            counts_once = sid is None or mark in first
            first.discard(mark)
            row = amounts.setdefault((edition_id, slot), {})
            if event.kind == EventKind.CLICK:
                row["clicks"] = row.get("clicks", 0) + 1
                row["unique_clicks"] = row.get("unique_clicks", 0) + int(counts_once)
                url = event.url or ""
                key = (edition_id, slot, event.article_id or "", hashlib.sha256(url.encode()).hexdigest())
                clicks[key] = (url, clicks.get(key, (url, 0))[1] + 1)
            elif counts_once:
                row[counter] = row.get(counter, 0) + 1
        for (edition_id, slot), values in sorted(amounts.items()):
            if values := {name: value for name, value in values.items() if value}:
                _add(connection, send_report_counts, {"edition_id": edition_id, "slot": slot}, values)
        for (edition_id, slot, article_id, url_key), (url, number) in sorted(clicks.items()):
            _add(connection, send_click_counts,
                 {"edition_id": edition_id, "slot": slot, "article_id": article_id, "url_key": url_key},
                 {"clicks": number}, extra={"url": url})

    @staticmethod
    def forget_in(connection: Connection, subscriber_id: int) -> None:
        """Erasure: nothing of the events says who the subscriber was (the sums stay)."""
        connection.execute(
            update(send_events).where(send_events.c.subscriber_id == subscriber_id).values(subscriber_id=None)
        )
        connection.execute(delete(send_event_marks).where(send_event_marks.c.subscriber_id == subscriber_id))

    def counts(self, edition_id: str, slot: str | None = None) -> dict[str, int]:
        """The counters of the edition (summed over its slots, or of one slot)."""
        columns = [column for column in send_report_counts.columns if column.name not in ("edition_id", "slot")]
        condition = send_report_counts.c.edition_id == edition_id
        if slot is not None:
            condition = and_(condition, send_report_counts.c.slot == slot)
        with self.engine.connect() as connection:
            row = connection.execute(
                select(*(func.coalesce(func.sum(column), 0).label(column.name) for column in columns)).where(condition)
            ).one()
        return {column.name: int(row._mapping[column.name]) for column in columns}


def forget_subscriber(engine: Engine, subscriber_id: int) -> None:
    """Erasure: the subscriber's events and marks no longer name them (the sums stay)."""
    with engine.begin() as connection:
        EventStore.forget_in(connection, subscriber_id)
