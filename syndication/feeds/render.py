"""Feed rendering: RSS 2.0 and Atom 1.0 through the feed writer, JSON Feed 1.1 by hand. Pure: bytes out.

RSS and Atom are written by :class:`~syndication.feedwriter.writer.FeedWriter` (feedgen, its
known bugs corrected there); this module says what an article looks like in a feed
(:class:`ArticleEntries`, which the partner feed reuses) and what the site's feeds say about
themselves (:class:`FeedMeta`).

Only well-known vocabularies appear (:data:`~syndication.feedwriter.formats.NAMESPACES`): Atom,
Media RSS, Dublin Core, RSS 1.0 content and syndication. An AI-generated image carries the IPTC
digital source type as a ``media:category`` of its ``media:content``, with the IPTC vocabulary as scheme.

Items are given in the order they should appear (newest first); selection (which
articles, retracted ones left out) is the caller's job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from lxml import etree

from syndication.feeds.content import (
    AI_GENERATED_SOURCE_TYPE_LABEL,
    AI_GENERATED_SOURCE_TYPE_URI,
    DIGITAL_SOURCE_TYPE_SCHEME,
    FeedItem,
    feed_item,
)
from syndication.feedwriter.formats import EPOCH, GENERATOR, MEDIA_NS, FeedFormat, article_tag_uri
from syndication.feedwriter.fragments import FragmentCache
from syndication.feedwriter.writer import Category, Enclosure, Entry, FeedHead, FeedWriter, Person
from syndication.html import plain_text, strip_xml_invalid
from syndication.model import Article

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The JSON Feed extension object's key, and the "about" its documentation is at (relative to the site).
JSON_EXTENSION = "_syndication"
JSON_EXTENSION_DOCS = "feeds/json-feed-extension.html"


@dataclass(frozen=True)
class FeedMeta:
    """What a feed says about itself. URLs are absolute; ``self_url`` is this format's URL."""

    id: str
    title: str
    self_url: str
    alternate_url: str
    tag_authority: str
    language: str = "de"
    description: str = ""
    logo: str | None = None
    icon: str | None = None
    copyright: str | None = None
    hub: str | None = None
    # The publisher, named as the feed's author: Atom needs an author for entries without one.
    publisher: str | None = None
    category_scheme: str | None = None
    region_scheme: str | None = None
    ttl_minutes: int = 15
    # Where the JSON Feed extension is documented (its "about").
    extension_docs: str | None = None


@dataclass(frozen=True)
class AtomOptions:
    """Choices for Atom feeds given to others (the partner feed writes :class:`ArticleEntries` with them).

    ``full_content`` False leaves out ``<content>`` (summary and link only);
    ``entry_rights`` puts an ``<rights>`` on every entry; ``media_credits`` False
    leaves ``media:credit`` out (for images a partner may not credit by name).
    """

    full_content: bool = True
    entry_rights: str | None = None
    media_credits: bool = True


@dataclass(frozen=True)
class ArticleEntries:
    """How an article is written as an RSS item or Atom entry: the site's feeds and the partner feed.

    Equal values write equal entries (the writer's :meth:`~FeedWriter.entry_key`). ``cache``
    keeps each article's :class:`FeedItem` for the build; without it the items are memoised.
    """

    tag_authority: str
    language: str
    category_scheme: str | None = None
    region_scheme: str | None = None
    options: AtomOptions = AtomOptions()
    cache: FragmentCache | None = field(default=None, compare=False, repr=False)

    @classmethod
    def for_partner(
        cls, tag_authority: str, language: str, *, full_content: bool, rights: str | None
    ) -> ArticleEntries:
        """Entries for a partner: the rights statement on each, content only when ``full_content``."""
        return cls(tag_authority, language, options=AtomOptions(full_content=full_content, entry_rights=rights))

    def item(self, article: Article) -> FeedItem:
        if self.cache is None:
            return feed_item(article, self.language)
        slot = self.cache.slot(article)
        found = slot.get(self.language)
        if found is None:
            found = slot[self.language] = feed_item.__wrapped__(article, self.language)
        return found

    def entry(self, article: Article) -> Entry:
        item = self.item(article)
        categories = [_category(name, self.category_scheme) for name in item.categories]
        categories += [_category(name, self.region_scheme) for name in item.regions]
        image = item.image
        options = self.options
        return Entry(
            id=article_tag_uri(self.tag_authority, article),
            title=item.title,
            link=item.url,
            updated=item.updated,
            published=item.published,
            author=Person(item.author_name, item.author_url) if item.author_name else None,
            categories=tuple(categories),
            summary=item.summary or None,
            content_html=item.content_html if options.full_content else None,
            enclosure=(
                Enclosure(image.url, image.mime_type or "image/jpeg", image.length, image.caption or None)
                if image is not None
                else None
            ),
            rights=plain_text(options.entry_rights) if options.entry_rights else None,
            language=item.language,
        )

    def add_item_elements(self, element: etree._Element, article: Article, feed_format: FeedFormat) -> None:
        credits = self.options.media_credits
        if self.cache is None:
            _media_content(element, self.item(article), credits)
            return
        # An article's media:content is the same in RSS and Atom: the element built for the first
        # format is moved into the second's entry (building it cost a tenth of rendering an entry).
        # The first format's entries were serialised before the second's are made, so the first
        # entry's tree has no more use for it (unless it is this very tree: an article given twice);
        # taken once, the next format builds its own.
        local = self.cache.local(article)
        key = ("media:content", credits)
        built = local.pop(key, None)
        if built is not None and built.getroottree().getroot() is not element.getroottree().getroot():
            element.append(built)
            return
        count = len(element)
        _media_content(element, self.item(article), credits)
        if len(element) > count:
            local[key] = element[-1]


def _category(name: str, scheme: str | None) -> Category:
    return Category(term=name, label=name, scheme=scheme)


def _media_content(parent: etree._Element, item: FeedItem, credits: bool) -> None:
    image = item.image
    if image is None:
        return
    content = etree.SubElement(parent, f"{{{MEDIA_NS}}}content", url=image.url, medium="image")
    if image.mime_type:
        content.set("type", image.mime_type)
    if image.length:
        content.set("fileSize", str(image.length))
    if image.width and image.height:
        content.set("width", str(image.width))
        content.set("height", str(image.height))
    if image.caption:
        etree.SubElement(content, f"{{{MEDIA_NS}}}description", type="plain").text = image.caption
    if credits and image.credit:
        etree.SubElement(content, f"{{{MEDIA_NS}}}credit").text = image.credit
    if image.ai_generated:
        # Inside media:content it is said of the image, not of the article.
        category = etree.SubElement(
            content, f"{{{MEDIA_NS}}}category", scheme=DIGITAL_SOURCE_TYPE_SCHEME, label=AI_GENERATED_SOURCE_TYPE_LABEL
        )
        category.text = AI_GENERATED_SOURCE_TYPE_URI


def feed_updated(items: Sequence[FeedItem]) -> datetime:
    """The feed's time: the newest item's ``updated`` (never the build time)."""
    return max((item.updated for item in items), default=EPOCH)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _clean(value: str | None) -> str | None:
    return plain_text(value) if value else None


class ArticleFeed(FeedWriter[Article]):
    """One of the site's RSS or Atom feeds: ``meta`` says what it is, ``entries`` how articles read."""

    def __init__(self, meta: FeedMeta, entries: ArticleEntries, updated: datetime) -> None:
        self.meta = meta
        self.entries = entries
        self.updated = updated

    def head(self, feed_format: FeedFormat) -> FeedHead:
        meta = self.meta
        return FeedHead(
            id=strip_xml_invalid(meta.id),
            title=plain_text(meta.title),
            self_url=meta.self_url,
            alternate_url=meta.alternate_url,
            updated=self.updated,
            language=meta.language,
            subtitle=_clean(meta.description) or plain_text(meta.title),
            author=Person(plain_text(meta.publisher)) if meta.publisher else None,
            logo=meta.logo,
            icon=meta.icon,
            rights=plain_text(meta.copyright) if meta.copyright else None,
            generator=GENERATOR,
            hub=meta.hub,
            ttl_minutes=meta.ttl_minutes,
        )

    def entry(self, item: Article) -> Entry:
        return self.entries.entry(item)

    def entry_key(self, feed_format: FeedFormat) -> ArticleEntries:
        return self.entries

    def uses_media_rss(self, feed_format: FeedFormat) -> bool:
        return True

    def add_item_elements(self, element: etree._Element, item: Article, feed_format: FeedFormat) -> None:
        self.entries.add_item_elements(element, item, feed_format)


def _article_feed(
    meta: FeedMeta, articles: Sequence[Article], options: AtomOptions, cache: FragmentCache | None
) -> ArticleFeed:
    entries = ArticleEntries(
        meta.tag_authority, meta.language, meta.category_scheme, meta.region_scheme, options, cache
    )
    return ArticleFeed(meta, entries, feed_updated([entries.item(article) for article in articles]))


def render_atom(
    meta: FeedMeta,
    articles: Sequence[Article],
    *,
    options: AtomOptions | None = None,
    cache: FragmentCache | None = None,
) -> bytes:
    """An RFC 4287 Atom feed of ``articles`` (in the order given), UTF-8 bytes.

    ``cache`` keeps each rendered entry for the next feed that shows the same article.
    """
    feed = _article_feed(meta, articles, options or AtomOptions(), cache)
    return feed.write(FeedFormat.ATOM, articles, cache=cache)


def render_rss(meta: FeedMeta, articles: Sequence[Article], *, cache: FragmentCache | None = None) -> bytes:
    """An RSS 2.0 feed of ``articles`` (RSS Best Practices Profile), UTF-8 bytes."""
    return _article_feed(meta, articles, AtomOptions(), cache).write(FeedFormat.RSS, articles, cache=cache)


def _json_item(meta: FeedMeta, article: Article, item: FeedItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article_tag_uri(meta.tag_authority, article),
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html,
    }
    if item.summary:
        data["summary"] = item.summary
    if item.image is not None:
        data["image"] = item.image.url
    data["date_published"] = _utc(item.published).isoformat()
    data["date_modified"] = _utc(item.updated).isoformat()
    if item.author_name:
        author: dict[str, str] = {"name": item.author_name}
        if item.author_url:
            author["url"] = item.author_url
        if item.author_avatar:
            author["avatar"] = item.author_avatar
        data["authors"] = [author]
    tags = list(dict.fromkeys(item.categories + item.regions))
    if tags:
        data["tags"] = tags
    data["language"] = item.language
    extension: dict[str, Any] = _extension(meta)
    extension.update({"article_id": article.id, "categories": list(item.categories), "regions": list(item.regions)})
    if item.image is not None:
        image = item.image
        attachment: dict[str, Any] = {"url": image.url, "mime_type": image.mime_type or "image/jpeg"}
        if image.caption:
            attachment["title"] = image.caption
        if image.length:
            attachment["size_in_bytes"] = image.length
        data["attachments"] = [attachment]
        extension["image"] = {
            "url": image.url,
            "caption": image.caption,
            "alt": image.alt,
            "credit": image.credit,
            "width": image.width,
            "height": image.height,
            "ai_generated": image.ai_generated,
            "digital_source_type": AI_GENERATED_SOURCE_TYPE_URI if image.ai_generated else None,
        }
    data[JSON_EXTENSION] = extension
    return data


def _extension(meta: FeedMeta) -> dict[str, Any]:
    # JSON Feed: an extension object should carry "about", the URL of its documentation.
    return {"about": meta.extension_docs} if meta.extension_docs else {}


def render_json(meta: FeedMeta, articles: Sequence[Article], *, cache: FragmentCache | None = None) -> bytes:
    """A JSON Feed 1.1 document of ``articles``, UTF-8 bytes.

    Extensions (allowed by the spec as keys starting with ``_``): ``_syndication`` on the
    feed (copyright, updated) and on each item (article id, categories vs. regions, image
    credit and the AI-generated marker), each with ``about``: the URL of the extension's
    documentation (:func:`~syndication.feeds.catalog.render_extension_docs`).
    """
    entries = ArticleEntries(meta.tag_authority, meta.language, cache=cache)
    items = [(article, entries.item(article)) for article in articles]
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": plain_text(meta.title),
        "home_page_url": meta.alternate_url,
        "feed_url": meta.self_url,
    }
    if meta.description:
        feed["description"] = plain_text(meta.description)
    if meta.logo or meta.icon:
        feed["icon"] = meta.logo or meta.icon
    if meta.icon:
        feed["favicon"] = meta.icon
    if meta.publisher:
        feed["authors"] = [{"name": plain_text(meta.publisher), "url": meta.alternate_url}]
    feed["language"] = meta.language
    if meta.hub:
        feed["hubs"] = [{"type": "WebSub", "url": meta.hub}]
    extension = {
        **_extension(meta),
        "id": meta.id,
        "copyright": plain_text(meta.copyright) if meta.copyright else None,
        "updated": _utc(feed_updated([item for _, item in items])).isoformat(),
    }
    key = (FeedFormat.JSON.extension, meta.tag_authority, meta.language, meta.extension_docs)
    entries = []
    for article, item in items:
        slot = cache.slot(article) if cache is not None else {}
        if key not in slot:
            image = item.image
            exact = image is None or _exact_ints(image.length, image.width, image.height)
            slot[key] = _dumps(_json_item(meta, article, item), orjson_exact=exact)
        entries.append(slot[key])
    # The same bytes as dumping the whole document at once: compact separators, items in order.
    head = _dumps(feed)
    items_part = b',"items":[' + b",".join(entries) + b"],"
    tail = _dumps({JSON_EXTENSION: extension})
    return head[:-1] + items_part + tail[1:] + b"\n"


def _exact_ints(*values: object) -> bool:
    """Whether each value is None or a plain int, which orjson writes as json does (a float it may not)."""
    return all(value is None or type(value) is int for value in values)


def _dumps(value: Any, *, orjson_exact: bool = True) -> bytes:
    """``value`` as compact JSON in UTF-8: the bytes ``json.dumps(value, ensure_ascii=False,
    separators=(",", ":"))`` gives, encoded.

    orjson writes those very bytes for strings (it escapes exactly the characters json does:
    compared over every code point), None, booleans, ints within 64 bits, lists and dicts, at a
    tenth of the cost (the JSON Feed was a twentieth of a full build). ``orjson_exact`` False
    (a value may hold a float: orjson writes 1e16 and NaN otherwise) and what orjson refuses
    (a larger int, a lone surrogate) go through json, as before.
    """
    if orjson_exact:
        try:
            return orjson.dumps(value)
        except orjson.JSONEncodeError:
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render_feed(
    feed_format: FeedFormat, meta: FeedMeta, articles: Sequence[Article], *, cache: FragmentCache | None = None
) -> bytes:
    """The feed in ``feed_format``; ``cache`` shares rendered entries between the feeds of a build."""
    if feed_format is FeedFormat.RSS:
        return render_rss(meta, articles, cache=cache)
    if feed_format is FeedFormat.ATOM:
        return render_atom(meta, articles, cache=cache)
    return render_json(meta, articles, cache=cache)
