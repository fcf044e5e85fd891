"""The Source interface: where articles come from (folder, WordPress, upstream feed)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from syndication.anatomy import ParsedBody
from syndication.config import AnatomyConfig, CollectConfig, SiteConfig, SourceConfig
from syndication.errors import BadField, InputError
from syndication.fingerprint import settings_fingerprint
from syndication.model import Article, Author, Image, Status, article_id


@dataclass(frozen=True)
class Fetched:
    """An article read from the source; ``fingerprint`` lets the next collect skip it cheaply; ``note``
    is the source's editorial note on this version (a correction, a withdrawal), for partners."""

    article: Article
    fingerprint: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Unchanged:
    """The input behind ``external_id`` has the fingerprint stored last time: nothing to parse."""

    external_id: str


@dataclass(frozen=True)
class Failed:
    """The input behind ``external_id`` is bad; what was stored for it stays as it is."""

    external_id: str
    error: InputError


SourceEvent = Fetched | Unchanged | Failed


# The default of ``[collect] max_article_bytes``.
MAX_ARTICLE_BYTES = CollectConfig().max_article_bytes


@dataclass(frozen=True)
class SourceContext:
    # external id → fingerprint stored by the last collect (None when the source gave none).
    known: Mapping[str, str | None]
    now: datetime
    site: SiteConfig
    anatomy: AnatomyConfig
    # An article larger than this (file, post or entry body, in bytes) is refused: one error, not a stuck collect.
    max_article_bytes: int = MAX_ARTICLE_BYTES

    def too_large(self, size: int, field: str) -> BadField | None:
        """Why an article of ``size`` bytes is refused (naming ``field``), or None when it is not too large."""
        if size <= self.max_article_bytes:
            return None
        return BadField(
            field,
            "too large: %(size)s bytes, more than [collect] max_article_bytes = %(most)s; not collected",
            size=f"{size:,}",
            most=f"{self.max_article_bytes:,}",
        )


class Source(Protocol):
    name: str
    # True when one collect lists every article the source has, so that an article no
    # longer listed was removed there (and is marked retracted here).
    complete: bool

    def collect(self, context: SourceContext) -> Iterator[SourceEvent]:
        """Yield one event per input. Raise SourceUnavailable when the source cannot be read
        at all; events already yielded are kept."""
        ...


def reading_fingerprint(
    parser_version: str,
    config: SourceConfig,
    context: SourceContext,
    *,
    site: Sequence[str],
    source: Sequence[str],
    length: int,
) -> str:
    """A digest of what shapes how a source reads its input: the parser's version, the anatomy,
    the ``site`` settings and the ``source`` settings named. Part of each stored fingerprint, so
    that a change to any of them makes the next collect read everything again.
    """
    shaping = {
        "parser": parser_version,
        "anatomy": context.anatomy.model_dump(mode="json"),
        "site": {name: getattr(context.site, name) for name in site},
        "source": config.model_dump(mode="json", include=set(source)),
    }
    return settings_fingerprint(shaping, length)


def merge_names(*groups: Iterable[str]) -> tuple[str, ...]:
    """The names of all groups in order, each once, empty ones left out."""
    return tuple(dict.fromkeys(name for group in groups for name in group if name))


def regions_among(tags: Iterable[str], config: SourceConfig, parsed: ParsedBody) -> list[str]:
    """The tags that name a region (configured for the source or named by the body), spelt as the region."""
    known = {region.casefold(): region for region in (*config.regions, *parsed.regions)}
    return [known[tag.casefold()] for tag in tags if tag.casefold() in known]


@dataclass(frozen=True)
class RemoteEntry:
    """What a remote source (WordPress, an upstream feed) read for one article, besides its body."""

    external_id: str
    url: str
    title: str
    teaser: str
    published: datetime
    updated: datetime
    language: str
    author: Author | None
    image: Image | None
    categories: tuple[str, ...]
    tag_regions: tuple[str, ...]


def remote_article(config: SourceConfig, entry: RemoteEntry, parsed: ParsedBody) -> Article:
    """The article for a remote entry: the source's categories added, sections and quote from the anatomy."""
    return Article(
        id=article_id(config.name, entry.external_id),
        source=config.name,
        external_id=entry.external_id,
        url=entry.url,
        title=entry.title,
        teaser=entry.teaser,
        published=entry.published,
        updated=entry.updated,
        status=Status.PUBLISHED,
        language=entry.language,
        author=entry.author,
        image=entry.image,
        categories=merge_names(entry.categories, config.categories),
        regions=merge_names(parsed.regions, entry.tag_regions),
        sections=parsed.sections,
        sources=parsed.sources,
        author_quote=parsed.author_quote,
        body_html=parsed.body_html,
    )
