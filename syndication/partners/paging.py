"""What a partner sees: the cursor over the version log, category/region filters and embargoes.

The cursor is an opaque token over the partners' version log (:mod:`syndication.partners.versions`).
It only ever moves past a version that was served or that this partner can never see (outside its
categories/regions). A page stops *before* the first version still under the partner's embargo, so
that version, and everything after it, is served once its time has come: no version is skipped,
none is served twice, all come in order. Every version of an article comes (a correction, then a
withdrawal: two more items with the same ``uri``). A ``withheld`` version (publication still ahead)
carries no content and is served at once; the content comes as the next version when it is due.

Cursors of the first form (``v1``, a revision id) are still accepted and continue where they were.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from syndication.errors import InputError
from syndication.i18n import N_
from syndication.model import Article, ArticleSelection
from syndication.partners.model import Partner
from syndication.partners.versions import WITHHELD, ItemVersion, VersionLog
from syndication.store.articles import ArticleStore

MAX_LIMIT = 500
_CURSOR_VERSION = "v2"
_LEGACY_VERSION = "v1"
# Changes read from the store per query while looking for visible ones.
_BATCH = 200


class InvalidCursor(InputError):
    """The ``since`` cursor was not issued by this API."""

    def __init__(self, cursor: str) -> None:
        super().__init__("since", N_("not a cursor issued by this API (omit it to start from the beginning)"))
        self.cursor = cursor


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_VERSION}:{seq}".encode("ascii")).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: a position in the version log, or (``legacy``) a revision id of the first form."""

    position: int
    legacy: bool = False

    def resolve(self, log: VersionLog) -> int:
        return log.position_after_revision(self.position) if self.legacy else self.position


def decode_cursor(cursor: str | None) -> Cursor:
    """The position of ``cursor``; no cursor means "from the beginning"."""
    if not cursor:
        return Cursor(0)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor(cursor) from None
    version, _, number = raw.partition(":")
    if version not in (_CURSOR_VERSION, _LEGACY_VERSION) or not number.isdigit() or len(number) > 18:
        raise InvalidCursor(cursor)
    return Cursor(int(number), legacy=version == _LEGACY_VERSION)


@dataclass(frozen=True)
class Page:
    """One answer of the items endpoint: visible versions in order and where to go on from."""

    changes: tuple[ItemVersion, ...]
    cursor: int
    has_more: bool

    @property
    def articles(self) -> list[Article]:
        return [change.article for change in self.changes]

    @property
    def next_cursor(self) -> str:
        return encode_cursor(self.cursor)


def visible(partner: Partner, version: ItemVersion, now: datetime) -> bool:
    """Whether ``version`` (in the partner's scope) may go to ``partner`` at ``now``: a withheld one at once
    (it carries no content), any other once the partner's embargo on the article is over."""
    return version.pub_status == WITHHELD or partner.visible_from(version.article) <= now


def read_page(
    log: VersionLog, partner: Partner, cursor: int, limit: int, now: datetime, *, scan_budget: int | None = None
) -> Page:
    """Up to ``limit`` versions after position ``cursor`` that ``partner`` may see at ``now``.

    ``scan_budget`` bounds the changes examined per call (default: ten pages, at least
    1000) so that a partner with narrow filters costs bounded work per request; when it is
    used up the cursor moves past what was examined and ``has_more`` is true.
    """
    budget = scan_budget if scan_budget is not None else max(1000, 10 * limit)
    served: list[ItemVersion] = []
    position = cursor
    scanned_to = cursor
    scanned = 0
    while scanned < budget:
        batch = log.since(scanned_to, min(_BATCH, budget - scanned))
        if not batch:
            return Page(tuple(served), position, has_more=False)
        for change in batch:
            scanned += 1
            scanned_to = change.position
            if not partner.covers(change.article):
                # Invisible for good: a later edit that brings it into scope has a new position.
                if len(served) < limit:
                    position = change.position
                continue
            if not visible(partner, change, now):
                return Page(tuple(served), position, has_more=False)
            if len(served) == limit:
                return Page(tuple(served), position, has_more=True)
            served.append(change)
            position = change.position
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
