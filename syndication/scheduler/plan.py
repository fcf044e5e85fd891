"""What runs when: the schedule built from the configuration, and fire-time arithmetic.

The same :class:`SlotJob` triggers drive APScheduler in ``syndication run``, decide what is
due in ``syndication run --once``, and are stepped through by :class:`~.tick.Ticker` in tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from syndication.config import CalendarConfig, EditionConfig, NewsletterConfig, Settings
from syndication.errors import ConfigError

COLLECT_JOB_ID = "collect"


@dataclass(frozen=True)
class SlotJob:
    """One send time of one edition. The first slot (or the cron job) builds the edition."""

    edition: EditionConfig
    slot: str
    trigger: BaseTrigger
    # This job builds the edition (first slot without cron; the build job with cron).
    builds: bool
    # This job sends the edition to the subscribers of ``slot`` (False only for a cron build job).
    sends: bool
    # slot_zone = "reader": ``trigger`` wakes the job at every quarter hour a reader zone's clock may show
    # the slot, and ``home_trigger`` is the slot in the site's zone (for status and /healthz).
    in_reader_zones: bool = False
    home_trigger: BaseTrigger | None = None

    @property
    def id(self) -> str:
        return f"edition:{self.edition.name}:{self.slot if self.sends else 'build'}"

    @property
    def site_trigger(self) -> BaseTrigger:
        """When the slot comes in the site's zone (the trigger itself unless slots are in reader zones)."""
        return self.home_trigger if self.home_trigger is not None else self.trigger

    def describe(self, zone: ZoneInfo) -> str:
        if not self.sends:
            return f"build on cron '{self.edition.cron}' ({zone.key})"
        days = "daily" if self.edition.frequency == "daily" else f"{self.edition.weekday}"
        action = "build and send" if self.builds else "send"
        if self.in_reader_zones:
            return f"{action} {days} at {self.slot} in each reader's zone ({zone.key} without one)"
        return f"{action} {days} at {self.slot} ({zone.key})"


@dataclass(frozen=True)
class Plan:
    zone: ZoneInfo
    collect_interval: timedelta
    misfire_grace: timedelta
    slot_jobs: tuple[SlotJob, ...]

    @property
    def collect_trigger(self) -> IntervalTrigger:
        return IntervalTrigger(seconds=self.collect_interval.total_seconds(), timezone=self.zone)

    def job(self, job_id: str) -> SlotJob:
        for job in self.slot_jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)


def slot_trigger(edition: EditionConfig, slot: str, zone: ZoneInfo) -> CronTrigger:
    hour, minute = (int(part) for part in slot.split(":"))
    day_of_week = edition.weekday if edition.frequency == "weekly" else "*"
    return CronTrigger(day_of_week=day_of_week, hour=hour, minute=minute, timezone=zone)


def reader_zone_trigger(slot: str) -> CronTrigger:
    """Every moment some zone's clock shows ``slot``: every zone's offset is a multiple of 15 minutes, so
    the slot's minute modulo 15, every quarter hour of every day (UTC)."""
    minute = int(slot.split(":")[1]) % 15
    return CronTrigger(minute=",".join(str(minute + 15 * quarter) for quarter in range(4)), timezone=UTC)


def build_trigger(edition: EditionConfig, zone: ZoneInfo) -> CronTrigger:
    assert edition.cron is not None
    try:
        return CronTrigger.from_crontab(edition.cron, timezone=zone)
    except ValueError as exc:
        raise ConfigError(
            "digest.editions[%(name)s].cron: bad value %(cron)r: %(reason)s", name=edition.name, cron=edition.cron,
            reason=str(exc),
        ) from None


class QuietTrigger(BaseTrigger):  # type: ignore[misc]
    """A newsletter's trigger with the sending calendar's quiet days and hours left out (``[calendar]``).

    Fire times that fall on a quiet day or hour (local time) are skipped, not moved: the next regular
    edition goes out at its next ordinary time. Special editions do not go through the scheduler.
    """

    # Enough for years of a minutely cron expression inside quiet hours; a calendar quiet for ever ends it.
    _LIMIT = 100_000

    def __init__(self, inner: BaseTrigger, calendar: CalendarConfig, zone: ZoneInfo) -> None:
        self.inner = inner
        self.calendar = calendar
        self.zone = zone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        moment = self.inner.get_next_fire_time(previous_fire_time, now)
        for _ in range(self._LIMIT):
            if moment is None or not self.calendar.is_quiet(moment.astimezone(self.zone)):
                return moment
            moment = self.inner.get_next_fire_time(moment, moment + timedelta(microseconds=1))
        return None

    def __str__(self) -> str:
        return f"{self.inner} outside quiet times"


def _calendar_applied(trigger: BaseTrigger, settings: Settings) -> BaseTrigger:
    calendar = settings.calendar
    if not (calendar.quiet_days or calendar.quiet_weekdays or calendar.quiet_hours):
        return trigger
    return QuietTrigger(trigger, calendar, settings.site.zone)


def collect_interval(settings: Settings) -> timedelta:
    config = settings.scheduler
    seconds = config.collect_interval_seconds or config.collect_interval_minutes * 60
    return timedelta(seconds=seconds)


def build_plan(settings: Settings) -> Plan:
    zone = settings.site.zone
    jobs: list[SlotJob] = []
    for edition in settings.digest.editions:
        if isinstance(edition, NewsletterConfig) and not edition.scheduled:
            # schedule = "none": special editions only (`digest special`), nothing on a timer.
            continue
        if edition.cron:
            trigger = _calendar_applied(build_trigger(edition, zone), settings)
            jobs.append(SlotJob(edition, edition.slots[0], trigger, builds=True, sends=False))
        in_reader_zones = isinstance(edition, NewsletterConfig) and edition.in_reader_zones
        for index, slot in enumerate(edition.slots):
            builds = index == 0 and not edition.cron
            trigger = _calendar_applied(slot_trigger(edition, slot, zone), settings)
            if in_reader_zones:
                # The calendar is applied per zone when the job runs (syndication.scheduler.zones).
                jobs.append(SlotJob(edition, slot, reader_zone_trigger(slot), builds=builds, sends=True,
                                    in_reader_zones=True, home_trigger=trigger))
            else:
                jobs.append(SlotJob(edition, slot, trigger, builds=builds, sends=True))
    return Plan(
        zone=zone,
        collect_interval=collect_interval(settings),
        misfire_grace=timedelta(seconds=settings.scheduler.misfire_grace_seconds),
        slot_jobs=tuple(jobs),
    )


def fire_times(trigger: BaseTrigger, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every fire time of ``trigger`` in [start, end], oldest first."""
    previous: datetime | None = None
    moment = trigger.get_next_fire_time(None, start)
    while moment is not None and moment <= end:
        yield moment
        previous = moment
        moment = trigger.get_next_fire_time(previous, moment + timedelta(microseconds=1))


def latest_fire_time(trigger: BaseTrigger, now: datetime, grace: timedelta) -> datetime | None:
    """The newest fire time in [now - grace, now]: what a run at ``now`` stands for, if anything.

    A run later than ``grace`` after its fire time is a misfire: it is not made up for
    (no 06:00 digest at 23:00); the next fire time is the next chance.
    """
    latest = None
    for moment in fire_times(trigger, now - grace, now):
        latest = moment
    return latest


def next_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    return trigger.get_next_fire_time(None, now)
