"""The plan: job ids and triggers from config, fire times in the site's zone, the misfire grace."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from syndication.config import EditionConfig, Settings
from syndication.scheduler.plan import build_plan, collect_interval, fire_times, latest_fire_time
from tests.scheduler.helpers import DAILY, WEEKLY, with_editions

BERLIN = ZoneInfo("Europe/Berlin")


def test_one_job_per_edition_slot_with_explicit_ids(settings: Settings) -> None:
    """Each slot of each edition is a job with a stable id; the first slot builds."""
    plan = build_plan(with_editions(settings, DAILY, WEEKLY))
    assert [
        ("edition:daily:06:00", True),
        ("edition:daily:12:00", False),
        ("edition:daily:18:00", False),
        ("edition:weekly:07:00", True),
    ] == [(job.id, job.builds) for job in plan.slot_jobs]


def test_slot_fire_times_follow_local_time_through_dst(settings: Settings) -> None:
    """The 06:00 trigger fires at 06:00 Berlin time on both sides of 2026-03-29 and 2026-10-25."""
    plan = build_plan(with_editions(settings, DAILY))
    trigger = plan.job("edition:daily:06:00").trigger
    spring = fire_times(trigger, datetime(2026, 3, 28, tzinfo=BERLIN), datetime(2026, 3, 30, 23, 0, tzinfo=BERLIN))
    autumn = fire_times(trigger, datetime(2026, 10, 24, tzinfo=BERLIN), datetime(2026, 10, 26, 23, 0, tzinfo=BERLIN))
    assert ["05:00", "04:00", "04:00"] == [moment.astimezone(ZoneInfo("UTC")).strftime("%H:%M") for moment in spring]
    assert ["04:00", "05:00", "05:00"] == [moment.astimezone(ZoneInfo("UTC")).strftime("%H:%M") for moment in autumn]


def test_weekly_slot_fires_on_its_weekday(settings: Settings) -> None:
    """A weekly edition's slot fires only on the configured weekday."""
    plan = build_plan(with_editions(settings, WEEKLY))
    trigger = plan.job("edition:weekly:07:00").trigger
    moments = list(fire_times(trigger, datetime(2026, 11, 23, tzinfo=BERLIN), datetime(2026, 12, 7, tzinfo=BERLIN)))
    assert [datetime(2026, 11, 28, 7, 0, tzinfo=BERLIN), datetime(2026, 12, 5, 7, 0, tzinfo=BERLIN)] == moments


def test_latest_fire_time_respects_the_grace(settings: Settings) -> None:
    """At 07:59 the 06:00 slot is still due (2 h grace); at 08:01 and at 23:00 it is not."""
    plan = build_plan(with_editions(settings, DAILY))
    trigger = plan.job("edition:daily:06:00").trigger
    grace = plan.misfire_grace
    at = [datetime(2026, 11, 24, h, m, tzinfo=BERLIN) for h, m in ((7, 59), (8, 1), (23, 0))]
    assert [datetime(2026, 11, 24, 6, 0, tzinfo=BERLIN), None, None] == [
        latest_fire_time(trigger, moment, grace) for moment in at
    ]


def test_collect_interval_from_minutes_or_seconds(settings: Settings) -> None:
    """collect_interval_seconds, when set, overrides collect_interval_minutes."""
    def scheduler(**values: float) -> Settings:
        return settings.model_copy(update={"scheduler": settings.scheduler.model_copy(update=values)})

    minutes, seconds = scheduler(collect_interval_minutes=0.5), scheduler(collect_interval_seconds=2)
    assert (timedelta(seconds=30), timedelta(seconds=2)) == (collect_interval(minutes), collect_interval(seconds))


def test_cron_edition_gets_a_build_job(settings: Settings) -> None:
    """A cron expression adds a build job; no slot of that edition builds."""
    edition = EditionConfig(name="late", title="Spät", frequency="daily", slots=("21:00",), cron="0 20 * * mon-fri")
    plan = build_plan(with_editions(settings, edition))
    build = plan.job("edition:late:build")
    first = build.trigger.get_next_fire_time(None, datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN))
    assert [("edition:late:build", True, False), ("edition:late:21:00", False, True)] == [
        (job.id, job.builds, job.sends) for job in plan.slot_jobs
    ]
    assert datetime(2026, 11, 30, 20, 0, tzinfo=BERLIN) == first
