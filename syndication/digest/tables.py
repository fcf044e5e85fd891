"""The digest's tables: one row per built edition."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text, UniqueConstraint

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

digest_editions = Table(
    "digest_editions",
    metadata,
    # "<name>-<local date>", e.g. "daily-2026-11-24": stable, readable, used in URLs and Message-IDs.
    Column("id", String(80), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("title", Text, nullable=False),
    # The edition's date in the site's time zone; one edition per (name, date).
    Column("edition_date", Date, nullable=False),
    Column("built_at", UtcDateTime, nullable=False),
    # Articles with first_seq in (previous_watermark, watermark] were new for this edition.
    Column("previous_watermark", Integer, nullable=False),
    Column("watermark", Integer, nullable=False),
    # How many articles were new; article_ids holds the first max_articles of them in digest order.
    Column("new_article_count", Integer, nullable=False),
    Column("article_ids", Text, nullable=False),
    # The newsletter it belongs to (a special edition's name differs from it); None before migration 0017: the name.
    Column("newsletter", String(50), nullable=True),
    # regular | special
    Column("kind", String(10), nullable=False, server_default="regular"),
    UniqueConstraint("name", "edition_date", name="uq_digest_editions_name"),
    Index("ix_digest_editions_name_watermark", "name", "watermark"),
)
