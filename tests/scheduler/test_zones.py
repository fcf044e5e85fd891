"""Which zone's send of a reader-zone slot is due when, and with which edition (pure: no store, no clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from syndication.config import CalendarConfig, NewsletterConfig
from syndication.scheduler.zones import ZoneSlot, due_zone_slots, edition_lag, slot_moment

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
DAILY = NewsletterConfig(name="morgen", title="Der Morgen", slots=("06:00",), slot_zone="reader")
GRACE = timedelta(hours=2)


def due(
    now: datetime, zones: tuple[str, ...], newsletter: NewsletterConfig = DAILY, calendar: CalendarConfig | None = None
) -> list[ZoneSlot]:
    return due_zone_slots(
        newsletter,
        "06:00",
        site=BERLIN,
        calendar=calendar or CalendarConfig(),
        reader_zones=zones,
        now=now,
        grace=GRACE,
    )


def test_zones_whose_six_comes_before_the_site_build_get_the_edition_of_the_day_before() -> None:
    """New York's 06:00 is after Berlin's: same date. Tokyo's is Berlin's evening before: one day back.
    Johannesburg's equals Berlin's in summer but is earlier in winter: one day back all year, never flipping."""
    lags = [edition_lag(zone, BERLIN, "06:00", "06:00", 2026) for zone in (BERLIN, NEW_YORK, TOKYO, JOHANNESBURG)]
    assert [0, 0, 1, 1] == lags


def test_a_slot_skipped_or_doubled_by_a_dst_change_happens_once() -> None:
    """02:30 does not exist in New York on 8 March (read as 03:30 EDT); 01:30 exists twice on 1 November (the first)."""
    assert datetime(2026, 3, 8, 7, 30, tzinfo=UTC) == slot_moment(date(2026, 3, 8), "02:30", NEW_YORK)
    assert datetime(2026, 11, 1, 5, 30, tzinfo=UTC) == slot_moment(date(2026, 11, 1), "01:30", NEW_YORK)


def test_across_the_spring_change_every_zone_gets_each_edition_date_once() -> None:
    """Through March (US change on the 8th, EU change on the 29th), each zone's daily sends carry consecutive
    edition dates: none skipped, none twice."""
    for zone in ("America/New_York", "Asia/Tokyo", "Africa/Johannesburg", "Europe/London"):
        tz = ZoneInfo(zone)
        dates = []
        for offset in range(31):
            moment = slot_moment(date(2026, 3, 1) + timedelta(days=offset), "06:00", tz) + timedelta(minutes=1)
            dates += [send.key.edition_date for send in due(moment, (zone,)) if send.zone == zone]
        assert 31 == len(dates), zone
        assert all(later - earlier == timedelta(days=1) for earlier, later in pairwise(dates))


def test_each_zone_is_due_at_its_own_six_with_its_own_key() -> None:
    """At 12:00 Berlin on 24 November New York's 06:00 is due (key "06:00 America/New_York"), Berlin's only
    within the grace; unknown zone names are the site's."""
    at_noon = due(datetime(2026, 11, 24, 11, 0, tzinfo=UTC), ("America/New_York", "Mars/Olympus_Mons", "Asia/Tokyo"))
    assert [("06:00 America/New_York", date(2026, 11, 24))] == [
        (send.key.slot, send.key.edition_date) for send in at_noon
    ]
    at_six = due(datetime(2026, 11, 24, 5, 0, tzinfo=UTC), ("America/New_York", "Asia/Tokyo"))
    assert [("06:00", date(2026, 11, 24))] == [(send.key.slot, send.key.edition_date) for send in at_six]


def test_quiet_days_are_the_editions_date_and_quiet_hours_the_readers_clock() -> None:
    """No edition dated 25 December goes out: Tokyo gets the 24th's on its 25th and nothing on its 26th.
    Quiet hours 05:00-07:00 hold back 06:00 in every zone."""
    christmas = CalendarConfig(quiet_days=("12-25",))
    tokyo_25 = slot_moment(date(2026, 12, 25), "06:00", TOKYO)
    tokyo_26 = slot_moment(date(2026, 12, 26), "06:00", TOKYO)
    assert [date(2026, 12, 24)] == [
        send.key.edition_date for send in due(tokyo_25, ("Asia/Tokyo",), calendar=christmas) if send.zone
    ]
    assert [] == [send for send in due(tokyo_26, ("Asia/Tokyo",), calendar=christmas) if send.zone]
    early = CalendarConfig(quiet_hours=("05:00-07:00",))
    assert [] == due(slot_moment(date(2026, 11, 24), "06:00", NEW_YORK), ("America/New_York",), calendar=early)


def test_a_weekly_newsletter_reaches_zones_east_of_the_site_the_day_after() -> None:
    """A Saturday newsletter goes out on Saturday 06:00 in New York, on Sunday 06:00 in Tokyo (Saturday's edition)."""
    weekly = DAILY.model_copy(update={"schedule": "weekly", "frequency": "weekly", "weekday": "sat"})
    saturday_ny = due(slot_moment(date(2026, 11, 28), "06:00", NEW_YORK), ("America/New_York",), weekly)
    sunday_tokyo = due(slot_moment(date(2026, 11, 29), "06:00", TOKYO), ("Asia/Tokyo",), weekly)
    saturday_tokyo = due(slot_moment(date(2026, 11, 28), "06:00", TOKYO), ("Asia/Tokyo",), weekly)
    assert [date(2026, 11, 28)] == [send.key.edition_date for send in saturday_ny]
    assert [date(2026, 11, 28)] == [send.key.edition_date for send in sunday_tokyo]
    assert [] == saturday_tokyo


def test_reader_zones_do_not_go_with_a_cron_build() -> None:
    """slot_zone = "reader" with a cron expression is a configuration error naming both."""
    with pytest.raises(ValidationError, match="slot_zone"):
        NewsletterConfig(name="x", title="X", schedule="cron", cron="0 5 * * *", slot_zone="reader")
