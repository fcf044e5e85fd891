"""The ``feed`` source: an upstream RSS or Atom feed, for sites without a CMS API.

The feed is fetched with httpx (so time-outs and status codes are ours to report) and
the bytes are handed to feedparser. A feed lists only its latest entries, so this source
is never *complete*: an entry that drops out of the feed stays stored as it was.

Each entry's fingerprint is a digest of the entry as parsed plus the settings that shape
parsing, so an unchanged entry is not parsed again.
"""

from __future__ import annotations

import calendar
import hashlib
import html as html_lib
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx

from syndication.anatomy import parse_body
from syndication.config import SiteConfig, SourceConfig
from syndication.errors import BadField, ConfigError, InputError, Message, SourceUnavailable
from syndication.html import absolute_url, plain_text
from syndication.model import Article, Author, Image
from syndication.sources import http
from syndication.sources.base import (
    Failed,
    Fetched,
    RemoteEntry,
    SourceContext,
    SourceEvent,
    Unchanged,
    reading_fingerprint,
    regions_among,
    remote_article,
)

log = logging.getLogger(__name__)

ACCEPT = "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8"
# Bumped when entries are read differently, so that stored fingerprints go stale
# (3: titles, tags and captions through syndication.html.plain_text, which drops script bodies).
PARSER_VERSION = "3"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
REGION_SCHEME_NAMES = frozenset({"region", "regions", "regionen"})
DIGITAL_SOURCE_TYPE_SCHEME = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_SOURCE_TYPE = "trainedAlgorithmicMedia"


def _when(entry: Mapping[str, Any], *keys: str) -> datetime | None:
    for key in keys:
        # Only what the entry has: feedparser answers a missing "updated" with "published" (and a warning).
        value = entry.get(f"{key}_parsed") if f"{key}_parsed" in entry else None
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _text_of(detail: Mapping[str, Any] | None, value: str) -> str:
    """Plain text of a feed text construct: HTML ones lose their tags, plain ones only spaces."""
    if detail and detail.get("type") in _HTML_TYPES:
        return plain_text(value)
    return " ".join(value.split())


def is_region_scheme(scheme: Any) -> bool:
    """Whether a category's scheme/domain names a vocabulary of regions (its last path segment)."""
    if not isinstance(scheme, str) or not scheme.strip():
        return False
    last = urlsplit(scheme.strip()).path.rstrip("/").rsplit("/", 1)[-1]
    return last.casefold() in REGION_SCHEME_NAMES


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class FeedSource:
    """Entries of one RSS 2.0, RSS 1.0 or Atom feed."""

    # A feed shows only its latest entries: one missing from it was not removed upstream.
    complete = False

    def __init__(self, config: SourceConfig, *, site: SiteConfig, client: httpx.Client | None = None) -> None:
        if not config.url:
            raise ConfigError("sources: %(name)s: url: a feed source needs the feed's URL", name=config.name)
        self.config = config
        self.site = site
        self.name = config.name
        self.url = config.url
        self.client = client

    def collect(self, context: SourceContext) -> Iterator[SourceEvent]:
        parsed = self.fetch()
        digest = self._settings_digest(context)
        language = str(parsed.feed.get("language") or "").strip() or context.site.language
        for index, entry in enumerate(parsed.entries):
            yield self._event(entry, index, digest, language, context)

    def fetch(self) -> feedparser.FeedParserDict:
        """The parsed feed; SourceUnavailable when the URL does not answer with a feed."""
        with http.client_scope(self.client, self.site) as client:
            response = http.get(client, self.url, self.config.timeout, ACCEPT)
        if not response.is_success:
            raise http.status_error(self.url, response)
        content_type = response.headers.get("Content-Type", "")
        parsed = feedparser.parse(
            response.content,
            response_headers={"content-type": content_type, "content-location": str(response.url)},
            # parse_body sanitizes with the project's rules and resolves links against the entry's URL.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        if not parsed.get("version") and not parsed.entries:
            problem = parsed.get("bozo_exception")
            detail = f" ({problem})" if problem else ""
            raise SourceUnavailable(
                self.url,
                "not an RSS or Atom feed: got %(content_type)s%(detail)s; it starts with: %(snippet)r",
                content_type=content_type or Message("no content type"),
                detail=detail,
                snippet=http.snippet(response),
            )
        self._keep_ids_as_written(parsed, response.content, content_type)
        if parsed.get("bozo"):
            log.warning(
                "feed %s: %s is not well-formed (%s); read %d entries anyway",
                self.name,
                self.url,
                parsed.get("bozo_exception"),
                len(parsed.entries),
            )
        return parsed

    @staticmethod
    def _keep_ids_as_written(parsed: feedparser.FeedParserDict, content: bytes, content_type: str) -> None:
        """Entry ids exactly as the feed writes them.

        feedparser resolves a relative id (Atom ``<id>ag-1</id>``) against the feed's address;
        an article's id must not change when the feed moves (http → https, a new path), so the
        ids come from a second parse that does not know the address. Feeds are small.
        """
        unresolved = feedparser.parse(
            content, response_headers={"content-type": content_type}, sanitize_html=False, resolve_relative_uris=False
        )
        if len(unresolved.entries) != len(parsed.entries):
            return
        for entry, written in zip(parsed.entries, unresolved.entries, strict=True):
            if written.get("id"):
                entry["id"] = written["id"]

    def _event(
        self, entry: Mapping[str, Any], index: int, digest: str, language: str, context: SourceContext
    ) -> SourceEvent:
        external = str(entry.get("id") or entry.get("link") or "").strip()
        where = str(entry.get("link") or "").strip() or f"{self.url} (entry {index + 1})"
        if not external:
            return Failed(f"?{where}", InputError(where, "the entry has neither an id nor a link", "id"))
        canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
        fingerprint = hashlib.sha256(f"{digest}\n{canonical}".encode()).hexdigest()[:32]
        if context.known.get(external) == fingerprint:
            return Unchanged(external)
        try:
            article = self._article(entry, external, language, context)
        except BadField as bad:
            return Failed(external, bad.at(where))
        return Fetched(article, fingerprint)

    def _article(self, entry: Mapping[str, Any], external: str, language: str, context: SourceContext) -> Article:
        link = str(entry.get("link") or "").strip()
        if not link.startswith(("http://", "https://")):
            raise BadField("link", "missing or not an absolute URL: %(link)r", link=link)
        title = _text_of(entry.get("title_detail"), str(entry.get("title") or ""))
        if not title:
            raise BadField("title", "missing: the entry has no title")
        published = _when(entry, "published", "updated", "created")
        if published is None:
            raise BadField("published", "missing or not a date: the entry has no pubDate/published/updated")
        updated = max(_when(entry, "updated") or published, published)

        body, summary = self._body(entry)
        refused = context.too_large(len(body.encode("utf-8")) + len(summary.encode("utf-8")), "content")
        if refused is not None:
            raise refused
        author = self._author(entry, link)
        parsed = parse_body(body, context.anatomy, link, author=author.name if author else None)
        teaser = parsed.teaser
        if summary and plain_text(summary) != plain_text(body):
            teaser = plain_text(summary)

        every_term = [tag for tag in entry.get("tags") or () if isinstance(tag, Mapping)]
        # The IPTC digital source type (media:category) says how the image was made; it is no topic.
        terms = [tag for tag in every_term if not str(tag.get("scheme") or "").startswith(DIGITAL_SOURCE_TYPE_SCHEME)]
        ai_marked = any(str(tag.get("term") or "").endswith(AI_SOURCE_TYPE) for tag in every_term if tag not in terms)
        tags = [plain_text(str(tag.get("label") or tag.get("term") or "")) for tag in terms]
        # Terms of a region vocabulary (this project's own feeds: scheme …/feeds/region/) are regions as written.
        marked = [name for name, tag in zip(tags, terms, strict=True) if name and is_region_scheme(tag.get("scheme"))]
        tag_regions = list(dict.fromkeys([*marked, *regions_among(tags, self.config, parsed)]))
        entry_parts = RemoteEntry(
            external_id=external,
            url=link,
            title=title,
            teaser=teaser,
            published=published,
            updated=updated,
            language=language,
            author=author,
            image=self._image(entry, link, parsed.ai_image_label or ai_marked, context),
            categories=tuple(tag for tag in tags if tag.casefold() not in {r.casefold() for r in tag_regions}),
            tag_regions=tuple(tag_regions),
        )
        return remote_article(self.config, entry_parts, parsed)

    @staticmethod
    def _body(entry: Mapping[str, Any]) -> tuple[str, str]:
        """(body HTML, summary HTML): content:encoded / atom:content, else the summary."""
        summary_detail = entry.get("summary_detail") or {}
        summary = str(entry.get("summary") or "")
        if summary and summary_detail.get("type") not in _HTML_TYPES:
            summary = f"<p>{html_lib.escape(summary, quote=False)}</p>"
        contents = [item for item in entry.get("content") or () if isinstance(item, Mapping) and item.get("value")]
        chosen = next((item for item in contents if item.get("type") in _HTML_TYPES), None)
        if chosen is not None:
            return str(chosen["value"]), summary
        if contents:
            paragraphs = str(contents[0]["value"]).split("\n\n")
            return "".join(
                f"<p>{html_lib.escape(p.strip(), quote=False)}</p>" for p in paragraphs if p.strip()
            ), summary
        return summary, ""

    @staticmethod
    def _author(entry: Mapping[str, Any], link: str) -> Author | None:
        detail = entry.get("author_detail") or {}
        name = str(detail.get("name") or entry.get("author") or "").strip()
        if not name:
            return None
        href = str(detail.get("href") or "").strip()
        return Author(name=name, url=absolute_url(href, link) if href else None)

    @staticmethod
    def _image(entry: Mapping[str, Any], link: str, body_label: bool, context: SourceContext) -> Image | None:
        candidate: dict[str, Any] | None = None
        for enclosure in entry.get("enclosures") or ():
            if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
                candidate = {
                    "url": enclosure["href"],
                    "mime_type": enclosure.get("type"),
                    "length": enclosure.get("length"),
                }
                break
        if candidate is None:
            for media in entry.get("media_content") or ():
                is_image = media.get("medium") == "image" or str(media.get("type", "")).startswith("image/")
                if is_image and media.get("url"):
                    candidate = {k: media.get(k) for k in ("url", "width", "height")} | {"mime_type": media.get("type")}
                    break
        if candidate is None:
            thumbnail = next((t for t in entry.get("media_thumbnail") or () if t.get("url")), None)
            if thumbnail is not None:
                candidate = {k: thumbnail.get(k) for k in ("url", "width", "height")}
        if candidate is None:
            return None
        credits = [
            str(c.get("content") or "").strip() for c in entry.get("media_credit") or () if isinstance(c, Mapping)
        ]
        credit = next((c for c in credits if c), "")
        caption = plain_text(str(entry.get("media_description") or ""))
        labels = [label.casefold() for label in context.anatomy.ai_image_labels if label.strip()]
        carried = f"{caption}\n{credit}".casefold()
        return Image(
            url=absolute_url(str(candidate["url"]), link),
            caption=caption,
            credit=credit,
            ai_generated=body_label or any(label in carried for label in labels),
            mime_type=candidate.get("mime_type") or None,
            length=_int(candidate.get("length")),
            width=_int(candidate.get("width")),
            height=_int(candidate.get("height")),
        )

    def _settings_digest(self, context: SourceContext) -> str:
        return reading_fingerprint(
            PARSER_VERSION, self.config, context, site=("language",), source=("categories", "regions"), length=12
        )
