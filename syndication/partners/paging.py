"""What a partner sees: the change cursor, category/region filters and embargoes.

The cursor is an opaque token over the store's global ``change_seq``. It only ever moves
past a change that was served or that this partner can never see (outside its
categories/regions). A page stops *before* the first change still under embargo, so
that change, and everything after it, is served once its time has come: no change is
skipped, none is served twice, all come in order. An article updated after it was
served has a new, higher ``change_seq`` and comes again with its new version.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from syndication.errors import InputError
from syndication.model import Article, ArticleSelection
from syndication.partners.model import Partner
from syndication.store.articles import ArticleStore, StoredChange

MAX_LIMIT = 500
_CURSOR_VERSION = "v1"
# Changes read from the store per query while looking for visible ones.
_BATCH = 200


class InvalidCursor(InputError):
    """The ``since`` cursor was not issued by this API."""

    def __init__(self, cursor: str) -> None:
        super().__init__("since", "not a cursor issued by this API (omit it to start from the beginning)")
        self.cursor = cursor


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_VERSION}:{seq}".encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The change position of ``cursor``; no cursor means "from the beginning"."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor(cursor) from None
    version, _, number = raw.partition(":")
    if version != _CURSOR_VERSION or not number.isdigit() or len(number) > 18:
        raise InvalidCursor(cursor)
    return int(number)


@dataclass(frozen=True)
class Page:
    """One answer of the items endpoint: visible changes in order and where to go on from."""

    changes: tuple[StoredChange, ...]
    cursor: int
    has_more: bool

    @property
    def articles(self) -> list[Article]:
        return [change.article for change in self.changes]

    @property
    def next_cursor(self) -> str:
        return encode_cursor(self.cursor)


def read_page(
    store: ArticleStore, partner: Partner, cursor: int, limit: int, now: datetime, *, scan_budget: int | None = None
) -> Page:
    """Up to ``limit`` changes after ``cursor`` that ``partner`` may see at ``now``.

    ``scan_budget`` bounds the changes examined per call (default: ten pages, at least
    1000) so that a partner with narrow filters costs bounded work per request; when it is
    used up the cursor moves past what was examined and ``has_more`` is true.
    """
    budget = scan_budget if scan_budget is not None else max(1000, 10 * limit)
    served: list[StoredChange] = []
    position = cursor
    scanned_to = cursor
    scanned = 0
    while scanned < budget:
        batch = store.changes_since(scanned_to, min(_BATCH, budget - scanned))
        if not batch:
            return Page(tuple(served), position, has_more=False)
        for change in batch:
            scanned += 1
            scanned_to = change.seq
            if not partner.covers(change.article):
                # Invisible for good: a later edit that brings it into scope has a new position.
                if len(served) < limit:
                    position = change.seq
                continue
            if partner.visible_from(change.article) > now:
                return Page(tuple(served), position, has_more=False)
            if len(served) == limit:
                return Page(tuple(served), position, has_more=True)
            served.append(change)
            position = change.seq
    return Page(tuple(served), position, has_more=True)


def latest_visible(store: ArticleStore, partner: Partner, now: datetime, limit: int) -> list[Article]:
    """The newest published articles ``partner`` may see at ``now`` (for the Atom feed), newest first."""
    # Only the newest few are under embargo: ask for a margin first, for everything only if short.
    wanted = limit * 2 + 20
    while True:
        selection = ArticleSelection(categories=partner.categories, regions=partner.regions, limit=wanted)
        candidates = store.all(selection)
        visible = [article for article in candidates if partner.visible_from(article) <= now]
        if len(visible) >= limit or len(candidates) < wanted:
            return visible[:limit]
        wanted *= 4
