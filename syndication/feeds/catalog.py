"""Which feeds the site has, where they live, and how pages and OPML point to them. Pure.

The main feed is ``feeds/all.<ext>``; with ``[feeds] kinds`` each category, region and
author gets ``feeds/<kind>/<slug>.<ext>`` in RSS, Atom and JSON Feed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree

from syndication.config import Settings
from syndication.feeds.content import AI_GENERATED_SOURCE_TYPE_URI
from syndication.feeds.render import JSON_EXTENSION, JSON_EXTENSION_DOCS, FeedMeta
from syndication.feedwriter.formats import FeedFormat, tag_uri
from syndication.feedwriter.formats import tag_authority as _authority
from syndication.feedwriter.links import (
    FEEDS_DIR,
    MAIN_KIND,
    FeedLink,
    feed_links,
    feed_path,
    public_url,
    site_feeds_title,
)
from syndication.html import escape, plain_text
from syndication.model import Article
from syndication.store.articles import TERM_MAX_CHARS

_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


def slugify(name: str) -> str:
    """An ASCII slug: „Rheinland-Pfalz“ → ``rheinland-pfalz``, „Südwest“ → ``suedwest``, ß → ss."""
    text = unicodedata.normalize("NFKC", name).translate(_TRANSLITERATION)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = []
    for char in ascii_text.lower():
        if char.isalnum():
            slug.append(char)
        elif not slug or slug[-1] != "-":
            slug.append("-")
    return "".join(slug).strip("-")


@dataclass(frozen=True)
class FeedSpec:
    """One feed (in every format): its kind, slug, display name and articles, newest first."""

    kind: str
    slug: str
    name: str
    articles: tuple[Article, ...] = field(default=(), compare=False, repr=False)
    # An author feed's home page as its articles gave it when last built (a rebuild that does not
    # read the feed's articles still lists it in the OPML with it); the articles win when given.
    home: str | None = field(default=None, compare=False, repr=False)

    @property
    def is_main(self) -> bool:
        return self.kind == MAIN_KIND

    def path(self, feed_format: FeedFormat) -> str:
        """The file's path under ``public/``."""
        return feed_path(self.kind, self.slug, feed_format)


def _site_url(settings: Settings) -> str:
    return settings.site.url.rstrip("/")


def feed_url(settings: Settings, path: str) -> str:
    """The public URL of ``path`` (relative to ``public/``)."""
    return public_url(settings, path)


def tag_authority(settings: Settings) -> str:
    """The site's host name, the authority of every ``tag:`` URI."""
    return _authority(settings.site.url)


def _names(article: Article, kind: str) -> Iterable[str]:
    if kind == "category":
        return article.categories
    if kind == "region":
        return article.regions
    if kind == "author":
        return (article.author.name,) if article.author else ()
    raise ValueError(f"unknown feed kind {kind!r}")


def plan_feeds(settings: Settings, articles: Sequence[Article]) -> list[FeedSpec]:
    """Every feed to build, each with its newest ``[feeds] limit`` published articles.

    ``articles`` may come in any order and include retracted ones: those leave the feeds.
    Names whose slugs collide („Südwest“ and „Suedwest“) share one feed; names longer than
    ``TERM_MAX_CHARS`` get none. Builds from the store select the same by index
    (:mod:`syndication.feeds.selection`).
    """
    limit = settings.feeds.limit
    published = sorted((a for a in articles if a.is_published), key=lambda a: (a.published, a.id), reverse=True)
    specs = [FeedSpec(MAIN_KIND, MAIN_KIND, site_feeds_title(settings), tuple(published[:limit]))]
    for kind in settings.feeds.kinds:
        groups: dict[str, list[Article]] = {}
        names: dict[str, str] = {}
        for article in published:
            for raw in dict.fromkeys(_names(article, kind)):
                if len(raw) > TERM_MAX_CHARS:
                    continue  # as in the store: no feed (and no file name) from an over-long name
                name = plain_text(raw)
                slug = slugify(name)
                if not slug:
                    continue
                members = groups.setdefault(slug, [])
                if len(members) < limit and (not members or members[-1] is not article):
                    members.append(article)
                names[slug] = min(names.get(slug, name), name)
        for slug in sorted(groups):
            specs.append(FeedSpec(kind, slug, names[slug], tuple(groups[slug])))
    return specs


def feed_title(settings: Settings, spec: FeedSpec) -> str:
    site = site_feeds_title(settings)
    return site if spec.is_main else f"{site} – {spec.name}"


def feed_meta(settings: Settings, spec: FeedSpec, feed_format: FeedFormat) -> FeedMeta:
    """What the feed ``spec`` says about itself in ``feed_format``."""
    site = _site_url(settings)
    alternate = f"{site}/"
    if spec.kind == "author":
        author = next((a.author for a in spec.articles if a.author and a.author.url), None)
        if author is not None and author.url:
            alternate = author.url
        elif not spec.articles and spec.home:
            alternate = spec.home
    specific = "feed:all" if spec.is_main else f"feed:{spec.kind}/{spec.slug}"
    description = settings.site.description if spec.is_main else f"{settings.site.description} – {spec.name}"
    return FeedMeta(
        id=tag_uri(tag_authority(settings), specific),
        title=feed_title(settings, spec),
        self_url=feed_url(settings, spec.path(feed_format)),
        alternate_url=alternate,
        tag_authority=tag_authority(settings),
        language=settings.site.language,
        description=description,
        logo=settings.site.logo,
        icon=settings.site.icon,
        copyright=settings.site.copyright,
        hub=settings.feeds.websub_hub,
        publisher=settings.site.name,
        category_scheme=f"{site}/{FEEDS_DIR}/category/",
        region_scheme=f"{site}/{FEEDS_DIR}/region/",
        ttl_minutes=settings.feeds.ttl_minutes,
        extension_docs=f"{site}/{JSON_EXTENSION_DOCS}",
    )


def alternate_links(settings: Settings, spec: FeedSpec | None = None) -> list[FeedLink]:
    """The ``<link rel="alternate">`` tags for a page: the main feed (or ``spec``) in every format."""
    spec = spec or FeedSpec(MAIN_KIND, MAIN_KIND, site_feeds_title(settings))
    return feed_links(settings, feed_title(settings, spec), spec.kind, spec.slug)


def render_opml(settings: Settings, specs: Sequence[FeedSpec]) -> bytes:
    """OPML 2.0 listing every feed (its RSS version, so an import subscribes once per feed).

    No ``dateCreated``: the file must not change unless the list of feeds does.
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = plain_text(f"{settings.feeds.title or settings.site.name} – Feeds")
    etree.SubElement(head, "ownerName").text = plain_text(settings.site.name)
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    groups: dict[str, etree._Element] = {}
    for spec in specs:
        parent = body
        if not spec.is_main:
            parent = groups.get(spec.kind)
            if parent is None:
                parent = etree.SubElement(body, "outline", text=spec.kind)
                groups[spec.kind] = parent
        meta = feed_meta(settings, spec, FeedFormat.RSS)
        etree.SubElement(
            parent,
            "outline",
            type="rss",
            text=plain_text(meta.title),
            title=plain_text(meta.title),
            xmlUrl=meta.self_url,
            htmlUrl=meta.alternate_url,
            language=meta.language,
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


_EXTENSION_FIELDS = (
    ("feed", "about", "this page's URL"),
    ("feed", "id", "the feed's permanent tag: URI (Atom's feed id)"),
    ("feed", "copyright", "the site's copyright line"),
    ("feed", "updated", "the newest item's date_modified (RFC 3339); never the build time"),
    ("item", "about", "this page's URL"),
    ("item", "article_id", "the article's permanent id; the item's id is tag:…:article:<article_id>"),
    ("item", "categories", "the item's tags that are categories"),
    ("item", "regions", "the item's tags that are regions"),
    ("item", "image", "the lead image: url, caption (with the AI disclosure where it applies), alt, credit, "
     "width, height, ai_generated (true or false), digital_source_type"),
)


def render_extension_docs(settings: Settings) -> bytes:
    """The page the JSON Feed extension's ``about`` points to: what each field of it means."""
    rows = "".join(
        f"<tr><td>{where}</td><td><code>{name}</code></td><td>{escape(meaning)}</td></tr>"
        for where, name, meaning in _EXTENSION_FIELDS
    )
    title = f"{plain_text(settings.site.name)}: the JSON Feed extension {JSON_EXTENSION}"
    page = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1>"
        f"<p>Every JSON Feed of this site carries an object <code>{JSON_EXTENSION}</code> on the feed and on each "
        "item (JSON Feed 1.1, section Extensions). Readers that do not know it ignore it.</p>"
        f"<table><tr><th>on</th><th>field</th><th>meaning</th></tr>{rows}</table>"
        "<p><code>digital_source_type</code> is the IPTC digital source type of an AI-generated image, "
        f"<code>{AI_GENERATED_SOURCE_TYPE_URI}</code>, else null. RSS and Atom say the same with "
        "<code>&lt;media:category scheme=\"http://cv.iptc.org/newscodes/digitalsourcetype/\"&gt;</code> "
        "inside the image's <code>media:content</code>.</p></body></html>\n"
    )
    return page.encode("utf-8")


__all__ = [
    "FeedSpec",
    "alternate_links",
    "feed_meta",
    "feed_url",
    "plan_feeds",
    "render_extension_docs",
    "render_opml",
    "slugify",
]
