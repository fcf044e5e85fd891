"""What a feed says: the fields its hooks return, a head for the feed and an entry per item.

These are plain values, written by each feed (the site's, the editions archive, the partner
feed) and read by :class:`~syndication.feedwriter.writer.FeedWriter`, which alone knows
feedgen. They are kept apart from the writer so that a feed's vocabulary reads on one page,
without the workarounds of how it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from syndication.feedwriter.formats import GENERATOR

__all__ = ["Category", "Enclosure", "Entry", "FeedHead", "Person"]


@dataclass(frozen=True)
class Person:
    name: str
    uri: str | None = None


@dataclass(frozen=True)
class Category:
    term: str
    label: str | None = None
    scheme: str | None = None


@dataclass(frozen=True)
class Enclosure:
    """A file that goes with an entry (an image): RSS ``<enclosure>``, Atom ``link rel="enclosure"``."""

    url: str
    type: str
    length: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class FeedHead:
    """What a feed says about itself. URLs are absolute; ``self_url`` is this document's URL.

    ``updated`` None: the newest entry's ``updated`` (never the build time). ``subtitle``
    (RSS: the required description) falls back to the title. ``ttl_minutes`` is RSS only.
    """

    id: str
    title: str
    self_url: str
    alternate_url: str
    updated: datetime | None = None
    language: str | None = None
    subtitle: str | None = None
    author: Person | None = None
    logo: str | None = None
    icon: str | None = None
    rights: str | None = None
    generator: str | None = GENERATOR
    hub: str | None = None
    ttl_minutes: int | None = None


@dataclass(frozen=True)
class Entry:
    """One item of a feed. ``link`` is its web page; ``language`` is said when not the feed's."""

    id: str
    title: str
    link: str
    updated: datetime
    published: datetime | None = None
    author: Person | None = None
    categories: tuple[Category, ...] = ()
    summary: str | None = None
    content_html: str | None = None
    enclosure: Enclosure | None = None
    rights: str | None = None
    language: str | None = None
