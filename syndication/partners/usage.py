"""Usage per partner and day: requests, items delivered, pushes delivered and failed, 429s.

Sums of the facts already stored (the request log and the push outbox), read for one partner over
a span of days; days are the site's calendar days. Nothing is counted twice and nothing extra is
written per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from syndication.partners.endpoints import DELIVERED, FAILED
from syndication.partners.tables import partner_pushes, partner_requests


@dataclass(frozen=True)
class DayUsage:
    day: date
    requests: int = 0
    items_delivered: int = 0
    pushes_delivered: int = 0
    pushes_failed: int = 0
    rate_limited: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "day": self.day.isoformat()}


_FIELDS = ("requests", "items_delivered", "pushes_delivered", "pushes_failed", "rate_limited")


def usage_by_day(engine: Engine, partner_id: int, since: datetime, zone: ZoneInfo) -> list[DayUsage]:
    """The partner's usage on every day from ``since`` on that saw any, oldest first."""
    totals: dict[date, dict[str, int]] = {}

    def add(moments: Iterable[tuple[datetime, dict[str, int]]]) -> None:
        for moment, counts in moments:
            day = totals.setdefault(moment.astimezone(zone).date(), dict.fromkeys(_FIELDS, 0))
            for name, value in counts.items():
                day[name] += value

    requests = (
        select(partner_requests.c.requested_at, partner_requests.c.status, partner_requests.c.items_served)
        .where(partner_requests.c.partner_id == partner_id, partner_requests.c.requested_at >= since)
    )
    pushes = (
        select(partner_pushes.c.finished_at, partner_pushes.c.status)
        .where(partner_pushes.c.partner_id == partner_id, partner_pushes.c.finished_at >= since,
               partner_pushes.c.status.in_([DELIVERED, FAILED]))
    )
    with engine.connect() as connection:
        add(
            (row.requested_at, {"requests": 1, "items_delivered": row.items_served if row.status == 200 else 0,
                                "rate_limited": int(row.status == 429)})
            for row in connection.execute(requests)
        )
        add(
            (row.finished_at, {"pushes_delivered": int(row.status == DELIVERED), "items_delivered": 0,
                               "pushes_failed": int(row.status == FAILED)})
            for row in connection.execute(pushes)
        )
    return [DayUsage(day, **counts) for day, counts in sorted(totals.items())]


def days_back(now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The start of the site's calendar day ``days - 1`` days before ``now`` (``days`` = 1: today)."""
    today = now.astimezone(zone).date()
    return datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=zone)
