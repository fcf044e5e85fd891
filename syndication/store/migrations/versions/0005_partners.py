"""partners and API keys

Revision ID: 0005_partners
Revises: 0004_delivery_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0005_partners"
down_revision = "0004_delivery_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("embargo_minutes", sa.Integer(), nullable=False),
        sa.Column("summary_only", sa.Boolean(), nullable=False),
        sa.Column("rights_text", sa.Text(), nullable=True),
        sa.Column("licence_url", sa.Text(), nullable=True),
        sa.Column("attribution", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("key_created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_partners"),
        sa.UniqueConstraint("name", name="uq_partners_name"),
    )
    op.create_index("ix_partners_key_prefix", "partners", ["key_prefix"])
    op.create_table(
        "partner_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("endpoint", sa.String(100), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("items_served", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partner_requests"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name="fk_partner_requests_partner_id_partners"
        ),
    )
    op.create_index(
        "ix_partner_requests_partner_id_requested_at", "partner_requests", ["partner_id", "requested_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_partner_requests_partner_id_requested_at", table_name="partner_requests")
    op.drop_table("partner_requests")
    op.drop_index("ix_partners_key_prefix", table_name="partners")
    op.drop_table("partners")
