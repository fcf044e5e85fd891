"""The article model: immutable values every stage reads.

An article's ``id`` comes from (source, external id) and never changes; titles, slugs
and URLs may. Times are timezone-aware and stored in UTC.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

# A fixed namespace so that article ids are the same on every machine and every run.
ARTICLE_ID_NAMESPACE = uuid.UUID("6f1c7b1e-3d0a-5b8e-9c2f-4a7d5e6b8c01")


def article_id(source: str, external_id: str) -> str:
    """The stable id of the article ``external_id`` from ``source``."""
    return str(uuid.uuid5(ARTICLE_ID_NAMESPACE, f"{source}\n{external_id}"))


class Status(StrEnum):
    PUBLISHED = "published"
    RETRACTED = "retracted"


class SectionRole(StrEnum):
    SUMMARY = "summary"
    KEY_FACTS = "key_facts"
    BACKGROUND = "background"
    REGIONAL_RELEVANCE = "regional_relevance"
    CHANCES_RISKS = "chances_risks"
    OUTLOOK = "outlook"
    SOURCES = "sources"
    OTHER = "other"


class ItemKind(StrEnum):
    """What a list item of a ``chances_risks`` section is."""

    CHANCE = "chance"
    RISK = "risk"


@dataclass(frozen=True)
class Image:
    url: str
    alt: str = ""
    caption: str = ""
    credit: str = ""
    ai_generated: bool = False
    mime_type: str | None = None
    length: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Author:
    name: str
    portrait: Image | None = None
    url: str | None = None


@dataclass(frozen=True)
class ListItem:
    """One bullet of a list section. ``html`` is sanitized inline HTML, ``text`` plain text."""

    text: str
    html: str
    kind: ItemKind | None = None


@dataclass(frozen=True)
class Section:
    """One headed part of the article body, in page order.

    ``html`` is the sanitized HTML of the section's content without its heading;
    ``items`` holds the bullets of list sections (key facts, chances & risks);
    ``regions`` the regions a ``regional_relevance`` heading names.
    """

    role: SectionRole
    heading: str
    html: str
    items: tuple[ListItem, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceLink:
    title: str
    url: str


@dataclass(frozen=True)
class Article:
    id: str
    source: str
    external_id: str
    url: str
    title: str
    teaser: str
    published: datetime
    updated: datetime
    status: Status = Status.PUBLISHED
    language: str = "de"
    author: Author | None = None
    image: Image | None = None
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    sources: tuple[SourceLink, ...] = ()
    author_quote: str | None = None
    body_html: str = ""
    # Higher comes first in digests; ties are broken by publication time.
    priority: int = 0
    content_hash: str = ""
    # Set by the store: 1 for the first stored revision, +1 for each change.
    version: int = 1
    # Set by the store's reads only: the sanitizer policy (syndication.html.SANITIZER_POLICY) under
    # which the store found the text's HTML clean when it wrote it (every section's; body_html when
    # there are none), so that the feeds need not sanitize it again. Not an argument: a copy
    # (dataclasses.replace) may have other HTML, so it starts unchecked ("").
    html_sanitized_by: str = field(default="", init=False, compare=False, repr=False)

    def section(self, role: SectionRole) -> Section | None:
        """The first section with ``role``, or None."""
        for candidate in self.sections:
            if candidate.role == role:
                return candidate
        return None

    @property
    def outlook(self) -> Section | None:
        return self.section(SectionRole.OUTLOOK)

    @property
    def key_facts(self) -> tuple[ListItem, ...]:
        found = self.section(SectionRole.KEY_FACTS)
        return found.items if found else ()

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def with_hash(self) -> Article:
        """A copy whose ``content_hash`` matches its content."""
        return replace(self, content_hash=compute_content_hash(self))

    def to_dict(self) -> dict[str, Any]:
        return article_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        return article_from_dict(data)


# Fields that are bookkeeping, not content: a change in them is not an edit.
_NOT_CONTENT = frozenset({"content_hash", "version", "updated"})


def compute_content_hash(article: Article) -> str:
    """SHA-256 over the article's content fields in a canonical JSON form."""
    data = {k: v for k, v in article_to_dict(article).items() if k not in _NOT_CONTENT}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _image_to_dict(image: Image | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {
        "url": image.url,
        "alt": image.alt,
        "caption": image.caption,
        "credit": image.credit,
        "ai_generated": image.ai_generated,
        "mime_type": image.mime_type,
        "length": image.length,
        "width": image.width,
        "height": image.height,
    }


def _image_from_dict(data: Mapping[str, Any] | None) -> Image | None:
    if not data:
        return None
    return Image(
        url=data["url"],
        alt=data.get("alt", ""),
        caption=data.get("caption", ""),
        credit=data.get("credit", ""),
        ai_generated=bool(data.get("ai_generated", False)),
        mime_type=data.get("mime_type"),
        length=data.get("length"),
        width=data.get("width"),
        height=data.get("height"),
    )


def article_to_dict(article: Article) -> dict[str, Any]:
    """The JSON shape of an article (what ``articles list --json`` prints)."""
    author = article.author
    return {
        "id": article.id,
        "source": article.source,
        "external_id": article.external_id,
        "url": article.url,
        "title": article.title,
        "teaser": article.teaser,
        "published": article.published.isoformat(),
        "updated": article.updated.isoformat(),
        "status": article.status.value,
        "language": article.language,
        "author": None
        if author is None
        else {"name": author.name, "portrait": _image_to_dict(author.portrait), "url": author.url},
        "image": _image_to_dict(article.image),
        "categories": list(article.categories),
        "regions": list(article.regions),
        "sections": [
            {
                "role": s.role.value,
                "heading": s.heading,
                "html": s.html,
                "items": [{"text": i.text, "html": i.html, "kind": i.kind.value if i.kind else None} for i in s.items],
                "regions": list(s.regions),
            }
            for s in article.sections
        ],
        "sources": [{"title": s.title, "url": s.url} for s in article.sources],
        "author_quote": article.author_quote,
        "body_html": article.body_html,
        "priority": article.priority,
        "content_hash": article.content_hash,
        "version": article.version,
    }


def article_from_dict(data: Mapping[str, Any]) -> Article:
    author = data.get("author")
    return Article(
        id=data["id"],
        source=data["source"],
        external_id=data["external_id"],
        url=data["url"],
        title=data["title"],
        teaser=data.get("teaser", ""),
        published=datetime.fromisoformat(data["published"]),
        updated=datetime.fromisoformat(data["updated"]),
        status=Status(data.get("status", "published")),
        language=data.get("language", "de"),
        author=None
        if not author
        else Author(name=author["name"], portrait=_image_from_dict(author.get("portrait")), url=author.get("url")),
        image=_image_from_dict(data.get("image")),
        categories=tuple(data.get("categories", ())),
        regions=tuple(data.get("regions", ())),
        sections=tuple(
            Section(
                role=SectionRole(s["role"]),
                heading=s.get("heading", ""),
                html=s.get("html", ""),
                items=tuple(
                    ListItem(
                        text=i["text"],
                        html=i.get("html", i["text"]),
                        kind=ItemKind(i["kind"]) if i.get("kind") else None,
                    )
                    for i in s.get("items", ())
                ),
                regions=tuple(s.get("regions", ())),
            )
            for s in data.get("sections", ())
        ),
        sources=tuple(SourceLink(title=s["title"], url=s["url"]) for s in data.get("sources", ())),
        author_quote=data.get("author_quote"),
        body_html=data.get("body_html", ""),
        priority=int(data.get("priority", 0)),
        content_hash=data.get("content_hash", ""),
        version=int(data.get("version", 1)),
    )


@dataclass(frozen=True)
class ArticleSelection:
    """Which articles a consumer wants; empty tuples mean "all"."""

    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    include_retracted: bool = False
    limit: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, article: Article) -> bool:
        if not self.include_retracted and not article.is_published:
            return False
        if self.categories and not set(self.categories) & set(article.categories):
            return False
        if self.regions and not set(self.regions) & set(article.regions):
            return False
        return not (self.authors and (article.author is None or article.author.name not in self.authors))


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Articles sorted newest publication first, id as a stable tie-breaker."""
    return sorted(articles, key=lambda a: (a.published, a.id), reverse=True)
