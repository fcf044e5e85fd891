"""Table definitions. Every package adds its tables to this one ``metadata``.

Each table group lives with the package that owns it and is imported here so that
Alembic and the schema test see all of them.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from syndication.store.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("source", String(100), nullable=False),
    Column("external_id", String(500), nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("published", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    Column("author_name", Text, nullable=True),
    Column("categories", Text, nullable=False, default="[]"),
    Column("regions", Text, nullable=False, default="[]"),
    Column("content_hash", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    # Revision id of the latest change: a global, increasing cursor over all changes.
    Column("change_seq", Integer, nullable=False),
    # Revision id of the first stored version: editions take articles by it (no gap, no repeat).
    Column("first_seq", Integer, nullable=False),
    # What the source uses to skip unchanged inputs cheaply (file mtime and size, WP modified).
    Column("fingerprint", String(200), nullable=True),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("source", "external_id", name="uq_articles_source_external_id"),
    Index("ix_articles_change_seq", "change_seq"),
    Index("ix_articles_first_seq", "first_seq"),
    Index("ix_articles_published", "published"),
    # The main feed: the newest published articles, read straight off the index.
    Index("ix_articles_status_published_id", "status", "published", "id"),
)

# One row per (published article, category/region/author name): each feed's newest items are a
# short walk down ix_article_terms_feed, whatever the size of the archive. Written with the article.
article_terms = Table(
    "article_terms",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("term", String(200), nullable=False),
    Column("published", UtcDateTime, nullable=False),
    Column("article_id", String(36), nullable=False),
    PrimaryKeyConstraint("article_id", "kind", "term", name="pk_article_terms"),
    Index("ix_article_terms_feed", "kind", "term", "published", "article_id"),
)

article_revisions = Table(
    "article_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # No foreign key: the revision is written first so that its id can be the article's change_seq.
    Column("article_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_article_revisions_article_id", "article_id"),
)
