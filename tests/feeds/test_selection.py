"""Feeds selected from the store by index equal the in-memory selection; rebuilds read only what changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.feeds import selection
from syndication.feeds.catalog import FeedSpec, plan_feeds
from syndication.feeds.publish import build_and_publish
from syndication.feeds.selection import full_plan
from syndication.model import Article, Author, Status
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article
from syndication.writers import AtomicFileWriter, MemoryWriter

START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
CATEGORIES = ("Politik", "Wirtschaft", "Kultur", "<i>Kultur</i>")
REGIONS = ("Südwest", "Suedwest", "Pfalz", "Mainz", "Westpfalz")
AUTHORS = ("Jana Weiß", "Marc Fuchs", "Jana Weiss")


def _article(number: int, **changes: object) -> Article:
    # Every third pair shares its publication time: ties are broken by id.
    published = START - timedelta(hours=number // 3 * 3)
    article = make_article(
        number,
        published=published,
        updated=published,
        categories=(CATEGORIES[number % 4], CATEGORIES[number % 3]),
        regions=(REGIONS[number % 5],),
        author=Author(name=AUTHORS[number % 3]),
    )
    return replace(article, **changes) if changes else article


def _limited(settings: Settings, limit: int = 4) -> Settings:
    return settings.model_copy(update={"feeds": settings.feeds.model_copy(update={"limit": limit})})


def _runtime(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    runtime = Runtime(settings=settings, clock=clock)
    runtime.__dict__["engine"] = engine
    return runtime


def _comparable(specs: list[FeedSpec]) -> list[tuple[str, str, str, list[str]]]:
    return [(s.kind, s.slug, s.name, [a.id for a in s.articles]) for s in specs]


def _fill(store: ArticleStore, clock: FixedClock, count: int = 40) -> None:
    store.upsert_many(((_article(n), None) for n in range(count)), clock.now())
    store.retract([_article(2).id, _article(7).id], clock.now())
    long_name = "x" * 300
    store.upsert(_article(50, categories=(long_name, "Politik")), clock.now())


def test_selection_from_the_store_equals_selection_in_memory(
    any_engine: Engine, settings: Settings, clock: FixedClock
) -> None:
    """Same feeds, names and items (newest first, ties by id, retracted and over-long names left out)."""
    settings = _limited(settings)
    store = ArticleStore(any_engine)
    _fill(store, clock)
    expected = plan_feeds(settings, store.all())
    assert _comparable(expected) == _comparable(full_plan(settings, store, []).specs)


def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    yield from _statements(engine)


def test_rebuild_with_nothing_new_reads_no_article(
    settings: Settings, engine: Engine, clock: FixedClock, statements: list[str]
) -> None:
    """The only query is the store's change cursor (an index look-up); no article or name row is read."""
    store = ArticleStore(engine)
    _fill(store, clock)
    runtime = _runtime(settings, engine, clock)
    writer, state = MemoryWriter(), MemoryWriter()
    build_and_publish(runtime.settings, runtime.engine, writer=writer, state_writer=state)
    statements.clear()
    report = build_and_publish(runtime.settings, runtime.engine, writer=writer, state_writer=state)
    assert (0, ["SELECT coalesce(max(articles.change_seq), ?) AS coalesce_1 FROM articles"]) == (
        report.rendered,
        statements,
    )


def test_rebuild_after_one_new_article_reads_only_its_feeds(
    settings: Settings, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Main, its two categories, its region and its author feed are selected again: at most limit items each."""
    settings = _limited(settings)
    store = ArticleStore(engine)
    _fill(store, clock)
    runtime = _runtime(settings, engine, clock)
    writer, state = MemoryWriter(), MemoryWriter()
    build_and_publish(runtime.settings, runtime.engine, writer=writer, state_writer=state)
    loaded: list[str] = []
    original = selection.load_articles

    def counting(engine: Engine, ids: object) -> list[Article]:
        found = original(engine, ids)  # type: ignore[arg-type]
        loaded.extend(a.id for a in found)
        return found

    monkeypatch.setattr(selection, "load_articles", counting)
    store.upsert(_article(99, published=START + timedelta(hours=1)), clock.now())
    report = build_and_publish(runtime.settings, runtime.engine, writer=writer, state_writer=state)
    assert (15, True) == (report.rendered, len(loaded) <= 5 * 4)


def _files(writer: MemoryWriter) -> dict[str, bytes]:
    return {path: data for path, data in writer.files.items() if not path.endswith("feeds-state.json")}


def test_incremental_rebuilds_write_what_a_full_build_writes(
    any_engine: Engine, settings: Settings, clock: FixedClock
) -> None:
    """After new, edited, moved, re-dated and retracted articles, every file equals a build from scratch."""
    settings = _limited(settings, 3)
    store = ArticleStore(any_engine)
    _fill(store, clock, 30)
    runtime = _runtime(settings, any_engine, clock)
    writer, state = MemoryWriter(), MemoryWriter()
    build_and_publish(runtime.settings, runtime.engine, writer=writer, state_writer=state)
    steps = [
        lambda: store.upsert(_article(60, published=START + timedelta(hours=2)), clock.now()),
        lambda: store.upsert(_article(1, categories=("Sport",), title="Neu sortiert"), clock.now()),
        lambda: store.upsert(_article(28, published=START + timedelta(hours=3)), clock.now()),
        lambda: store.retract([_article(60).id, _article(0).id], clock.now()),
        lambda: store.upsert(_article(5, status=Status.RETRACTED), clock.now()),
        lambda: store.upsert(_article(61, regions=("Suedwest", "Südwest"), author=None), clock.now()),
    ]
    for step in steps:
        step()
        build_and_publish(runtime.settings, runtime.engine, writer=writer, state_writer=state)
        fresh = MemoryWriter()
        # A fresh build that knows the feeds the incremental one has kept (emptied ones stay).
        fresh_state = MemoryWriter()
        fresh_state.files.update(state.files)
        fresh_state.files["feeds-state.json"] = fresh_state.files["feeds-state.json"].replace(
            b'"change_seq"', b'"ignored_change_seq"'
        )
        build_and_publish(runtime.settings, runtime.engine, writer=fresh, state_writer=fresh_state)
        assert _files(fresh) == _files(writer)


def test_newest_items_are_read_off_the_index(engine: Engine, clock: FixedClock) -> None:
    """SQLite walks ix_article_terms_feed and ix_articles_status_published_id: no sort, no scan."""
    store = ArticleStore(engine)
    store.upsert_many(((_article(n), None) for n in range(20)), clock.now())
    plans: list[str] = []
    with engine.connect() as connection:
        for sql in (
            "SELECT published, article_id FROM article_terms WHERE kind = 'region' AND term = 'Pfalz' "
            "ORDER BY kind DESC, term DESC, published DESC, article_id DESC LIMIT 3",
            "SELECT published, id FROM articles WHERE status = 'published' "
            "ORDER BY status DESC, published DESC, id DESC LIMIT 3",
        ):
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            plans.append(" | ".join(str(row[-1]) for row in rows))
    assert [
        "SEARCH article_terms USING COVERING INDEX ix_article_terms_feed (kind=? AND term=?)",
        "SEARCH articles USING COVERING INDEX ix_articles_status_published_id (status=?)",
    ] == plans


def test_state_from_an_older_version_means_a_full_build(
    settings: Settings, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """A state file without a change cursor (written before it existed) selects every feed afresh."""
    store = ArticleStore(engine)
    _fill(store, clock, 10)
    runtime = _runtime(settings, engine, clock)
    writer, state = MemoryWriter(), MemoryWriter()
    state.files["feeds-state.json"] = b'{"signatures": {}, "digests": {}, "known": [], "websub_pending": []}\n'
    report = build_and_publish(runtime.settings, runtime.engine, writer=writer, state_writer=state)
    assert report.rendered == report.feeds * 3


def test_rebuild_with_nothing_new_only_stats_the_files(
    settings: Settings, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files whose size and modification time are as written are not read again; an edited one is rebuilt."""
    store = ArticleStore(engine)
    _fill(store, clock, 10)
    runtime = _runtime(settings, engine, clock)
    build_and_publish(runtime.settings, runtime.engine)
    read: list[str] = []
    original = AtomicFileWriter.read

    def counting(self: AtomicFileWriter, path: str) -> bytes | None:
        read.append(path)
        return original(self, path)

    monkeypatch.setattr(AtomicFileWriter, "read", counting)
    idle = build_and_publish(runtime.settings, runtime.engine)
    idle_reads = [p for p in read if p.startswith("feeds/") and p.endswith((".rss", ".atom", ".json"))]
    edited = settings.public_dir / "feeds" / "all.rss"
    edited.write_bytes(b"<rss/>")
    repaired = build_and_publish(runtime.settings, runtime.engine)
    assert ([], 0, ("feeds/all.rss",)) == (idle_reads, idle.rendered, repaired.written)
