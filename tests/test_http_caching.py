"""Conditional GET, one rule for public files and the partner API: strong ETags, If-None-Match first."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from syndication.http_caching import etag_matches, is_not_modified, strong_etag

MODIFIED = datetime(2026, 11, 23, 6, 0, 0, 500000, tzinfo=UTC)
HTTP_DATE = "Mon, 23 Nov 2026 06:00:00 GMT"


def test_etag_matching_rules() -> None:
    """If-None-Match may list several tags, weak ones and the wildcard."""
    assert [True, True, True, False, False] == [
        etag_matches('"a", "b"', '"b"'), etag_matches('W/"b"', '"b"'), etag_matches("*", '"b"'),
        etag_matches('"a"', '"b"'), etag_matches(None, '"b"'),
    ]


def test_strong_etag_is_a_hash_of_the_bytes_with_an_optional_suffix() -> None:
    """Equal bytes, equal tag; another representation (gzip) is told apart by its suffix."""
    digest = hashlib.sha256(b"feed").hexdigest()[:32]
    assert (f'"{digest}"', f'"{digest}-gz"', False) == (
        strong_etag(b"feed"), strong_etag(b"feed", "-gz"), strong_etag(b"feed") == strong_etag(b"feed!"),
    )


def test_if_none_match_decides_alone_when_present() -> None:
    """A stale If-None-Match is a 200 even with a current If-Modified-Since (RFC 9110, 13.2.2)."""
    etag = strong_etag(b"feed")
    assert [True, False, True, False, False] == [
        is_not_modified({"if-none-match": etag}, etag, MODIFIED),
        is_not_modified({"if-none-match": '"old"', "if-modified-since": HTTP_DATE}, etag, MODIFIED),
        is_not_modified({"if-modified-since": HTTP_DATE}, etag, MODIFIED),
        is_not_modified({"if-modified-since": "Sun, 22 Nov 2026 06:00:00 GMT"}, etag, MODIFIED),
        is_not_modified({"if-modified-since": "not a date"}, etag, MODIFIED),
    ]


def test_without_a_modification_time_only_the_etag_counts() -> None:
    """An answer without Last-Modified (the partner API) is never 304 by date alone."""
    assert (False, True) == (
        is_not_modified({"if-modified-since": HTTP_DATE}, '"x"'),
        is_not_modified({"if-none-match": '"x"'}, '"x"'),
    )
