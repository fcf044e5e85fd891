"""feed terms: each feed's newest items by index, not by loading the archive

Revision ID: 0010_article_terms
Revises: 0009_delivery_outcomes

``article_terms`` holds one row per published article and category, region or author name;
ix_article_terms_feed gives a feed's newest ``limit`` items in ``limit`` index steps.
ix_articles_status_published_id does the same for the main feed. Existing articles are indexed
here from the columns the articles table already has.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0010_article_terms"
down_revision = "0009_delivery_outcomes"
branch_labels = None
depends_on = None

# Names longer than this get no feed (a file name must stay short); the same limit as the store's.
_TERM_MAX_CHARS = 200


def upgrade() -> None:
    terms = op.create_table(
        "article_terms",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("published", UtcDateTime(), nullable=False),
        sa.Column("article_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "kind", "term", name="pk_article_terms"),
    )
    op.create_index("ix_article_terms_feed", "article_terms", ["kind", "term", "published", "article_id"])
    op.create_index("ix_articles_status_published_id", "articles", ["status", "published", "id"])
    articles = sa.table(
        "articles",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("published", UtcDateTime()),
        sa.column("author_name", sa.Text),
        sa.column("categories", sa.Text),
        sa.column("regions", sa.Text),
    )
    connection = op.get_bind()
    query = sa.select(
        articles.c.id, articles.c.published, articles.c.author_name, articles.c.categories, articles.c.regions
    ).where(articles.c.status == "published")
    rows: list[dict[str, object]] = []
    for row in connection.execute(query).all():
        names = {
            "category": json.loads(row.categories or "[]"),
            "region": json.loads(row.regions or "[]"),
            "author": [row.author_name] if row.author_name else [],
        }
        for kind, values in names.items():
            for term in dict.fromkeys(values):
                if term and len(term) <= _TERM_MAX_CHARS:
                    rows.append({"kind": kind, "term": term, "published": row.published, "article_id": row.id})
        if len(rows) >= 5000:
            connection.execute(terms.insert(), rows)
            rows = []
    if rows:
        connection.execute(terms.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_articles_status_published_id", table_name="articles")
    op.drop_index("ix_article_terms_feed", table_name="article_terms")
    op.drop_table("article_terms")
