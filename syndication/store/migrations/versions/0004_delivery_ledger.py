"""delivery ledger

Revision ID: 0004_delivery_ledger
Revises: 0003_subscribers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0004_delivery_ledger"
down_revision = "0003_subscribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("edition_id", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(5), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("planned_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("skipped_at_planning", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_runs"),
        sa.UniqueConstraint("edition_id", "slot", name="uq_delivery_runs_edition_id"),
    )
    op.create_table(
        "delivery_batches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("handed_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["delivery_runs.id"], name="fk_delivery_batches_run_id_delivery_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_batches"),
        sa.UniqueConstraint("run_id", "number", name="uq_delivery_batches_run_id"),
    )
    op.create_index("ix_delivery_batches_run_id_status", "delivery_batches", ["run_id", "status"])
    op.create_table(
        "delivery_recipients",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.String(64), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["delivery_batches.id"],
            name="fk_delivery_recipients_batch_id_delivery_batches",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_recipients"),
        sa.UniqueConstraint("edition_id", "subscriber_id", name="uq_delivery_recipients_edition_id"),
    )
    op.create_index("ix_delivery_recipients_batch_id", "delivery_recipients", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_recipients_batch_id", table_name="delivery_recipients")
    op.drop_table("delivery_recipients")
    op.drop_index("ix_delivery_batches_run_id_status", table_name="delivery_batches")
    op.drop_table("delivery_batches")
    op.drop_table("delivery_runs")
