"""Where the site's feeds live under ``public/`` and how its pages point to them.

The front page, the archive pages and the OPML advertise the feeds; they find them here,
from the settings alone, without asking the feeds feature.
"""

from __future__ import annotations

from dataclasses import dataclass

from syndication.config import Settings
from syndication.feedwriter.formats import FeedFormat
from syndication.html import escape

FEEDS_DIR = "feeds"
OPML_PATH = f"{FEEDS_DIR}/index.opml"
MAIN_KIND = "all"
FORMAT_NAMES = {FeedFormat.RSS: "RSS", FeedFormat.ATOM: "Atom", FeedFormat.JSON: "JSON Feed"}


@dataclass(frozen=True)
class FeedLink:
    """A feed advertised on a page: ``<link rel="alternate" type=… title=… href=…>``."""

    href: str
    media_type: str
    title: str

    def html(self) -> str:
        return (
            f'<link rel="alternate" type="{escape(self.media_type)}" '
            f'title="{escape(self.title)}" href="{escape(self.href)}">'
        )


def feed_path(kind: str, slug: str, feed_format: FeedFormat) -> str:
    """The file of a feed under ``public/``: ``feeds/all.<ext>`` or ``feeds/<kind>/<slug>.<ext>``."""
    if kind == MAIN_KIND:
        return f"{FEEDS_DIR}/{MAIN_KIND}.{feed_format.extension}"
    return f"{FEEDS_DIR}/{kind}/{slug}.{feed_format.extension}"


def public_url(settings: Settings, path: str) -> str:
    """The public URL of ``path`` (relative to ``public/``)."""
    return f"{settings.site.url.rstrip('/')}/{path}"


def site_feeds_title(settings: Settings) -> str:
    """The main feed's title (the site's name unless ``[feeds] title`` says otherwise)."""
    return settings.feeds.title or settings.site.name


def feed_links(settings: Settings, title: str, kind: str = MAIN_KIND, slug: str = MAIN_KIND) -> list[FeedLink]:
    """One feed (the main one unless ``kind``/``slug`` say which) in every format."""
    return [
        FeedLink(public_url(settings, feed_path(kind, slug, f)), f.media_type, f"{title} ({FORMAT_NAMES[f]})")
        for f in FeedFormat
    ]


def main_feed_links(settings: Settings) -> list[FeedLink]:
    """The ``<link rel="alternate">`` tags every page of the site carries: the main feed in every format."""
    return feed_links(settings, site_feeds_title(settings))
