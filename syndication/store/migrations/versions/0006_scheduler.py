"""scheduler runs and lock

Revision ID: 0006_scheduler
Revises: 0005_partners
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndication.store.types import UtcDateTime

revision = "0006_scheduler"
down_revision = "0005_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edition_sends",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("edition_name", sa.String(100), nullable=False),
        sa.Column("edition_date", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(5), nullable=False),
        sa.Column("edition_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_edition_sends"),
        sa.UniqueConstraint("edition_name", "edition_date", "slot", name="uq_edition_sends_edition_name"),
    )
    op.create_index("ix_edition_sends_edition_id", "edition_sends", ["edition_id"])
    op.create_index("ix_edition_sends_started_at", "edition_sends", ["started_at"])
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(100), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job_runs"),
    )
    op.create_index("ix_job_runs_job_id", "job_runs", ["job_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_job_runs_job_id", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_index("ix_edition_sends_started_at", table_name="edition_sends")
    op.drop_index("ix_edition_sends_edition_id", table_name="edition_sends")
    op.drop_table("edition_sends")
