"""Feed formats, the vocabularies our feeds use, and the permanent ``tag:`` ids (RFC 4151)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from urllib.parse import urlsplit

from syndication.model import Article

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Every namespace an RSS or Atom feed of ours may use: validators and readers know them all.
NAMESPACES = frozenset({ATOM_NS, MEDIA_NS, SY_NS, DC_NS, CONTENT_NS, XML_NS})
GENERATOR = "syndication"
# An empty feed has no newest entry; this fixed time keeps it deterministic.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The date in the tag: URIs (RFC 4151). It must never change, or every id would.
TAG_DATE = "2026"


class FeedFormat(Enum):
    RSS = ("rss", "application/rss+xml")
    ATOM = ("atom", "application/atom+xml")
    JSON = ("json", "application/feed+json")

    def __init__(self, extension: str, media_type: str) -> None:
        self.extension = extension
        self.media_type = media_type


def tag_authority(site_url: str) -> str:
    """The site's host name, the authority of every ``tag:`` URI."""
    return urlsplit(site_url).hostname or "localhost"


def tag_uri(authority: str, specific: str) -> str:
    """A ``tag:`` URI (RFC 4151) under ``authority`` (the site's host name)."""
    return f"tag:{authority},{TAG_DATE}:{specific}"


def article_tag_uri(authority: str, article: Article) -> str:
    """The article's permanent id in every feed: built from its stable id, never from URL or title."""
    return tag_uri(authority, f"article:{article.id}")
