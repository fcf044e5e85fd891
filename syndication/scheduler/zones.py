"""Slots in the readers' own zones (``slot_zone = "reader"``): which (zone, date) sends are due at a moment.

A newsletter's 06:00 slot then goes out at 06:00 in each reader zone: one send per zone, each with its
own key in ``edition_sends`` (the slot label ``"06:00 America/New_York"``; the site's zone keeps the plain
``"06:00"``). Every zone gets the edition built once a day in the site's zone, at the site's first slot.
A zone whose slot comes before that build (east of the site) gets the edition of the day before; the lag is
fixed per zone for a calendar year, so that a DST change never makes a reader miss an edition or get one
twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from subscribers.zones import canonical_zone
from syndication.config import CalendarConfig, EditionConfig
from syndication.config.newsletters import WEEKDAYS, known_zone, reader_zone_groups, slot_label
from syndication.scheduler.ledger import SendKey

# Zones are at most 26 hours apart, so an edition is at most two days old when it reaches the last zone.
_MAX_LAG = 3


@dataclass(frozen=True)
class ZoneSlot:
    """One zone's send of one slot: its ledger key, the zone (None: the site's) and its moment (UTC)."""

    key: SendKey
    zone: str | None
    fire: datetime


def slot_moment(day: date, slot: str, zone: ZoneInfo) -> datetime:
    """The moment (UTC) the wall clock of ``zone`` shows ``slot`` on ``day``.

    A slot that does not exist that day (skipped by a DST change) is read with the offset before the change,
    i.e. one hour later on the clock; a slot that exists twice is its first occurrence: one moment per day.
    """
    hour, minute = (int(part) for part in slot.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=4096)
def edition_lag(zone: ZoneInfo, site: ZoneInfo, slot: str, first_slot: str, year: int) -> int:
    """How many days older than the reader's date the edition is that reaches ``zone`` at ``slot``.

    The smallest lag for which the slot comes at or after the site's build (its first slot) of that
    edition's date on every day of ``year``: fixed for the year, whatever the DST rules of both zones.
    """
    start = date(year, 1, 1)
    days = [start + timedelta(days=offset) for offset in range((date(year + 1, 1, 1) - start).days)]
    for lag in range(_MAX_LAG):
        if all(
            slot_moment(day, slot, zone) >= slot_moment(day - timedelta(days=lag), first_slot, site) for day in days
        ):
            return lag
    return _MAX_LAG


def due_zone_slots(
    edition: EditionConfig,
    slot: str,
    *,
    site: ZoneInfo,
    calendar: CalendarConfig,
    reader_zones: Iterable[str | None],
    now: datetime,
    grace: timedelta,
) -> list[ZoneSlot]:
    """Each zone's newest send of ``slot`` within [now - grace, now], oldest moment first (site first on a tie).

    A send is left out when its edition's date (the site's) is a quiet day or not the weekly edition's
    weekday, or when the reader's wall clock at that moment is in the quiet hours.
    """
    due = []
    # Zones under their current IANA names: readers stored as "Asia/Calcutta" and as "Asia/Kolkata" (or with
    # blanks around the name) share one send, keyed by the current name.
    groups = reader_zone_groups(canonical_zone(site.key) or site.key, [canonical_zone(name) for name in reader_zones])
    for order, name in enumerate(groups):
        zone = site if name is None else known_zone(name)
        assert zone is not None
        found = _newest(edition, slot, zone, site, calendar, now, grace)
        if found is not None:
            edition_date, fire = found
            due.append((fire, order, ZoneSlot(SendKey(edition.name, edition_date, slot_label(slot, name)), name, fire)))
    return [zone_slot for _, _, zone_slot in sorted(due, key=lambda item: (item[0], item[1]))]


def _newest(
    edition: EditionConfig,
    slot: str,
    zone: ZoneInfo,
    site: ZoneInfo,
    calendar: CalendarConfig,
    now: datetime,
    grace: timedelta,
) -> tuple[date, datetime] | None:
    """(edition date, moment) of the zone's newest send of ``slot`` within the grace, or None."""
    day = now.astimezone(zone).date()
    while True:
        fire = slot_moment(day, slot, zone)
        if fire <= now:
            break
        day -= timedelta(days=1)
    while now - fire <= grace:
        edition_date = day - timedelta(days=edition_lag(zone, site, slot, edition.slots[0], day.year))
        weekday_ok = edition.frequency != "weekly" or WEEKDAYS[edition_date.weekday()] == edition.weekday
        quiet = calendar.is_quiet_day(edition_date) or calendar.is_quiet_time(fire.astimezone(zone).time())
        if weekday_ok and not quiet:
            return edition_date, fire
        day -= timedelta(days=1)
        fire = slot_moment(day, slot, zone)
    return None
