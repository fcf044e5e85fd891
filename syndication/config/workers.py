"""Sections about running on several machines: the workers' liveness, the log format."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syndication.config.base import Section


class WorkersConfig(Section):
    # A worker refreshes its heartbeat every third of this while it plans or sends; a claim (a batch
    # being sent, a run being planned, the scheduler's leadership) without a heartbeat for this long is
    # abandoned, wherever the worker ran.
    lease_seconds: float = Field(default=60, ge=3)


class LoggingConfig(Section):
    # "text": one readable line per event; "json": one JSON object per line, for a log shipper.
    format: Literal["text", "json"] = "text"
