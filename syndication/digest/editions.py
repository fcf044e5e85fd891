"""Editions: which articles a digest carries, frozen once built.

An edition takes the articles *first stored* after the previous edition of its kind
(by the store's ``first_seq`` cursor, not by a time window), so consecutive editions
have no gap and no repeat. Its watermark (the highest ``first_seq`` it covered) is
stored with it. At most one edition per (name, local date in the site's time zone).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from syndication.digest.tables import digest_editions
from syndication.errors import SyndicationError
from syndication.model import Article
from syndication.store.articles import ArticleStore

if TYPE_CHECKING:
    from syndication.runtime import Runtime

log = logging.getLogger(__name__)

OTHER_CATEGORY = "Weitere Nachrichten"


@dataclass(frozen=True)
class Edition:
    id: str
    name: str
    title: str
    edition_date: date
    built_at: datetime
    # In digest order: the first is the lead story. At most the edition's max_articles.
    article_ids: tuple[str, ...]
    previous_watermark: int
    watermark: int
    # Articles new since the previous edition (may exceed len(article_ids)).
    new_article_count: int


def edition_id(name: str, edition_date: date) -> str:
    return f"{name}-{edition_date.isoformat()}"


def _category_rank(article: Article, priority: Sequence[str]) -> int:
    ranks = [priority.index(category) for category in article.categories if category in priority]
    return min(ranks) if ranks else len(priority)


def primary_category(article: Article, priority: Sequence[str]) -> str:
    """The category an article is grouped under: its highest-priority one, else its first."""
    ranked = [category for category in priority if category in article.categories]
    if ranked:
        return ranked[0]
    return article.categories[0] if article.categories else OTHER_CATEGORY


def order_for_digest(articles: Iterable[Article], category_priority: Sequence[str]) -> list[Article]:
    """Configured category priority, then article priority (high first), then newest first."""
    return sorted(
        articles,
        key=lambda a: (_category_rank(a, category_priority), -a.priority, -a.published.timestamp(), a.id),
    )


def group_by_category(articles: Sequence[Article], category_priority: Sequence[str]) -> list[tuple[str, list[Article]]]:
    """Consecutive groups by primary category, in the order the categories first appear."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(primary_category(article, category_priority), []).append(article)
    return list(groups.items())


def _from_row(row: object) -> Edition:
    return Edition(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        title=row.title,  # type: ignore[attr-defined]
        edition_date=row.edition_date,  # type: ignore[attr-defined]
        built_at=row.built_at,  # type: ignore[attr-defined]
        article_ids=tuple(json.loads(row.article_ids)),  # type: ignore[attr-defined]
        previous_watermark=row.previous_watermark,  # type: ignore[attr-defined]
        watermark=row.watermark,  # type: ignore[attr-defined]
        new_article_count=row.new_article_count,  # type: ignore[attr-defined]
    )


def get_edition(engine: Engine, edition_id: str) -> Edition | None:
    with engine.connect() as connection:
        row = connection.execute(select(digest_editions).where(digest_editions.c.id == edition_id)).first()
    return None if row is None else _from_row(row)


def latest_edition(engine: Engine, edition_name: str) -> Edition | None:
    """The most recent edition of this kind (the one with the highest watermark)."""
    query = (
        select(digest_editions)
        .where(digest_editions.c.name == edition_name)
        .order_by(digest_editions.c.watermark.desc(), digest_editions.c.edition_date.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else _from_row(row)


def list_editions(engine: Engine, name: str | None = None) -> list[Edition]:
    """Editions newest first (all kinds unless ``name``)."""
    query = select(digest_editions).order_by(
        digest_editions.c.edition_date.desc(), digest_editions.c.built_at.desc(), digest_editions.c.id
    )
    if name is not None:
        query = query.where(digest_editions.c.name == name)
    with engine.connect() as connection:
        return [_from_row(row) for row in connection.execute(query)]


def build_edition(runtime: Runtime, edition_name: str, *, publish: bool = True) -> Edition | None:
    """Freeze the next edition of ``edition_name`` and (``publish``) write its archive page.

    None when nothing is new since the previous edition, or when this (name, local date)
    already has its edition (building twice a day never duplicates). The archive page is
    written here so that every caller (CLI, scheduler) leaves a working view-in-browser
    link; a failure to write it is logged and does not undo the edition.
    """
    settings = runtime.settings
    engine = runtime.engine
    local_date = runtime.clock.now().astimezone(settings.site.zone).date()
    if get_edition(engine, edition_id(edition_name, local_date)) is not None:
        return None
    edition = draft_edition(runtime, edition_name)
    if edition is None:
        return None
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(digest_editions).values(
                    id=edition.id,
                    name=edition.name,
                    title=edition.title,
                    edition_date=edition.edition_date,
                    built_at=edition.built_at,
                    previous_watermark=edition.previous_watermark,
                    watermark=edition.watermark,
                    new_article_count=edition.new_article_count,
                    article_ids=json.dumps(list(edition.article_ids)),
                )
            )
            # In the edition's own transaction: the event exists if and only if the edition does.
            runtime.notifier.notify(
                "edition.built",
                {"edition_id": edition.id, "name": edition.name, "edition_date": edition.edition_date.isoformat(),
                 "articles": len(edition.article_ids)},
                key=edition.id, connection=connection,
            )
    except IntegrityError:
        # Another process built the same (name, date) edition a moment ago.
        return None
    if publish:
        from syndication.digest.archive import publish_archive
        from syndication.writers import AtomicFileWriter

        try:
            publish_archive(runtime, AtomicFileWriter(settings.public_dir), edition)
        except (OSError, SyndicationError) as exc:
            log.error("edition %s built, but its archive page was not written: %s", edition.id, exc)
    return edition


def edition_articles(engine: Engine, edition: Edition) -> list[Article]:
    """The edition's articles as stored now, in edition order (retracted ones left out)."""
    return [article for article in ArticleStore(engine).get_many(edition.article_ids) if article.is_published]


def draft_edition(runtime: Runtime, edition_name: str) -> Edition | None:
    """What ``build_edition`` would freeze now, without storing it (for previews)."""
    settings = runtime.settings
    config = settings.edition(edition_name)
    now = runtime.clock.now()
    local_date = now.astimezone(settings.site.zone).date()
    previous = latest_edition(runtime.engine, edition_name)
    since = previous.watermark if previous else 0
    new = list(ArticleStore(runtime.engine).first_seen_after(since))
    if not new:
        return None
    ordered = order_for_digest((article for _, article in new), settings.digest.category_priority)
    return Edition(
        id=edition_id(edition_name, local_date),
        name=edition_name,
        title=config.title,
        edition_date=local_date,
        built_at=now,
        article_ids=tuple(article.id for article in ordered[: config.max_articles]),
        previous_watermark=since,
        watermark=max(seq for seq, _ in new),
        new_article_count=len(new),
    )
