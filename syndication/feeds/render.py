"""Feed rendering: RSS 2.0 and Atom 1.0 through feedgen, JSON Feed 1.1 by hand. Pure: bytes out.

feedgen 1.0.0 builds the documents; its output is then corrected on the lxml tree
(see the README, "feedgen 1.0.0 workarounds"), each correction with a test:

* Atom entry links lose ``rel``/``type``/``length`` (a shadowed variable in
  ``FeedEntry.atom_entry``): entry links are rewritten from our own data.
* ``type="CDATA"`` is not an Atom content type: content is always passed as ``type="html"``.
* The RSS channel ``<link>`` (and ``<image><link>``) is whichever link was added last:
  both are set to the alternate (HTML) URL.
* The syndication module writes ``sy:UpdatePeriod``/``UpdateFrequency``/``UpdateBase``;
  the RSS 1.0 syndication module spells them ``updatePeriod`` and so on: renamed.
* ``lastBuildDate``/``updated`` default to now(): the feed's time is the newest item's
  ``updated``, so building twice gives the same bytes.

Only well-known vocabularies appear (:data:`NAMESPACES`): Atom, Media RSS, Dublin Core,
RSS 1.0 content and syndication. An AI-generated image carries the IPTC digital source
type as a ``media:category`` of its ``media:content``, with the IPTC vocabulary as scheme.

Items are given in the order they should appear (newest first); selection (which
articles, retracted ones left out) is the caller's job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from syndication.feeds.content import (
    AI_GENERATED_SOURCE_TYPE_LABEL,
    AI_GENERATED_SOURCE_TYPE_URI,
    DIGITAL_SOURCE_TYPE_SCHEME,
    FeedItem,
    article_tag_uri,
    feed_item,
    plain_text,
)
from syndication.feeds.fragments import FragmentCache, cut_out, splice
from syndication.html import strip_xml_invalid
from syndication.model import Article

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Every namespace an RSS or Atom feed of ours may use: validators and readers know them all.
NAMESPACES = frozenset({ATOM_NS, MEDIA_NS, SY_NS, DC_NS, CONTENT_NS, XML_NS})
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The JSON Feed extension object's key, and the "about" its documentation is at (relative to the site).
JSON_EXTENSION = "_syndication"
JSON_EXTENSION_DOCS = "feeds/json-feed-extension.html"
GENERATOR = "syndication"
# An empty feed has no newest item; this fixed time keeps it deterministic.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FeedFormat(Enum):
    RSS = ("rss", "application/rss+xml")
    ATOM = ("atom", "application/atom+xml")
    JSON = ("json", "application/feed+json")

    def __init__(self, extension: str, media_type: str) -> None:
        self.extension = extension
        self.media_type = media_type


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
    """Choices for Atom feeds given to others (partners reuse :func:`render_atom`).

    ``full_content`` False leaves out ``<content>`` (summary and link only);
    ``entry_rights`` puts an ``<rights>`` on every entry; ``media_credits`` False
    leaves ``media:credit`` out (for images a partner may not credit by name).
    """

    full_content: bool = True
    entry_rights: str | None = None
    media_credits: bool = True


def _items(meta: FeedMeta, articles: Sequence[Article], cache: FragmentCache | None) -> list[tuple[Article, FeedItem]]:
    if cache is None:
        return [(article, feed_item(article, meta.language)) for article in articles]
    items = []
    for article in articles:
        slot = cache.slot(article)
        item = slot.get(meta.language)
        if item is None:
            item = slot[meta.language] = feed_item.__wrapped__(article, meta.language)
        items.append((article, item))
    return items


def feed_updated(items: Sequence[FeedItem]) -> datetime:
    """The feed's time: the newest item's ``updated`` (never the build time)."""
    return max((item.updated for item in items), default=EPOCH)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _clean(value: str | None) -> str | None:
    return plain_text(value) if value else None


def _generator(meta: FeedMeta, items: Sequence[tuple[Article, FeedItem]], atom: bool) -> FeedGenerator:
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False, rss=True)
    if not atom:
        generator.load_extension("syndication", atom=False, rss=True)
    # Declares the media namespace on the root; the elements themselves are added afterwards.
    generator.load_extension("media", atom=True, rss=True)
    generator.id(strip_xml_invalid(meta.id))
    generator.title(plain_text(meta.title))
    generator.description(_clean(meta.description) or plain_text(meta.title))
    generator.language(meta.language)
    # The alternate link first and self last: feedgen would make the last one the RSS
    # channel <link>; _fix_rss_channel puts the alternate URL there regardless.
    generator.link(href=meta.alternate_url, rel="alternate", type="text/html")
    self_type = FeedFormat.ATOM.media_type if atom else FeedFormat.RSS.media_type
    generator.link(href=meta.self_url, rel="self", type=self_type)
    if meta.publisher:
        generator.author({"name": plain_text(meta.publisher)})
    if meta.logo:
        generator.logo(meta.logo)
    if meta.icon:
        generator.icon(meta.icon)
    if meta.copyright:
        generator.rights(plain_text(meta.copyright))
    generator.generator(GENERATOR)
    generator.updated(_utc(feed_updated([item for _, item in items])))
    if not atom:
        generator.ttl(meta.ttl_minutes)
        generator.syndication.update_period("hourly")
        generator.syndication.update_frequency(max(1, 60 // meta.ttl_minutes))
    return generator


def _add_entry(
    generator: FeedGenerator, meta: FeedMeta, article: Article, item: FeedItem, options: AtomOptions
) -> None:
    entry = generator.add_entry(order="append")
    entry.guid(article_tag_uri(meta.tag_authority, article), permalink=False)
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate", type="text/html")
    entry.published(_utc(item.published))
    entry.updated(_utc(item.updated))
    if item.author_name:
        author: dict[str, str] = {"name": item.author_name}
        if item.author_url:
            author["uri"] = item.author_url
        entry.author(author)
        entry.dc.dc_creator(item.author_name)
    categories = [_category(name, meta.category_scheme) for name in item.categories]
    categories += [_category(name, meta.region_scheme) for name in item.regions]
    if categories:
        entry.category(categories)
    if item.summary:
        entry.summary(item.summary, type="text")
    if options.full_content:
        entry.content(item.content_html, type="html")
    if item.image is not None:
        entry.enclosure(item.image.url, item.image.length or 0, item.image.mime_type or "image/jpeg")
    if options.entry_rights:
        entry.rights(plain_text(options.entry_rights))


def _category(name: str, scheme: str | None) -> dict[str, str]:
    category = {"term": name, "label": name}
    if scheme:
        category["scheme"] = scheme
    return category


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


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _atom_link(parent: etree._Element, href: str, rel: str, **attributes: str) -> etree._Element:
    link = etree.SubElement(parent, f"{{{ATOM_NS}}}link", href=href, rel=rel)
    for name, value in attributes.items():
        link.set(name, value)
    return link


def _fix_atom_entry(entry: etree._Element, item: FeedItem, options: AtomOptions, language: str) -> None:
    if item.language and item.language != language:
        entry.set("{http://www.w3.org/XML/1998/namespace}lang", item.language)
    # feedgen drops rel/type/length of entry links: put our own links in their place.
    for link in entry.findall(f"{{{ATOM_NS}}}link"):
        entry.remove(link)
    _atom_link(entry, item.url, "alternate", type="text/html")
    if item.image is not None:
        attributes = {"type": item.image.mime_type or "image/jpeg"}
        if item.image.length:
            attributes["length"] = str(item.image.length)
        if item.image.caption:
            attributes["title"] = item.image.caption
        _atom_link(entry, item.image.url, "enclosure", **attributes)
    _media_content(entry, item, options.media_credits)


_ATOM_CLOSE = b"</feed>\n"
_RSS_CLOSE = b"  </channel>\n</rss>\n"


def _fix_rss_item(element: etree._Element, item: FeedItem) -> None:
    # RSS has no time of last change; atom:updated is the common extension readers know.
    pub_date = element.find("pubDate")
    updated = etree.Element(f"{{{ATOM_NS}}}updated")
    updated.text = _utc(item.updated).isoformat()
    if pub_date is not None:
        pub_date.addnext(updated)
    else:
        element.append(updated)
    _media_content(element, item, credits=True)


def _render_entries(
    feed_format: FeedFormat, meta: FeedMeta, items: Sequence[tuple[Article, FeedItem]], options: AtomOptions
) -> list[bytes]:
    """The entries (Atom) or items (RSS) of ``items``, built by feedgen and corrected, as bytes."""
    atom = feed_format is FeedFormat.ATOM
    generator = _generator(meta, items, atom=atom)
    for article, item in items:
        _add_entry(generator, meta, article, item, options)
    if atom:
        root = etree.fromstring(generator.atom_str(pretty=False))
        entries = list(root.iterfind(f"{{{ATOM_NS}}}entry"))
        for entry, (_, item) in zip(entries, items, strict=True):
            _fix_atom_entry(entry, item, options, meta.language)
        return cut_out(root, root, entries, _ATOM_CLOSE, b"  <entry")
    root = etree.fromstring(generator.rss_str(pretty=False))
    channel = root.find("channel")
    assert channel is not None
    elements = list(channel.iterfind("item"))
    for element, (_, item) in zip(elements, items, strict=True):
        _fix_rss_item(element, item)
    return cut_out(root, channel, elements, _RSS_CLOSE, b"    <item>")


def _entries(
    feed_format: FeedFormat,
    meta: FeedMeta,
    items: Sequence[tuple[Article, FeedItem]],
    options: AtomOptions,
    cache: FragmentCache | None,
) -> list[bytes]:
    cache = FragmentCache() if cache is None else cache
    # Everything an entry is made of besides its article; feed-level metadata is not.
    key = (feed_format.extension, meta.tag_authority, meta.language, meta.category_scheme, meta.region_scheme, options)
    slots = [cache.slot(article) for article, _ in items]
    missing = [(slot, pair) for slot, pair in zip(slots, items, strict=True) if key not in slot]
    if missing:
        rendered = _render_entries(feed_format, meta, [pair for _, pair in missing], options)
        for (slot, _), data in zip(missing, rendered, strict=True):
            slot[key] = data
    return [slot[key] for slot in slots]


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
    options = options or AtomOptions()
    items = _items(meta, articles, cache)
    root = etree.fromstring(_generator(meta, items, atom=True).atom_str(pretty=False))
    if meta.hub:
        # Feed metadata must come before the entries: next to the other feed links.
        hub = etree.Element(f"{{{ATOM_NS}}}link", href=meta.hub, rel="hub")
        root.findall(f"{{{ATOM_NS}}}link")[-1].addnext(hub)
    return splice(_serialise(root), _entries(FeedFormat.ATOM, meta, items, options, cache), _ATOM_CLOSE)


def render_rss(meta: FeedMeta, articles: Sequence[Article], *, cache: FragmentCache | None = None) -> bytes:
    """An RSS 2.0 feed of ``articles`` (RSS Best Practices Profile), UTF-8 bytes."""
    items = _items(meta, articles, cache)
    root = etree.fromstring(_generator(meta, items, atom=False).rss_str(pretty=False))
    channel = root.find("channel")
    assert channel is not None
    # feedgen: the channel <link> is the last link added, and <image><link> copies it.
    channel.find("link").text = meta.alternate_url  # type: ignore[union-attr]
    image_link = channel.find("image/link")
    if image_link is not None:
        image_link.text = meta.alternate_url
    # feedgen: "sy:UpdatePeriod" and friends; the module's names start in lower case.
    for element in channel.iterfind(f"{{{SY_NS}}}*"):
        local = etree.QName(element).localname
        element.tag = f"{{{SY_NS}}}{local[0].lower()}{local[1:]}"
    if meta.hub:
        self_link = channel.find(f"{{{ATOM_NS}}}link")
        hub = etree.Element(f"{{{ATOM_NS}}}link", href=meta.hub, rel="hub")
        if self_link is not None:
            self_link.addnext(hub)
        else:
            channel.append(hub)
    entries = _entries(FeedFormat.RSS, meta, items, AtomOptions(), cache)
    return splice(_serialise(root), entries, _RSS_CLOSE)


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
    items = _items(meta, articles, cache)
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
            slot[key] = _dumps(_json_item(meta, article, item)).encode("utf-8")
        entries.append(slot[key])
    # The same bytes as dumping the whole document at once: compact separators, items in order.
    head = _dumps(feed).encode("utf-8")
    items_part = b',"items":[' + b",".join(entries) + b"],"
    tail = _dumps({JSON_EXTENSION: extension}).encode("utf-8")
    return head[:-1] + items_part + tail[1:] + b"\n"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_feed(
    feed_format: FeedFormat, meta: FeedMeta, articles: Sequence[Article], *, cache: FragmentCache | None = None
) -> bytes:
    """The feed in ``feed_format``; ``cache`` shares rendered entries between the feeds of a build."""
    if feed_format is FeedFormat.RSS:
        return render_rss(meta, articles, cache=cache)
    if feed_format is FeedFormat.ATOM:
        return render_atom(meta, articles, cache=cache)
    return render_json(meta, articles, cache=cache)
