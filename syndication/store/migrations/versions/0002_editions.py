"""digest editions

Revision ID: 0002_editions
Revises: 0001_articles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0002_editions"
down_revision = "0001_articles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_editions",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("edition_date", sa.Date(), nullable=False),
        sa.Column("built_at", UtcDateTime(), nullable=False),
        sa.Column("previous_watermark", sa.Integer(), nullable=False),
        sa.Column("watermark", sa.Integer(), nullable=False),
        sa.Column("new_article_count", sa.Integer(), nullable=False),
        sa.Column("article_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_editions"),
        sa.UniqueConstraint("name", "edition_date", name="uq_digest_editions_name"),
    )
    op.create_index("ix_digest_editions_name_watermark", "digest_editions", ["name", "watermark"])


def downgrade() -> None:
    op.drop_index("ix_digest_editions_name_watermark", table_name="digest_editions")
    op.drop_table("digest_editions")
