"""Core: conditional GET (RFC 9110): strong ETags from the bytes, a 304 when the client's copy is current.

Public files and the partner API answer alike: ``If-None-Match`` is compared weakly (13.1.2)
and, when present, decides alone; only without it does ``If-Modified-Since`` count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def strong_etag(data: bytes, suffix: str = "") -> str:
    """A strong ETag of ``data`` (a hash of its bytes); ``suffix`` names another representation (``-gz``)."""
    return f'"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks for)."""
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def not_modified_since(header: str, last_modified: datetime) -> bool:
    """Whether ``last_modified`` is no later than an ``If-Modified-Since`` date (a bad date: modified)."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


def is_not_modified(headers: Mapping[str, str], etag: str, last_modified: datetime | None = None) -> bool:
    """Whether a request with ``headers`` (lower-case names) may be answered 304 Not Modified."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    if_modified_since = headers.get("if-modified-since")
    return last_modified is not None and if_modified_since is not None and (
        not_modified_since(if_modified_since, last_modified)
    )
