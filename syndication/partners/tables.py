"""Tables of partner syndication: partners with their terms and keys, and the request log."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from syndication.store.schema import metadata
from syndication.store.types import UtcDateTime

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # The key's first characters: found by index, then the hash is compared in constant time.
    Column("key_prefix", String(16), nullable=False),
    # HMAC-SHA256 of the whole key (hex); the key itself is never stored.
    Column("key_hash", String(64), nullable=False),
    # JSON arrays; empty means "all".
    Column("categories", Text, nullable=False),
    Column("regions", Text, nullable=False),
    Column("embargo_minutes", Integer, nullable=False),
    Column("summary_only", Boolean, nullable=False),
    # NULL: the [partners] default from the configuration applies.
    Column("rights_text", Text, nullable=True),
    Column("licence_url", Text, nullable=True),
    Column("attribution", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("key_created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    UniqueConstraint("name", name="uq_partners_name"),
    Index("ix_partners_key_prefix", "key_prefix"),
)

partner_requests = Table(
    "partner_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "partner_id",
        Integer,
        ForeignKey("partners.id", name="fk_partner_requests_partner_id_partners"),
        nullable=False,
    ),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("endpoint", String(100), nullable=False),
    Column("status", Integer, nullable=False),
    Column("items_served", Integer, nullable=False),
    Index("ix_partner_requests_partner_id_requested_at", "partner_id", "requested_at"),
)
