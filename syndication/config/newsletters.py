"""Newsletters (``[[newsletters]]``) and the sending calendar (``[calendar]``).

A newsletter is an edition kind with its own readers: a title, a sender, a language, which articles it
carries (include and exclude over categories, regions, authors and tags), a schedule (daily, weekly, a
cron expression in the site's zone, or none for special editions only), its delivery slots, a template
and a size budget. ``[[digest.editions]]`` are still read, as newsletters (see
:meth:`syndication.config.settings.Settings.newsletters`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from syndication.config.base import Section
from syndication.config.content import EditionConfig
from syndication.errors import BadValue

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _folded(values: Iterable[str]) -> frozenset[str]:
    return frozenset(value.strip().casefold() for value in values if value.strip())


class ArticleFilter(Section):
    """Terms an article may carry; an article matches when it carries any of them."""

    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    # The store keeps no tags of their own: a WordPress tag is a region or dropped, so tags are
    # matched against every term of the article (categories and regions).
    tags: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.categories or self.regions or self.authors or self.tags)

    def matches(self, categories: Iterable[str], regions: Iterable[str], author: str | None) -> bool:
        """Whether an article with these terms carries any term named here (case-insensitive)."""
        cats, regs = _folded(categories), _folded(regions)
        return bool(
            _folded(self.categories) & cats
            or _folded(self.regions) & regs
            or _folded(self.tags) & (cats | regs)
            or (author is not None and author.strip().casefold() in _folded(self.authors))
        )


class NewsletterConfig(EditionConfig):
    """One newsletter: an edition kind with its own subscribers and article selection."""

    # daily | weekly | cron (``cron`` decides the build time) | none (special editions only).
    schedule: Literal["daily", "weekly", "cron", "none"] = "daily"
    frequency: Literal["daily", "weekly"] = "daily"
    description: str = ""
    # The From of this newsletter's mail; None: [delivery] from_name / from_email.
    sender_name: str | None = None
    sender_email: str | None = None
    # None: the site's language.
    language: str | None = None
    include: ArticleFilter = ArticleFilter()
    exclude: ArticleFilter = ArticleFilter()
    # The digest template (templates/email/<template>.mjml.j2 and .txt.j2).
    template: str = "digest"
    # None: [digest] size_budget_bytes.
    size_budget_bytes: int | None = Field(default=None, ge=10_000)
    # Whether a reader may get an article again on a day another edition already brought it (special editions).
    repeat_articles: bool = False
    # Readers subscribed to these names get this newsletter too (a database upgraded from editions has each
    # reader subscribed to `daily` or `weekly`, by frequency).
    readers_of: tuple[str, ...] = ()
    # The zone the slots are read in: "site" ([site] timezone, for every reader) or "reader" (each reader's
    # own zone, the site's for readers without one: 06:00 is 06:00 in New York and in Tokyo).
    slot_zone: Literal["site", "reader"] = "site"

    @model_validator(mode="before")
    @classmethod
    def _frequency_from_schedule(cls, data: Any) -> Any:
        if isinstance(data, dict) and "frequency" not in data:
            data = {**data, "frequency": "weekly" if data.get("schedule") == "weekly" else "daily"}
        return data

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise BadValue("lower-case letters, digits, '-' and '_' (at most 40), not %(value)r", value=value)
        return value

    @model_validator(mode="after")
    def _cron_for_cron(self) -> NewsletterConfig:
        if self.schedule == "cron" and not self.cron:
            raise BadValue("schedule = 'cron' needs a cron expression (key cron)")
        if self.slot_zone == "reader" and self.cron:
            # One edition a day, built at the first slot in the site's zone, is what each zone's slot
            # is matched to; a cron build has no such day.
            raise BadValue("slot_zone = 'reader' goes with schedule 'daily' or 'weekly', not with a cron expression")
        return self

    @property
    def in_reader_zones(self) -> bool:
        """Whether each reader gets the slots at that wall-clock time in their own zone."""
        return self.slot_zone == "reader"

    @property
    def scheduled(self) -> bool:
        """Whether the scheduler builds and sends it (not for ``schedule = "none"``)."""
        return self.schedule != "none"

    @property
    def audience(self) -> tuple[str, ...]:
        """The subscription names whose readers get it: its own, then ``readers_of``."""
        return (self.name, *(name for name in self.readers_of if name != self.name))

    def selects(self, categories: Iterable[str], regions: Iterable[str], author: str | None) -> bool:
        """Whether an article with these terms belongs in this newsletter (include, then exclude)."""
        categories, regions = tuple(categories), tuple(regions)
        if not self.include.empty and not self.include.matches(categories, regions, author):
            return False
        return not (not self.exclude.empty and self.exclude.matches(categories, regions, author))


def from_edition(edition: EditionConfig) -> NewsletterConfig:
    """A ``[[digest.editions]]`` entry read as a newsletter: every article, its readers by frequency."""
    values = edition.model_dump()
    schedule = "cron" if edition.cron else edition.frequency
    readers = (edition.frequency,) if edition.frequency != edition.name else ()
    return NewsletterConfig(**values, schedule=schedule, readers_of=readers)


_DAY = re.compile(r"^(\d{4}-)?(\d{2})-(\d{2})$")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class CalendarConfig(Section):
    """When no regular edition goes out (special editions do): quiet days, weekdays and hours, local time."""

    # "MM-DD" every year (e.g. "12-24") or "YYYY-MM-DD" once.
    quiet_days: tuple[str, ...] = ()
    quiet_weekdays: tuple[Weekday, ...] = ()
    # "HH:MM-HH:MM" local time, end excluded; may run past midnight ("22:00-06:00").
    quiet_hours: tuple[str, ...] = ()

    @field_validator("quiet_days")
    @classmethod
    def _valid_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for day in value:
            found = _DAY.match(day)
            try:
                if not found:
                    raise ValueError
                date(int((found.group(1) or "2000-")[:4]), int(found.group(2)), int(found.group(3)))
            except ValueError:
                raise BadValue("days as 'MM-DD' or 'YYYY-MM-DD', not %(day)r", day=day) from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _valid_hours(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for span in value:
            found = _HOURS.match(span)
            if not found or int(found.group(1)) > 23 or int(found.group(3)) > 24 or int(found.group(2)) > 59 \
                    or int(found.group(4)) > 59:
                raise BadValue("hours as 'HH:MM-HH:MM', not %(span)r", span=span)
        return value

    def is_quiet(self, local: datetime) -> bool:
        """Whether a regular send at this local time (in the site's zone) is held back."""
        return self.is_quiet_day(local.date()) or self.is_quiet_time(local.time().replace(tzinfo=None))

    def is_quiet_day(self, day: date) -> bool:
        """Whether ``day`` is a quiet day or weekday (no regular edition of that date goes out)."""
        if WEEKDAYS[day.weekday()] in self.quiet_weekdays:
            return True
        return day.strftime("%m-%d") in self.quiet_days or day.isoformat() in self.quiet_days

    def is_quiet_time(self, moment: time) -> bool:
        """Whether a wall-clock time falls in the quiet hours."""
        for span in self.quiet_hours:
            start_text, _, end_text = span.partition("-")
            start = time.fromisoformat(start_text)
            end = time.max if end_text == "24:00" else time.fromisoformat(end_text)
            inside = start <= moment < end if start <= end else (moment >= start or moment < end)
            if inside:
                return True
        return False


# A reader's zone as stored in subscribers.timezone (IANA names are at most 64 characters there).
ZONE_MAX_LENGTH = 64
# "HH:MM" or "HH:MM <IANA zone>": a slot and the zone whose readers it goes to (see slot_label).
SLOT_LABEL_LENGTH = 80


@lru_cache(maxsize=1024)
def known_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name`` names, or None (empty, unknown, too long, or not a zone name at all)."""
    text = (name or "").strip()
    if not text or len(text) > ZONE_MAX_LENGTH or text.startswith(("/", ".")) or ".." in text:
        return None
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def clean_zone(name: str | None) -> str | None:
    """A reader's zone for storing: the IANA name, None when empty; ValueError when it names no zone."""
    text = (name or "").strip()
    if not text:
        return None
    if known_zone(text) is None:
        raise BadValue("an IANA time zone such as 'America/New_York', not %(zone)r", zone=text)
    return text


def slot_label(slot: str, zone: str | None) -> str:
    """What a send of ``slot`` to the readers of ``zone`` is called in the ledgers (None: the site's zone)."""
    return slot if zone is None else f"{slot} {zone}"


def split_slot_label(label: str) -> tuple[str, str | None]:
    """(slot, zone) of a :func:`slot_label`; zone None: the site's zone's readers (or every reader)."""
    slot, _, zone = label.partition(" ")
    return slot, (zone.strip() or None)


def reader_zone_groups(site_zone: str, reader_zones: Iterable[str | None]) -> list[str | None]:
    """The zones a reader-zone slot is sent in: the site's (None, always first) and each other zone readers
    set that names an IANA zone, sorted. Readers without a zone, or with one that names none, are the site's."""
    others = {name for name in reader_zones if name and name == name.strip() and known_zone(name) is not None}
    others.discard(site_zone)
    return [None, *sorted(others)]
