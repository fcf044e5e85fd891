"""The newsroom console's tables: staff accounts, one-time sign-in links, sessions and the audit log.

Only token hashes are stored (SHA-256 of a 32-byte random token): a copy of the database signs nobody in.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

console_accounts = Table(
    "console_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Normalised (lower case); unique.
    Column("email", String(320), nullable=False, unique=True),
    # "admin" or "editor".
    Column("role", String(10), nullable=False),
    # The console's language for this account ("de" or "en").
    Column("language", String(5), nullable=False),
    # argon2id hash (argon2-cffi); None: sign-in by link only.
    Column("password_hash", Text, nullable=True),
    # Base32 TOTP secret (pyotp) in clear, as versions before 0020 stored it; sealed on the console's start.
    Column("totp_secret", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # The TOTP secret sealed (Fernet, syndication.sealing); None: no second factor.
    Column("totp_sealed", Text, nullable=True),
    sqlite_autoincrement=True,
)

console_links = Table(
    "console_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("console_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    # Set once, by the one request that redeems the link.
    Column("used_at", UtcDateTime, nullable=True),
    sqlite_autoincrement=True,
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("console_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_console_sessions_account_id", "account_id"),
)

console_audit = Table(
    "console_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # The account's address (staff, not readers); "cli" for the command line.
    Column("actor", String(320), nullable=False),
    Column("action", String(60), nullable=False),
    # What was changed: an edition id, a partner name, "subscriber 42" (never a reader's address).
    Column("target", String(300), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_console_audit_at", "at"),
    sqlite_autoincrement=True,
)
