"""What :class:`~syndication.sources.testing.FakeWordPress` serves: its posts, authors and media, and WordPress's
own ways with dates and excerpts."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

POSTS_PATH = "/wp-json/wp/v2/posts"
Failure = Literal["500", "invalid_json", "hang"]


@dataclass(frozen=True)
class FakeAuthor:
    id: int
    name: str
    slug: str
    description: str = ""


@dataclass(frozen=True)
class FakeMedia:
    id: int
    source_url: str
    alt_text: str = ""
    caption: str = ""
    credit: str = ""
    width: int = 1200
    height: int = 800
    mime_type: str = "image/jpeg"


@dataclass(frozen=True)
class FakePost:
    id: int
    title: str
    content: str
    date: datetime
    modified: datetime
    slug: str
    author: FakeAuthor | None
    media: FakeMedia | None = None
    excerpt: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    status: str = "publish"
    password: str = ""


def _wp_time(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """WordPress's date format: ISO 8601 without offset (``date`` local, ``*_gmt`` UTC)."""
    converted = moment.astimezone(zone or UTC)
    return converted.replace(tzinfo=None).isoformat(timespec="seconds")


def _parse_param_time(value: str, zone: ZoneInfo) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Like WordPress: a time without offset is in the site's zone.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


_TAG = re.compile(r"<[^>]+>")
# wp_strip_all_tags drops what scripts and styles hold, not only their tags.
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)[^>]*?>.*?</\1>", re.IGNORECASE | re.DOTALL)


def _auto_excerpt(content: str) -> str:
    """What WordPress generates without a hand-written excerpt: 55 words and ``[&hellip;]``."""
    words = html.unescape(_TAG.sub(" ", _SCRIPT_OR_STYLE.sub("", content))).split()
    text = " ".join(words[:55])
    more = " [&hellip;]" if len(words) > 55 else ""
    return f"<p>{html.escape(text, quote=False)}{more}</p>\n"
