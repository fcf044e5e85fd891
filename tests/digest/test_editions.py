"""Editions: new articles since the previous edition, frozen once per (name, local date)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from syndication.app.editions import build_edition
from syndication.clock import FixedClock
from syndication.digest.edition_store import get_edition, latest_edition, list_editions
from syndication.digest.ordering import OTHER_CATEGORY, category_label, group_by_category, order_for_digest
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article


def _store(runtime: Runtime, numbers: range, **overrides: object) -> list[str]:
    store = ArticleStore(runtime.engine)
    articles = [make_article(n, **overrides) for n in numbers]
    for article in articles:
        store.upsert(article, runtime.clock.now())
    return [a.id for a in articles]


def test_no_new_articles_builds_nothing(runtime: Runtime) -> None:
    """Without articles there is no edition."""
    assert build_edition(runtime, "daily") is None
    assert [] == list_editions(runtime.engine)


def test_edition_takes_new_articles_with_a_stable_id(runtime: Runtime) -> None:
    """The first edition holds every stored article; its id is name plus local date."""
    ids = _store(runtime, range(1, 4))
    edition = build_edition(runtime, "daily")
    assert edition is not None
    assert "daily-2026-11-24" == edition.id
    assert date(2026, 11, 24) == edition.edition_date
    assert set(ids) == set(edition.article_ids)
    assert edition == get_edition(runtime.engine, edition.id)


def test_same_day_rebuild_does_nothing(any_runtime: Runtime, clock: FixedClock) -> None:
    """Building again the same local day returns None and stores no second edition."""
    runtime = any_runtime
    _store(runtime, range(1, 3))
    first = build_edition(runtime, "daily")
    _store(runtime, range(3, 5))
    clock.advance(timedelta(hours=10))
    assert build_edition(runtime, "daily") is None
    assert [first] == list_editions(runtime.engine, "daily")


def test_no_gap_and_no_repeat_across_editions(any_runtime: Runtime, clock: FixedClock) -> None:
    """The next day's edition holds exactly the articles stored after the first one was built."""
    runtime = any_runtime
    first_ids = _store(runtime, range(1, 4))
    first = build_edition(runtime, "daily")
    clock.advance(timedelta(days=1))
    # An edit of an old article is not new; two new articles are.
    ArticleStore(runtime.engine).upsert(make_article(1, title="Geänderter Titel"), clock.now())
    second_ids = _store(runtime, range(4, 6))
    second = build_edition(runtime, "daily")
    assert first is not None and second is not None
    assert set(first_ids) == set(first.article_ids)
    assert set(second_ids) == set(second.article_ids)
    assert first.watermark == second.previous_watermark
    assert second == latest_edition(runtime.engine, "daily")


def test_editions_of_different_kinds_are_independent(runtime: Runtime) -> None:
    """A weekly edition also sees the articles the daily one already carried."""
    ids = _store(runtime, range(1, 3))
    build_edition(runtime, "daily")
    weekly = build_edition(runtime, "weekly")
    assert weekly is not None
    assert set(ids) == set(weekly.article_ids)


def test_edition_date_is_local(runtime: Runtime, clock: FixedClock) -> None:
    """At 23:30 UTC it is already the next day in Berlin."""
    clock.set(datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    _store(runtime, range(1, 2))
    edition = build_edition(runtime, "daily")
    assert edition is not None
    assert "daily-2026-11-25" == edition.id


def test_max_articles_caps_the_edition(runtime: Runtime) -> None:
    """Only the first max_articles (in digest order) are carried; the count of new ones is kept."""
    _store(runtime, range(1, 26))
    edition = build_edition(runtime, "daily")
    assert edition is not None
    assert 20 == len(edition.article_ids)
    assert 25 == edition.new_article_count


def test_order_by_category_priority_then_priority_then_time() -> None:
    """Politik before Wirtschaft before the rest; within a category higher priority, then newest first."""
    sport = make_article(1, categories=("Sport",))
    wirtschaft = make_article(2, categories=("Wirtschaft",))
    politik_old = make_article(5)
    politik_new = make_article(3)
    politik_important = make_article(9, priority=5)
    mixed = [sport, wirtschaft, politik_old, politik_new, politik_important]
    ordered = order_for_digest(mixed, ("Politik", "Wirtschaft"))
    assert [politik_important.id, politik_new.id, politik_old.id, wirtschaft.id, sport.id] == [a.id for a in ordered]


def test_groups_follow_primary_category() -> None:
    """Articles are grouped under their highest-priority category; uncategorised ones under a neutral name,
    which each language words its own way."""
    both = make_article(1, categories=("Sport", "Wirtschaft"))
    plain = replace(make_article(2), categories=())
    groups = group_by_category([both, plain], ("Politik", "Wirtschaft"))
    assert [("Wirtschaft", [both]), (OTHER_CATEGORY, [plain])] == groups
    assert ("Weitere Nachrichten", "More news", "Wirtschaft") == (
        category_label(OTHER_CATEGORY, "de"), category_label(OTHER_CATEGORY, "en"), category_label("Wirtschaft", "de"))


def test_building_writes_the_archive_page(runtime: Runtime) -> None:
    """Whoever builds an edition (CLI or scheduler) leaves its archive page, index and feed behind."""
    _store(runtime, range(1, 3))
    edition = build_edition(runtime, "daily")
    assert edition is not None
    archive = runtime.settings.public_dir / "archive"
    assert {f"{edition.id}.html", "index.html", "editions.atom"} == {p.name for p in archive.iterdir()}
