"""The ``wordpress`` source: published posts from the WordPress REST API v2.

One collect is

1. **the listing**: ``GET {url}/wp-json/wp/v2/posts?_embed&status=publish&orderby=modified&order=asc``
   page by page (``X-WP-TotalPages``). Once the store knows posts of this source, only
   posts modified after the newest stored ``modified_gmt`` are asked for
   (``modified_after``, less a minute of overlap so that a post saved in the same second
   as the last collect is not missed; the overlap's posts come back ``Unchanged``).
2. **the sweep** (incremental runs only, ``detect_unpublished``): the ids and modified
   times of every published post (``_fields=id,modified_gmt``, 100 a page). A known post
   that is no longer listed was unpublished, trashed or deleted in WordPress: the sweep
   makes this collect *complete*, so the collector marks it retracted. A listed post whose
   modified time differs from the stored one (it moved between pages while the listing
   ran) is fetched by id.

The fingerprint of a post is its ``modified_gmt`` plus a digest of the settings that shape
parsing, so a change of the anatomy config re-reads every post at the next sweep.
No retries inside a collect: a failing page raises SourceUnavailable naming its URL after
the posts of earlier pages were handed on (and are stored); the next run tries again.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from syndication.anatomy import ParsedBody, parse_body
from syndication.config import SiteConfig, SourceConfig
from syndication.errors import BadField, ConfigError, InputError, SourceUnavailable
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

POSTS_PATH = "/wp-json/wp/v2/posts"
ACCEPT = "application/json"
# Posts saved in the same second as the last collect must not be missed.
OVERLAP = timedelta(minutes=1)
SWEEP_PAGE_SIZE = 100
# Bumped when posts are read differently, so that stored fingerprints go stale
# (3: titles, names and captions through syndication.html.plain_text, which drops script bodies).
PARSER_VERSION = "3"
_SPACE = re.compile(r"\s+")
# WordPress ends generated excerpts with " [&hellip;]" (or a theme's "Read more" link).
_AUTO_EXCERPT_END = re.compile(r"\s*(\[(…|\.\.\.)\]|…)\s*$")


def _rendered(post: Mapping[str, Any], key: str) -> str:
    value = post.get(key)
    if isinstance(value, Mapping):
        value = value.get("rendered")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadField(key, "expected {'rendered': text}, got %(kind)s", kind=type(value).__name__)
    return value


def parse_wp_time(value: Any, field: str, zone: Any = UTC) -> datetime:
    """WordPress's ``2026-02-02T09:15:00`` (no offset) as an aware UTC datetime; ``zone`` for local fields."""
    if not isinstance(value, str) or not value.strip():
        raise BadField(field, "missing or not a date: %(value)r", value=value)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadField(field, "not an ISO 8601 date: %(value)r", value=value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _modified_of(fingerprint: str | None) -> datetime | None:
    if not fingerprint:
        return None
    try:
        return parse_wp_time(fingerprint.split("#", 1)[0], "modified_gmt")
    except BadField:
        return None


def modified_after(known: Mapping[str, str | None]) -> datetime | None:
    """Where an incremental listing starts: the newest stored modified time less the overlap."""
    times = [moment for moment in map(_modified_of, known.values()) if moment is not None]
    return max(times) - OVERLAP if times else None


def _teaser(excerpt: str, content_text: str, lead: str) -> str:
    """A hand-written excerpt wins; a generated one (the first 55 words of everything) loses to the lead."""
    core = _AUTO_EXCERPT_END.sub("", excerpt)
    generated = _SPACE.sub("", content_text).startswith(_SPACE.sub("", core))
    if core and not generated:
        return core
    return lead or core


def _embedded(post: Mapping[str, Any], rel: str) -> list[Any]:
    embedded = post.get("_embedded")
    if not isinstance(embedded, Mapping):
        return []
    value = embedded.get(rel)
    return value if isinstance(value, list) else []


def _usable(item: Any) -> bool:
    # WordPress embeds an error object ({"code": "rest_forbidden", …}) where it may not show a resource.
    return isinstance(item, Mapping) and "code" not in item


class WordPressSource:
    """Posts of one WordPress site, by its REST API."""

    def __init__(self, config: SourceConfig, *, site: SiteConfig, client: httpx.Client | None = None) -> None:
        if not config.url:
            raise ConfigError("sources: %(name)s: url: a wordpress source needs the site's address", name=config.name)
        self.config = config
        self.site = site
        self.name = config.name
        self.client = client
        # Accept the site's address with or without the API root ("…/wp-json").
        site_url = config.url.rstrip("/").removesuffix("/wp-json")
        self.endpoint = site_url + POSTS_PATH
        # Set by collect(): True once a run has listed every published post.
        self.complete = False

    # -- the run -----------------------------------------------------------------------

    def collect(self, context: SourceContext) -> Iterator[SourceEvent]:
        self.complete = False
        digest = self._settings_digest(context)
        since = modified_after(context.known)
        handled: set[str] = set()
        with http.client_scope(self.client, self.site) as client:
            params: dict[str, Any] = {
                "status": "publish",
                "per_page": self.config.per_page,
                "orderby": "modified",
                "order": "asc",
            }
            if since is not None:
                params["modified_after"] = since.isoformat(timespec="seconds")
            for page_url, posts in self._pages(client, params, embed=True):
                yield from self._events(posts, page_url, context, digest, handled)
            if since is None:
                self.complete = True
                return
            if not self.config.detect_unpublished:
                return
            yield from self._sweep(client, context, digest, handled)
            self.complete = True

    def _sweep(
        self, client: httpx.Client, context: SourceContext, digest: str, handled: set[str]
    ) -> Iterator[SourceEvent]:
        """List every published id; re-fetch the ones whose stored version is stale or missing."""
        params = {
            "status": "publish",
            "per_page": SWEEP_PAGE_SIZE,
            "orderby": "id",
            "order": "asc",
            "_fields": "id,modified_gmt",
        }
        stale: list[str] = []
        for page_url, items in self._pages(client, params, embed=False):
            for item in items:
                post_id = item.get("id") if isinstance(item, Mapping) else None
                if not isinstance(post_id, int) or isinstance(post_id, bool):
                    # Without every id, "not listed" would wrongly mean "unpublished".
                    raise SourceUnavailable(page_url, "a listed post has no numeric id: %(item)s", item=str(item)[:80])
                external = str(post_id)
                if external in handled:
                    continue
                handled.add(external)
                if context.known.get(external) == f"{item.get('modified_gmt')}#{digest}":
                    yield Unchanged(external)
                else:
                    stale.append(external)
        for start in range(0, len(stale), SWEEP_PAGE_SIZE):
            chunk = stale[start : start + SWEEP_PAGE_SIZE]
            params = {"status": "publish", "include": ",".join(chunk), "per_page": len(chunk), "orderby": "id"}
            for page_url, posts in self._pages(client, params, embed=True):
                yield from self._events(posts, page_url, context, digest, set())

    # -- pages ---------------------------------------------------------------------------

    def _pages(
        self, client: httpx.Client, params: Mapping[str, Any], *, embed: bool
    ) -> Iterator[tuple[str, list[Any]]]:
        """(page URL, decoded posts) for every page; raises SourceUnavailable naming the failing page."""
        page = 1
        per_page = int(params["per_page"])
        while True:
            url = http.with_query(self.endpoint, {**params, "page": page}, flags=("_embed",) if embed else ())
            response = http.get(client, url, self.config.timeout, ACCEPT)
            if response.status_code == 400 and page > 1 and _error_code(response) == "rest_post_invalid_page_number":
                # Posts were unpublished while we paged: fewer pages than announced.
                raise SourceUnavailable(
                    url,
                    "HTTP 400: rest_post_invalid_page_number: the page is past the end; posts were removed "
                    "while the listing ran. The next collect reads the listing again",
                )
            if not response.is_success:
                raise http.status_error(url, response)
            try:
                posts = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise SourceUnavailable(
                    url,
                    "invalid JSON in the answer (%(exc)s); it starts with: %(snippet)r",
                    exc=exc,
                    snippet=http.snippet(response),
                ) from None
            if isinstance(posts, Mapping) and "code" in posts:
                raise SourceUnavailable(
                    url, "WordPress error %(code)s: %(text)s", code=posts.get("code"), text=posts.get("message", "")
                )
            if not isinstance(posts, list):
                raise SourceUnavailable(url, "expected a JSON list of posts, got %(kind)s", kind=type(posts).__name__)
            yield url, posts
            total_pages = _total_pages(response)
            if total_pages is None:
                if len(posts) < per_page:
                    return
            elif page >= total_pages:
                return
            page += 1

    def _events(
        self, posts: list[Any], page_url: str, context: SourceContext, digest: str, handled: set[str]
    ) -> Iterator[SourceEvent]:
        for index, post in enumerate(posts):
            event = self._event(post, index, page_url, context, digest)
            if event is None:
                continue
            handled.add(event.article.external_id if isinstance(event, Fetched) else event.external_id)
            yield event

    def _event(self, post: Any, index: int, page_url: str, context: SourceContext, digest: str) -> SourceEvent | None:
        post_id = post.get("id") if isinstance(post, Mapping) else None
        if not isinstance(post_id, int) or isinstance(post_id, bool):
            where = f"{page_url} (item {index + 1})"
            return Failed(f"?{where}", InputError(where, "not a post object with a numeric id", "id"))
        external = str(post_id)
        link = post.get("link")
        where = link if isinstance(link, str) and link else f"{self.endpoint}/{post_id}"
        if post.get("status", "publish") != "publish":
            return None  # only an authenticated client sees drafts; they are not syndicated
        content = post.get("content")
        if isinstance(content, Mapping) and content.get("protected"):
            log.info("wordpress %s: %s is password-protected; not collected", self.name, where)
            return None
        fingerprint = f"{post.get('modified_gmt')}#{digest}"
        if context.known.get(external) == fingerprint:
            return Unchanged(external)
        try:
            article = self._article(post, external, context)
        except BadField as bad:
            return Failed(external, bad.at(where))
        return Fetched(article, fingerprint)

    # -- one post ------------------------------------------------------------------------

    def _article(self, post: Mapping[str, Any], external: str, context: SourceContext) -> Article:
        link = post.get("link")
        if not isinstance(link, str) or not link.startswith(("http://", "https://")):
            raise BadField("link", "missing or not an absolute URL: %(link)r", link=link)
        title = plain_text(_rendered(post, "title"))
        if not title:
            raise BadField("title", "missing: the post has no title")
        if post.get("date_gmt"):
            published = parse_wp_time(post.get("date_gmt"), "date_gmt")
        else:
            published = parse_wp_time(post.get("date"), "date", context.site.zone)
        modified = post.get("modified_gmt")
        updated = max(parse_wp_time(modified, "modified_gmt"), published) if modified else published

        content = _rendered(post, "content")
        refused = context.too_large(len(content.encode("utf-8")), "content")
        if refused is not None:
            raise refused
        author = self._author(post)
        parsed = parse_body(content, context.anatomy, link, author=author.name if author else None)
        teaser = _teaser(plain_text(_rendered(post, "excerpt")), plain_text(content), parsed.teaser)

        categories, tags = self._terms(post)
        entry = RemoteEntry(
            external_id=external,
            url=link,
            title=title,
            teaser=teaser,
            published=published,
            updated=updated,
            language=context.site.language,
            author=author,
            image=self._image(post, link, parsed.ai_image_label, context) or _body_image(parsed),
            categories=tuple(categories),
            tag_regions=tuple(regions_among(tags, self.config, parsed)),
        )
        return remote_article(self.config, entry, parsed)

    @staticmethod
    def _terms(post: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """(category names, tag names) from ``_embedded["wp:term"]``."""
        categories: list[str] = []
        tags: list[str] = []
        for group in _embedded(post, "wp:term"):
            if not isinstance(group, list):
                continue
            for term in group:
                if not _usable(term) or not isinstance(term.get("name"), str):
                    continue
                name = plain_text(term["name"])
                if term.get("taxonomy") == "category":
                    # WordPress's catch-all category is not a topic.
                    if term.get("slug") != "uncategorized":
                        categories.append(name)
                elif term.get("taxonomy") == "post_tag":
                    tags.append(name)
        return categories, tags

    @staticmethod
    def _author(post: Mapping[str, Any]) -> Author | None:
        found = next((item for item in _embedded(post, "author") if _usable(item)), None)
        if found is None or not isinstance(found.get("name"), str) or not found["name"].strip():
            return None
        name = plain_text(found["name"])
        portrait = None
        avatars = found.get("avatar_urls")
        if isinstance(avatars, Mapping) and avatars:
            sizes = sorted(avatars, key=lambda size: int(size) if str(size).isdigit() else 0)
            largest = sizes[-1]
            if isinstance(avatars[largest], str):
                size = int(largest) if str(largest).isdigit() else None
                portrait = Image(url=avatars[largest], alt=f"{name} Portrait", width=size, height=size)
        link = found.get("link")
        return Author(name=name, portrait=portrait, url=link if isinstance(link, str) and link else None)

    @staticmethod
    def _image(post: Mapping[str, Any], link: str, body_label: bool, context: SourceContext) -> Image | None:
        media = next((item for item in _embedded(post, "wp:featuredmedia") if _usable(item)), None)
        if media is None or not isinstance(media.get("source_url"), str) or not media["source_url"]:
            return None
        details = media.get("media_details") if isinstance(media.get("media_details"), Mapping) else {}
        meta = details.get("image_meta") if isinstance(details.get("image_meta"), Mapping) else {}
        alt = plain_text(str(media.get("alt_text") or ""))
        caption = plain_text(_rendered(media, "caption")) or plain_text(str(meta.get("caption") or ""))
        credit = plain_text(str(meta.get("credit") or "")) or plain_text(str(meta.get("copyright") or ""))
        labels = [label.casefold() for label in context.anatomy.ai_image_labels if label.strip()]
        carried = f"{alt}\n{caption}\n{credit}".casefold()
        width, height = details.get("width"), details.get("height")
        return Image(
            url=absolute_url(media["source_url"], link),
            alt=alt,
            caption=caption,
            credit=credit,
            ai_generated=body_label or any(label in carried for label in labels),
            mime_type=media.get("mime_type") if isinstance(media.get("mime_type"), str) else None,
            width=width if isinstance(width, int) else None,
            height=height if isinstance(height, int) else None,
        )

    def _settings_digest(self, context: SourceContext) -> str:
        return reading_fingerprint(
            PARSER_VERSION, self.config, context,
            site=("timezone", "language"), source=("categories", "regions"), length=12,
        )


def _body_image(parsed: ParsedBody) -> Image | None:
    """Without a featured image, the post's first image block is its image (with its own AI label)."""
    if parsed.image is None:
        return None
    return replace(parsed.image, ai_generated=parsed.image.ai_generated or parsed.ai_image_label)


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body.get("code") if isinstance(body, Mapping) else None


def _total_pages(response: httpx.Response) -> int | None:
    value = response.headers.get("X-WP-TotalPages")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
