"""partner versions and pushes: the partners' version log, push endpoints, the push outbox, reuse days

Revision ID: 0014_partner_versions
Revises: 0013_drop_subscribe_attempts

New tables, and one nullable column on partners (``ALTER TABLE ADD COLUMN``: no SQLite rebuild).
The version log starts empty: the first sync (the next collect, ``partners deliver`` or the
scheduler's partner job) records one version per stored revision, so existing partner cursors
(``v1``, over revision ids) still find their place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0014_partner_versions"
down_revision = "0013_drop_subscribe_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partners", sa.Column("reuse_days", sa.Integer(), nullable=True))
    op.create_table(
        "partner_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("pub_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version_created", UtcDateTime(), nullable=False),
        sa.Column("embargoed_until", UtcDateTime(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("article_id", "version", name="uq_partner_versions_article_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_partner_versions_revision_id", "partner_versions", ["revision_id"])
    op.create_index("ix_partner_versions_pub_status", "partner_versions", ["pub_status", "embargoed_until"])
    op.create_table(
        "partner_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(),
            sa.ForeignKey("partners.id", name="fk_partner_endpoints_partner_id_partners"), nullable=False,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("secret_created_at", UtcDateTime(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.UniqueConstraint("partner_id", name="uq_partner_endpoints_partner_id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "partner_pushes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "endpoint_id", sa.Integer(),
            sa.ForeignKey("partner_endpoints.id", name="fk_partner_pushes_endpoint_id_partner_endpoints"),
            nullable=False,
        ),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(80), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("endpoint_id", "message_id", name="uq_partner_pushes_endpoint_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_partner_pushes_status_next", "partner_pushes", ["status", "next_attempt_at"])
    op.create_index("ix_partner_pushes_partner_id_finished_at", "partner_pushes", ["partner_id", "finished_at"])
    op.create_table(
        "partner_push_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "push_id", sa.Integer(),
            sa.ForeignKey("partner_pushes.id", name="fk_partner_push_attempts_push_id_partner_pushes"),
            nullable=False,
        ),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_partner_push_attempts_push_id", "partner_push_attempts", ["push_id"])


def downgrade() -> None:
    op.drop_table("partner_push_attempts")
    op.drop_table("partner_pushes")
    op.drop_table("partner_endpoints")
    op.drop_table("partner_versions")
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("reuse_days")
