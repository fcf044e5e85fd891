"""The article repository: upsert, versions, retraction, cursor."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.model import Article, Status, article_id
from syndication.store.articles import ArticleStore, Outcome


def make_article(external_id: str = "a1", title: str = "Titel") -> Article:
    published = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    return Article(
        id=article_id("test", external_id),
        source="test",
        external_id=external_id,
        url=f"https://example.de/{external_id}",
        title=title,
        teaser="Teaser",
        published=published,
        updated=published,
        categories=("Politik",),
    )


def test_upsert_twice_changes_nothing(any_engine: Engine, clock: FixedClock) -> None:
    """Storing the same article twice leaves one unchanged version."""
    store = ArticleStore(any_engine)
    assert Outcome.CREATED == store.upsert(make_article(), clock.now())
    assert Outcome.UNCHANGED == store.upsert(make_article(), clock.now())
    assert 1 == len(store.revisions(make_article().id))


def test_edit_is_recorded_with_new_version_and_time(any_engine: Engine, clock: FixedClock) -> None:
    """An edited article gets version 2, a new hash and the time it was seen as updated."""
    store = ArticleStore(any_engine)
    store.upsert(make_article(), clock.now())
    first = store.get(make_article().id)
    clock.advance(timedelta(hours=1))
    assert Outcome.UPDATED == store.upsert(make_article(title="Neuer Titel"), clock.now())
    second = store.get(make_article().id)
    assert (2, clock.now(), "Neuer Titel") == (second.version, second.updated, second.title)
    assert first.content_hash != second.content_hash
    assert second.published == first.published


def test_retract_marks_and_keeps(any_engine: Engine, clock: FixedClock) -> None:
    """A retracted article stays stored, marked retracted, and leaves default selections."""
    store = ArticleStore(any_engine)
    store.upsert(make_article(), clock.now())
    assert [make_article().id] == store.retract([make_article().id], clock.now())
    assert Status.RETRACTED == store.get(make_article().id).status
    assert [] == store.all()
    assert 1 == store.count()


def test_changes_since_orders_by_latest_change(any_engine: Engine, clock: FixedClock) -> None:
    """The change cursor returns each article once, in the order of its latest change."""
    store = ArticleStore(any_engine)
    for name in ("a", "b", "c"):
        store.upsert(make_article(name), clock.now())
    store.upsert(replace(make_article("a"), title="geändert"), clock.now())
    changes = store.changes_since(0, 10)
    assert ["b", "c", "a"] == [c.article.external_id for c in changes]
    assert [] == store.changes_since(changes[-1].seq, 10)


def test_postgres_writers_draw_revision_ids_in_commit_order(postgres_engine: Engine, clock: FixedClock) -> None:
    """A second writer waits until the first commits, so a reader paging by id never skips a change."""
    import threading

    from syndication.store.articles import writing

    store = ArticleStore(postgres_engine)
    first_inserted, release = threading.Event(), threading.Event()

    def first_writer() -> None:
        with writing(postgres_engine) as connection:
            store._upsert(connection, make_article("a"), clock.now(), None)
            first_inserted.set()
            release.wait(10)

    first = threading.Thread(target=first_writer)
    first.start()
    first_inserted.wait(10)
    second = threading.Thread(target=lambda: store.upsert(make_article("b"), clock.now()))
    second.start()
    second.join(0.5)
    waited = second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    assert (True, ["a", "b"]) == (waited, [change.article.external_id for change in store.changes_since(0, 10)])
