"""The Source interface: where articles come from (folder, WordPress, upstream feed)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from syndication.config import AnatomyConfig, SiteConfig
from syndication.errors import InputError
from syndication.model import Article


@dataclass(frozen=True)
class Fetched:
    """An article read from the source; ``fingerprint`` lets the next collect skip it cheaply."""

    article: Article
    fingerprint: str | None = None


@dataclass(frozen=True)
class Unchanged:
    """The input behind ``external_id`` has the fingerprint stored last time: nothing to parse."""

    external_id: str


@dataclass(frozen=True)
class Failed:
    """The input behind ``external_id`` is bad; what was stored for it stays as it is."""

    external_id: str
    error: InputError


SourceEvent = Fetched | Unchanged | Failed


@dataclass(frozen=True)
class SourceContext:
    # external id → fingerprint stored by the last collect (None when the source gave none).
    known: Mapping[str, str | None]
    now: datetime
    site: SiteConfig
    anatomy: AnatomyConfig


class Source(Protocol):
    name: str
    # True when one collect lists every article the source has, so that an article no
    # longer listed was removed there (and is marked retracted here).
    complete: bool

    def collect(self, context: SourceContext) -> Iterator[SourceEvent]:
        """Yield one event per input. Raise SourceUnavailable when the source cannot be read
        at all; events already yielded are kept."""
        ...
