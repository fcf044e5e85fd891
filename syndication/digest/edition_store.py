"""The edition repository: built editions in ``digest_editions``, and their articles as stored now."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine, and_, insert, or_, select
from sqlalchemy.engine import Connection

from syndication.digest.editions import Edition
from syndication.digest.tables import digest_editions
from syndication.model import Article
from syndication.store.articles import ArticleStore


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
        newsletter=row.newsletter,  # type: ignore[attr-defined]
        kind=row.kind or "regular",  # type: ignore[attr-defined]
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


def list_editions(engine: Engine, name: str | None = None, *, newsletter: str | None = None) -> list[Edition]:
    """Editions newest first (all kinds unless ``name``; only one newsletter's, specials included, with
    ``newsletter``)."""
    query = select(digest_editions).order_by(
        digest_editions.c.edition_date.desc(), digest_editions.c.built_at.desc(), digest_editions.c.id
    )
    if name is not None:
        query = query.where(digest_editions.c.name == name)
    if newsletter is not None:
        query = query.where(
            or_(digest_editions.c.newsletter == newsletter,
                and_(digest_editions.c.newsletter.is_(None), digest_editions.c.name == newsletter))
        )
    with engine.connect() as connection:
        return [_from_row(row) for row in connection.execute(query)]


def insert_edition(connection: Connection, edition: Edition) -> None:
    """Store ``edition`` in the caller's transaction; IntegrityError when its (name, date) has one already."""
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
            newsletter=edition.newsletter,
            kind=edition.kind,
        )
    )


def edition_articles(engine: Engine, edition: Edition) -> list[Article]:
    """The edition's articles as stored now, in edition order (retracted ones left out)."""
    return [article for article in ArticleStore(engine).get_many(edition.article_ids) if article.is_published]


def editions_on(engine: Engine, edition_date: date) -> list[Edition]:
    """Every edition of this (local) date, regular and special."""
    with engine.connect() as connection:
        rows = connection.execute(select(digest_editions).where(digest_editions.c.edition_date == edition_date))
        return [_from_row(row) for row in rows]
