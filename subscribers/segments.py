"""Segments: saved conditions over subscriber attributes, counted live, that a send can be limited to.

A segment is a name and :class:`SegmentConditions` (all given conditions must hold). It never widens who
may get mail: a send limited to a segment reaches the newsletter's readers who also match it, and the
consent rules (active, not suppressed, subscribed) stay as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, column, delete, exists, func, insert, or_, select, table, true, update
from sqlalchemy.exc import IntegrityError

from subscribers.subscriptions import subscribed_to
from subscribers.tables import consent_records, segments, subscribers, suppressions
from syndication.errors import InputError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")

# The clicks the events feature keeps (``send_events``, kind "click", with ``[tracking] per_subscriber``).
# Named here as a bare table reference, not imported: features do not import each other, and a segment
# only reads whether a row exists.
_send_events = table("send_events", column("subscriber_id"), column("kind"), column("occurred_at"))


@dataclass(frozen=True)
class SegmentConditions:
    """What a subscriber must match; conditions left empty do not narrow."""

    # Any of these among the reader's chosen topics (a reader who chose none reads everything: matches).
    topics: tuple[str, ...] = ()
    frequency: str | None = None
    language: str | None = None
    # The consent form the reader came through starts with this ("web:/subscribe", "import:", "cli:").
    source: str | None = None
    # Signed up on or after / before this date (UTC).
    signed_up_from: date | None = None
    signed_up_before: date | None = None
    # Actively subscribed to this newsletter.
    newsletter: str | None = None
    # Clicked a link in a digest within this many days (needs [tracking] clicks and per_subscriber).
    clicked_within_days: int | None = None

    def to_json(self) -> str:
        values = {key: value for key, value in asdict(self).items() if value not in (None, (), [])}
        for key in ("signed_up_from", "signed_up_before"):
            if key in values:
                values[key] = values[key].isoformat()
        if "topics" in values:
            values["topics"] = list(values["topics"])
        return json.dumps(values, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SegmentConditions:
        data = json.loads(text)
        known = {field.name for field in fields(cls)}
        values: dict[str, Any] = {key: value for key, value in data.items() if key in known}
        for key in ("signed_up_from", "signed_up_before"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        values["topics"] = tuple(values.get("topics", ()))
        return cls(**values)

    def describe(self) -> str:
        text = self.to_json()
        return "everyone" if text == "{}" else text

    def condition(self, now: datetime) -> Any:
        """SQL over ``subscribers``: the subscriber matches every condition given."""
        parts: list[Any] = []
        if self.topics:
            chosen = [subscribers.c.topics.contains(json.dumps(topic, ensure_ascii=False), autoescape=True)
                      for topic in self.topics]
            parts.append(or_(subscribers.c.topics == "[]", *chosen))
        if self.frequency:
            parts.append(subscribers.c.frequency == self.frequency)
        if self.language:
            parts.append(subscribers.c.language == self.language)
        if self.source:
            parts.append(exists().where(
                consent_records.c.subscriber_id == subscribers.c.id,
                consent_records.c.form.startswith(self.source, autoescape=True),
            ))
        if self.signed_up_from:
            parts.append(subscribers.c.created >= datetime.combine(self.signed_up_from, time(), UTC))
        if self.signed_up_before:
            parts.append(subscribers.c.created < datetime.combine(self.signed_up_before, time(), UTC))
        if self.newsletter:
            parts.append(subscribed_to([self.newsletter]))
        if self.clicked_within_days is not None:
            parts.append(exists().where(
                _send_events.c.subscriber_id == subscribers.c.id,
                _send_events.c.kind == "click",
                _send_events.c.occurred_at >= now - timedelta(days=self.clicked_within_days),
            ))
        return and_(true(), *parts)


@dataclass(frozen=True)
class Segment:
    name: str
    conditions: SegmentConditions
    created: datetime


class UnknownSegment(InputError):
    """No segment has this name."""


class SegmentStore:
    """Saved segments and their live counts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, name: str, conditions: SegmentConditions, *, now: datetime) -> Segment:
        """Save (or replace) the segment ``name``."""
        if not _NAME.match(name):
            raise InputError("name", "lower-case letters, digits, '-' and '_' (at most 50), not %(name)r", name=name)
        with self.engine.begin() as connection:
            try:
                with connection.begin_nested():
                    connection.execute(insert(segments).values(name=name, conditions=conditions.to_json(), created=now))
            except IntegrityError:
                connection.execute(
                    update(segments).where(segments.c.name == name).values(conditions=conditions.to_json())
                )
        return self.get(name)

    def get(self, name: str) -> Segment:
        with self.engine.connect() as connection:
            row = connection.execute(select(segments).where(segments.c.name == name)).first()
        if row is None:
            raise UnknownSegment("segment", "no segment named %(name)r", name=name)
        return Segment(row.name, SegmentConditions.from_json(row.conditions), row.created)

    def list(self) -> list[Segment]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(segments).order_by(segments.c.name))
            return [Segment(row.name, SegmentConditions.from_json(row.conditions), row.created) for row in rows]

    def delete(self, name: str) -> bool:
        with self.engine.begin() as connection:
            return bool(connection.execute(delete(segments).where(segments.c.name == name)).rowcount)

    def count(self, conditions: SegmentConditions, *, now: datetime) -> int:
        """How many subscribers who may get mail now (active, not suppressed) match, counted now."""
        query = select(func.count()).select_from(subscribers).where(
            subscribers.c.status == "active",
            ~exists().where(suppressions.c.email_hash == subscribers.c.email_hash),
            conditions.condition(now),
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())
