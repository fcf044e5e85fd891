"""The console's subscriber list filters as SQL: a page is read from the rows that can match, not from all.

The conditions are what a filter needs of a row, never more: the caller still checks each row it gets
(the exact rules, such as the sign-up day in the site's zone, stay in one place), so a condition may
only narrow the rows to those that can match.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, and_, func

from subscribers.tables import subscribers


def list_condition(
    *, frequency: str = "", slot: str = "", topic: str = "", since: date | None = None, zone: tzinfo = UTC
) -> ColumnElement[bool] | None:
    """Rows that can match: of ``frequency``, in ``slot``, with ``topic`` (lower case) among their topics,
    signed up on or after the day ``since`` in ``zone``; None when nothing is asked."""
    conditions: list[ColumnElement[bool]] = []
    if frequency:
        conditions.append(subscribers.c.frequency == frequency)
    if slot:
        conditions.append(subscribers.c.slot == slot)
    if topic and topic.isascii():
        # Topics are stored as a JSON list; SQL's lower() folds ASCII letters only, hence ASCII topics only.
        quoted = json.dumps(topic, ensure_ascii=False)
        conditions.append(func.lower(subscribers.c.topics).contains(quoted, autoescape=True))
    if since is not None:
        # A day early: the start of a day in any zone is within a day of its start in UTC.
        start = datetime.combine(since, time.min, tzinfo=zone).astimezone(UTC) - timedelta(days=1)
        conditions.append(subscribers.c.created >= start)
    return and_(*conditions) if conditions else None
