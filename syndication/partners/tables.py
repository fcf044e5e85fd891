"""Tables of partner syndication: partners with their terms and keys, the request log, the version log and
the push outbox."""

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
    # Days a partner may keep an item online (ninjs ``expires``); NULL: the contract sets no limit.
    Column("reuse_days", Integer, nullable=True),
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

# The partners' version log: every change of an article as partners see it (a correction, a withdrawal, an
# embargo lifted), in order. Its id is the partner cursor's position; ``revision_id`` is the stored revision
# whose content the version carries (an embargo lifted carries the same revision as the withheld version).
partner_versions = Table(
    "partner_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(36), nullable=False),
    # 1, 2, 3 … per article: the ninjs ``version``.
    Column("version", Integer, nullable=False),
    Column("revision_id", Integer, nullable=False),
    # usable | withheld | canceled (ninjs pubStatus).
    Column("pub_status", String(20), nullable=False),
    # The source's editorial note (ninjs edNote); for a withdrawal, its reason.
    Column("note", Text, nullable=True),
    Column("version_created", UtcDateTime, nullable=False),
    # A withheld version: when its content may be used.
    Column("embargoed_until", UtcDateTime, nullable=True),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("article_id", "version", name="uq_partner_versions_article_id"),
    Index("ix_partner_versions_revision_id", "revision_id"),
    Index("ix_partner_versions_pub_status", "pub_status", "embargoed_until"),
    sqlite_autoincrement=True,
)

# A partner's push endpoint: one per partner; the Standard Webhooks secret is stored encrypted.
partner_endpoints = Table(
    "partner_endpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "partner_id", Integer, ForeignKey("partners.id", name="fk_partner_endpoints_partner_id_partners"),
        nullable=False,
    ),
    Column("url", Text, nullable=False),
    # Fernet token of the whsec_ secret, keyed from SYNDICATION_SECRET_KEY.
    Column("secret", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("secret_created_at", UtcDateTime, nullable=False),
    # Position in partner_versions up to which versions are queued for this endpoint.
    Column("cursor", Integer, nullable=False),
    # Bumped by every replay, so that replayed messages get their own webhook-id.
    Column("generation", Integer, nullable=False),
    # Set by `partners push-stop`: nothing more is queued or posted; registering again clears it.
    Column("stopped_at", UtcDateTime, nullable=True),
    UniqueConstraint("partner_id", name="uq_partner_endpoints_partner_id"),
    sqlite_autoincrement=True,
)

# One row per (endpoint, version, generation) to push: pending → sending → delivered | failed.
partner_pushes = Table(
    "partner_pushes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "endpoint_id",
        Integer,
        ForeignKey("partner_endpoints.id", name="fk_partner_pushes_endpoint_id_partner_endpoints"),
        nullable=False,
    ),
    Column("partner_id", Integer, nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("article_id", String(36), nullable=False),
    Column("message_id", String(80), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("endpoint_id", "message_id", name="uq_partner_pushes_endpoint_id"),
    Index("ix_partner_pushes_status_next", "status", "next_attempt_at"),
    Index("ix_partner_pushes_partner_id_finished_at", "partner_id", "finished_at"),
    sqlite_autoincrement=True,
)

partner_push_attempts = Table(
    "partner_push_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "push_id", Integer, ForeignKey("partner_pushes.id", name="fk_partner_push_attempts_push_id_partner_pushes"),
        nullable=False,
    ),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_partner_push_attempts_push_id", "push_id"),
    sqlite_autoincrement=True,
)
