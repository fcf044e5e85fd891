"""Sections about running on several machines: the workers' liveness, the log format, where files are published."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from syndication.config.base import Section
from syndication.errors import BadValue


class WorkersConfig(Section):
    # A worker refreshes its heartbeat every third of this while it plans or sends; a claim (a batch
    # being sent, a run being planned, the scheduler's leadership) without a heartbeat for this long is
    # abandoned, wherever the worker ran.
    lease_seconds: float = Field(default=60, ge=3)
    # With a PostgreSQL store: the scheduler leader defers edition sends, partner pushes and outgoing
    # webhooks as jobs of the job queue (procrastinate) and `syndication worker` processes run them;
    # false: the scheduler does it all itself (the one-machine default; SQLite cannot queue).
    queue: bool = False
    # Send jobs deferred per edition slot when queue is on: up to this many workers share one slot's batches.
    send_jobs: int = Field(default=1, ge=1, le=64)


class LoggingConfig(Section):
    # "text": one readable line per event; "json": one JSON object per line, for a log shipper.
    format: Literal["text", "json"] = "text"


class PublishConfig(Section):
    # Where feeds, the OPML and the editions archive go: empty = [site] public_dir (a folder);
    # "s3://bucket/prefix" = an S3-compatible bucket (credentials from AWS_* environment variables).
    url: str = ""
    # An S3-compatible service other than AWS (MinIO, Cloudflare R2, …): its endpoint URL.
    endpoint_url: str = ""
    region: str = ""

    @field_validator("url")
    @classmethod
    def _bucket(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.startswith("s3://") and len(value) > len("s3://")):
            raise BadValue("empty (the public_dir folder) or s3://bucket/prefix, not %(value)r", value=value[:60])
        return value
