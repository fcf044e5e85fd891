"""console TOTP secrets sealed: a column for the sealed secret

Revision ID: 0020_console_totp_sealed
Revises: 0019_reader_zones

``console_accounts.totp_sealed`` holds an account's TOTP secret sealed with a key derived from
``SYNDICATION_SECRET_KEY`` (syndication.sealing). The migration cannot seal (it has no key): secrets
stored in clear stay in ``totp_secret`` and still work; the console seals them when it starts, and the
store when it first reads one. Adding a nullable column rebuilds no table on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_console_totp_sealed"
down_revision = "0019_reader_zones"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("console_accounts", sa.Column("totp_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    # A downgraded version reads secrets in clear only: sealed ones are dropped with the column (the
    # accounts keep signing in by link and password; `syndication admin totp` sets a new second factor).
    op.drop_column("console_accounts", "totp_sealed")
