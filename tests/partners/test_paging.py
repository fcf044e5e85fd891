"""The partner cursor over the version log: scope, embargo, every version exactly once while articles change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syndication.clock import FixedClock
from syndication.model import Article, Status
from syndication.partners.model import Partner
from syndication.partners.paging import Cursor, InvalidCursor, decode_cursor, encode_cursor, latest_visible, read_page
from syndication.partners.versions import VersionLog
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

from .helpers import CollectingStore

EVERYTHING = Partner(id=1, name="Alle", key_prefix="synd_aaaaaaaa")


def article(number: int, published: datetime | None = None, **fields: object) -> Article:
    moment = published or datetime(2026, 11, 20, 8, 0, tzinfo=UTC) + timedelta(minutes=number)
    return make_article(number, published=moment, updated=moment, **fields)


def follow(store: ArticleStore, partner: Partner, cursor: int, limit: int, now: datetime) -> tuple[list, int]:
    """Follow cursors until has_more is false: every (external id, version) served, and the last cursor."""
    served = []
    while True:
        page = read_page(log_of(store), partner, cursor, limit, now)
        served += [(v.article.external_id, v.version) for v in page.changes]
        cursor = decode_cursor(page.next_cursor).position
        if not page.has_more:
            return served, cursor


def log_of(store: ArticleStore) -> VersionLog:
    assert isinstance(store, CollectingStore)
    return store.versions


def test_cursor_round_trip_and_garbage() -> None:
    """A cursor decodes to its position; an empty one starts at the beginning; others are refused."""
    assert (Cursor(12345), Cursor(0), Cursor(0)) == (
        decode_cursor(encode_cursor(12345)), decode_cursor(None), decode_cursor("")
    )
    for garbage in ("%%%", "djE6YWJj", encode_cursor(1) + "x", "MTIz"):
        with pytest.raises(InvalidCursor):
            decode_cursor(garbage)


def test_pages_follow_change_order(article_store: ArticleStore, clock: FixedClock) -> None:
    """Small pages return every article once, oldest change first, with has_more until the end."""
    for number in range(1, 8):
        article_store.upsert(article(number), clock.now())
    first = read_page(log_of(article_store), EVERYTHING, 0, 3, clock.now())
    assert (["artikel-1", "artikel-2", "artikel-3"], True) == ([a.external_id for a in first.articles], first.has_more)
    served, _ = follow(article_store, EVERYTHING, 0, 3, clock.now())
    assert [(f"artikel-{n}", 1) for n in range(1, 8)] == served


def test_partner_sees_only_its_categories(article_store: ArticleStore, clock: FixedClock) -> None:
    """Articles outside the partner's categories are never served, and the cursor moves past them."""
    sport = Partner(id=2, name="Sport", key_prefix="synd_bbbbbbbb", categories=("Sport",))
    for number in range(1, 7):
        article_store.upsert(article(number, categories=("Sport",) if number % 3 == 0 else ("Politik",)), clock.now())
    served, cursor = follow(article_store, sport, 0, 10, clock.now())
    assert ([("artikel-3", 1), ("artikel-6", 1)], log_of(article_store).head()) == (served, cursor)


def test_embargoed_item_waits_and_is_not_skipped(article_store: ArticleStore, clock: FixedClock) -> None:
    """An item under embargo stops the page; once its time has come it and what follows are served once."""
    embargoed = Partner(id=3, name="Spät", key_prefix="synd_cccccccc", embargo_minutes=60)
    now = clock.now()
    article_store.upsert(article(1, published=now - timedelta(hours=3)), now)
    article_store.upsert(article(2, published=now - timedelta(minutes=10)), now)
    article_store.upsert(article(3, published=now - timedelta(hours=2)), now)
    served, cursor = follow(article_store, embargoed, 0, 10, now)
    assert [("artikel-1", 1)] == served
    clock.advance(timedelta(minutes=49))
    assert [] == follow(article_store, embargoed, cursor, 10, clock.now())[0]
    clock.advance(timedelta(minutes=2))
    assert [("artikel-2", 1), ("artikel-3", 1)] == follow(article_store, embargoed, cursor, 10, clock.now())[0]


def test_paging_while_articles_change_serves_each_change_once(article_store: ArticleStore, clock: FixedClock) -> None:
    """Edits between calls come again with a higher version, every version once; nothing is lost or repeated."""
    for number in range(1, 6):
        article_store.upsert(article(number), clock.now())
    page = read_page(log_of(article_store), EVERYTHING, 0, 2, clock.now())
    served = [(v.article.external_id, v.version) for v in page.changes]
    clock.advance(timedelta(minutes=5))
    article_store.upsert(article(1, title="Neu 1"), clock.now())  # already served: comes again as v2
    article_store.upsert(article(4, title="Neu 4"), clock.now())  # not served yet: only v2 comes
    article_store.retract([article(5).id], clock.now())
    rest, cursor = follow(article_store, EVERYTHING, decode_cursor(page.next_cursor).position, 2, clock.now())
    served += rest
    assert [("artikel-1", 1), ("artikel-2", 1), ("artikel-3", 1), ("artikel-4", 1), ("artikel-5", 1),
            ("artikel-1", 2), ("artikel-4", 2), ("artikel-5", 2)] == served
    assert ([], cursor) == follow(article_store, EVERYTHING, cursor, 2, clock.now())


def test_narrow_scope_costs_bounded_work(article_store: ArticleStore, clock: FixedClock) -> None:
    """With a small scan budget the cursor still moves past invisible changes and says there is more."""
    nobody = Partner(id=4, name="Leer", key_prefix="synd_dddddddd", categories=("Gibt es nicht",))
    for number in range(1, 6):
        article_store.upsert(article(number), clock.now())
    page = read_page(log_of(article_store), nobody, 0, 10, clock.now(), scan_budget=3)
    assert ([], 3, True) == (page.articles, page.cursor, page.has_more)
    page = read_page(log_of(article_store), nobody, page.cursor, 10, clock.now(), scan_budget=3)
    assert ([], 5, False) == (page.articles, page.cursor, page.has_more)


def test_latest_visible_is_newest_first_without_embargoed_or_retracted(
    article_store: ArticleStore, clock: FixedClock
) -> None:
    """The Atom snapshot lists visible published articles, newest publication first."""
    partner = Partner(id=5, name="Feed", key_prefix="synd_eeeeeeee", embargo_minutes=30)
    now = clock.now()
    article_store.upsert(article(1, published=now - timedelta(hours=2)), now)
    article_store.upsert(article(2, published=now - timedelta(hours=1)), now)
    article_store.upsert(article(3, published=now - timedelta(minutes=5)), now)
    article_store.upsert(article(4, published=now - timedelta(hours=3), status=Status.RETRACTED), now)
    assert ["artikel-2", "artikel-1"] == [a.external_id for a in latest_visible(article_store, partner, now, 10)]
    assert ["artikel-2"] == [a.external_id for a in latest_visible(article_store, partner, now, 1)]


def test_retraction_of_a_served_article_is_served(article_store: ArticleStore, clock: FixedClock) -> None:
    """A retraction is a change: the partner gets the retracted version."""
    article_store.upsert(article(1), clock.now())
    _, cursor = follow(article_store, EVERYTHING, 0, 10, clock.now())
    article_store.retract([article(1).id], clock.now())
    page = read_page(log_of(article_store), EVERYTHING, cursor, 10, clock.now())
    assert [(Status.RETRACTED, 2, "canceled")] == [(v.article.status, v.version, v.pub_status) for v in page.changes]


def test_latest_visible_looks_past_many_embargoed_articles(article_store: ArticleStore, clock: FixedClock) -> None:
    """However many of the newest articles are under embargo, older visible ones still fill the feed."""
    partner = Partner(id=6, name="Feed", key_prefix="synd_ffffffff", embargo_minutes=600)
    now = clock.now()
    article_store.upsert(article(100, published=now - timedelta(days=1)), now)
    for number in range(1, 31):
        article_store.upsert(article(number, published=now - timedelta(minutes=number)), now)
    assert ["artikel-100"] == [a.external_id for a in latest_visible(article_store, partner, now, 1)]
