"""Collect: folder → store. Idempotent, edits recorded, deletions retracted, bad files lose nothing."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Settings, load_settings
from syndication.model import ArticleSelection, Status, article_id
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EDITED = "2026/11/mainz-radbruecke-rhein"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of the bundled sample articles that a test may change."""
    copied = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", copied)
    return copied


@pytest.fixture
def collect_settings(tmp_path: Path, content: Path) -> Settings:
    """Settings whose folder source is the private copy (paths relative to the config file)."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[site]\nvar_dir = "var"\n\n[[sources]]\nname = "content"\ntype = "folder"\npath = "content"\n',
        encoding="utf-8",
    )
    return load_settings(config, env={})


def _snapshot(store: ArticleStore) -> list[dict]:
    return [a.to_dict() for a in store.all(ArticleSelection(include_retracted=True))]


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def _sample_count(content: Path) -> int:
    return sum(1 for p in content.rglob("*") if p.suffix in (".md", ".html"))


def test_first_collect_stores_every_sample(collect_settings: Settings, content: Path, any_engine: Engine) -> None:
    """All sample files become articles, on SQLite and PostgreSQL alike."""
    store = ArticleStore(any_engine)
    report = run_collect(collect_settings, store, FixedClock())
    assert (_sample_count(content), [], _sample_count(content)) == (len(report.created), report.errors, store.count())


def test_two_collects_give_the_same_store(collect_settings: Settings, any_engine: Engine) -> None:
    """Collecting twice changes nothing: same articles, versions and hashes; nothing reported changed."""
    store = ArticleStore(any_engine)
    clock = FixedClock()
    run_collect(collect_settings, store, clock)
    before = _snapshot(store)
    clock.advance(timedelta(minutes=10))
    report = run_collect(collect_settings, store, clock)
    assert (before, False, len(before)) == (_snapshot(store), report.changed, report.unchanged)


def test_recollect_after_touch_without_edit_changes_nothing(
    collect_settings: Settings, content: Path, engine: Engine
) -> None:
    """A file saved again with the same content is re-read but not recorded as an edit."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    before = _snapshot(store)
    _touch_later(content / f"{EDITED}.md")
    report = run_collect(collect_settings, store, FixedClock())
    assert (before, False) == (_snapshot(store), report.changed)


def test_edited_file_is_recorded_as_updated(collect_settings: Settings, content: Path, engine: Engine) -> None:
    """An edit gives version 2, a new hash and the new updated time; revision 1 is kept."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    the_id = article_id("content", EDITED)
    first = store.get(the_id)
    path = content / f"{EDITED}.md"
    text = path.read_text(encoding="utf-8")
    published = "published: 2026-11-19T12:30:00+01:00"
    text = text.replace(published, f"{published}\nupdated: 2026-11-23T18:00:00+01:00")
    path.write_text(text.replace("Baubeginn wäre frühestens 2031.", "Baubeginn wäre frühestens 2032."), "utf-8")
    _touch_later(path)
    report = run_collect(collect_settings, store, FixedClock())
    second = store.get(the_id)
    assert ([the_id], 2, True, datetime(2026, 11, 23, 17, 0, tzinfo=UTC), [1, 2]) == (
        report.updated,
        second.version,
        second.content_hash != first.content_hash,
        second.updated,
        [r.version for r in store.revisions(the_id)],
    )


def test_edit_without_new_updated_time_is_dated_by_the_collect(
    collect_settings: Settings, content: Path, engine: Engine
) -> None:
    """An edit whose front matter keeps the old time is dated when the collect saw it."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    path = content / f"{EDITED}.md"
    path.write_text(path.read_text("utf-8").replace("frühestens 2031", "frühestens 2033"), "utf-8")
    _touch_later(path)
    later = FixedClock(datetime(2026, 11, 24, 9, 15, tzinfo=UTC))
    run_collect(collect_settings, store, later)
    assert datetime(2026, 11, 24, 9, 15, tzinfo=UTC) == store.get(article_id("content", EDITED)).updated


def test_deleted_file_becomes_retracted_not_deleted(collect_settings: Settings, content: Path, engine: Engine) -> None:
    """Removing a file marks its article retracted; it stays in the store."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    (content / f"{EDITED}.md").unlink()
    report = run_collect(collect_settings, store, FixedClock())
    the_id = article_id("content", EDITED)
    assert ([the_id], Status.RETRACTED, _sample_count(content) + 1) == (
        report.retracted,
        store.get(the_id).status,
        store.count(),
    )


def test_bad_file_is_reported_and_the_others_are_collected(
    collect_settings: Settings, content: Path, engine: Engine
) -> None:
    """A new broken file is one error naming file and field; every good file is stored."""
    (content / "kaputt.md").write_text("---\npublished: 2026-11-20\n---\nOhne Titel", encoding="utf-8")
    store = ArticleStore(engine)
    report = run_collect(collect_settings, store, FixedClock())
    assert ([f"{content / 'kaputt.md'}: title: missing: every article needs a title"], _sample_count(content) - 1) == (
        [str(e) for e in report.errors],
        store.count(),
    )


def test_breaking_a_stored_file_keeps_the_stored_version(
    collect_settings: Settings, content: Path, engine: Engine
) -> None:
    """A collected file that turns bad is an error; its stored article stays as it was, not retracted."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    the_id = article_id("content", EDITED)
    before = store.get(the_id)
    (content / f"{EDITED}.md").write_bytes(b"---\ntitle: Br\xfccke\n---\n")
    report = run_collect(collect_settings, store, FixedClock())
    assert ([(str(content / f"{EDITED}.md"), "encoding")], [], before) == (
        [(e.where, e.field) for e in report.errors],
        report.retracted,
        store.get(the_id),
    )


def test_fixed_file_is_collected_again(collect_settings: Settings, content: Path, engine: Engine) -> None:
    """Once the broken file is repaired, the next collect picks up the edit."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    path = content / f"{EDITED}.md"
    original = path.read_text("utf-8")
    path.write_text("---\ntitle: [kaputt\n---\n", "utf-8")
    run_collect(collect_settings, store, FixedClock())
    path.write_text(original.replace("Mainz plant", "Mainz prüft"), "utf-8")
    _touch_later(path)
    report = run_collect(collect_settings, store, FixedClock())
    assert ([article_id("content", EDITED)], "Mainz prüft eigene Rheinbrücke für Rad- und Fußverkehr") == (
        report.updated,
        store.get(article_id("content", EDITED)).title,
    )


def test_retracted_sample_is_stored_as_retracted(collect_settings: Settings, engine: Engine) -> None:
    """A file with ``status: retracted`` is stored, marked retracted, and left out of listings."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    the_id = article_id("content", "2026/11/windkraft-westpfalz-genehmigung")
    assert (Status.RETRACTED, False) == (store.get(the_id).status, any(a.id == the_id for a in store.all()))


def test_missing_folder_retracts_nothing(collect_settings: Settings, content: Path, engine: Engine) -> None:
    """If the whole folder disappears, collect reports it and keeps every article published."""
    store = ArticleStore(engine)
    run_collect(collect_settings, store, FixedClock())
    published = len(store.all())
    shutil.rmtree(content)
    report = run_collect(collect_settings, store, FixedClock())
    assert (1, [], published) == (len(report.errors), report.retracted, len(store.all()))


# -- building sources from config -----------------------------------------------------------


def _settings_with_sources(tmp_path: Path, sources_toml: str) -> Settings:
    config = tmp_path / "config.toml"
    config.write_text(sources_toml, encoding="utf-8")
    return load_settings(config, env={})


def test_build_sources_makes_a_folder_source_resolved_against_the_config(tmp_path: Path) -> None:
    """A folder source's relative path is resolved against the config file's folder."""
    from syndication.sources import build_sources
    from syndication.sources.folder import FolderSource

    settings = _settings_with_sources(tmp_path, '[[sources]]\nname = "c"\ntype = "folder"\npath = "artikel"\n')
    built = build_sources(settings)
    assert ([FolderSource], tmp_path / "artikel") == ([type(s) for s in built], built[0].path)


@pytest.mark.parametrize(
    ("sources_toml", "key"),
    [
        ('[[sources]]\nname = "c"\ntype = "folder"\n', "sources[0].path"),
        (
            '[[sources]]\nname = "c"\ntype = "folder"\npath = "c"\n\n[[sources]]\nname = "wp"\ntype = "wordpress"\n',
            "sources[1].url",
        ),
        ('[[sources]]\nname = "f"\ntype = "feed"\nurl = "ftp://agentur.example/feed"\n', "sources[0].url"),
        (
            '[[sources]]\nname = "c"\ntype = "folder"\npath = "a"\n\n'
            '[[sources]]\nname = "c"\ntype = "folder"\npath = "b"\n',
            "sources[1].name",
        ),
    ],
)
def test_misconfigured_source_is_a_config_error_naming_the_key(tmp_path: Path, sources_toml: str, key: str) -> None:
    """A source without its path/URL, with a bad URL or a duplicate name is refused, naming sources[i].key."""
    from syndication.errors import ConfigError
    from syndication.sources import build_sources

    settings = _settings_with_sources(tmp_path, sources_toml)
    with pytest.raises(ConfigError) as raised:
        build_sources(settings)
    assert str(raised.value).startswith(f"{key}: ")


def test_build_sources_makes_wordpress_and_feed_sources(tmp_path: Path) -> None:
    """wordpress and feed entries become their sources, in config order."""
    from syndication.sources import build_sources

    settings = _settings_with_sources(
        tmp_path,
        '[[sources]]\nname = "wp"\ntype = "wordpress"\nurl = "https://www.pfalz-rundschau.example"\n\n'
        '[[sources]]\nname = "agentur"\ntype = "feed"\nurl = "https://agentur.example/feed.atom"\n',
    )
    assert [("wp", "WordPressSource"), ("agentur", "FeedSource")] == [
        (s.name, type(s).__name__) for s in build_sources(settings)
    ]


def test_an_11_mb_article_is_refused_and_every_other_feed_still_publishes(
    collect_settings: Settings, content: Path, engine: Engine
) -> None:
    """A file over [collect] max_article_bytes is one error naming it; the others are stored and published."""
    from syndication.feeds.publish import build_and_publish
    from syndication.runtime import Runtime

    huge = content / "riesig.md"
    huge.write_text(
        "---\ntitle: Riesig\npublished: 2026-11-20T08:00:00+01:00\ncategories: [Riesig]\n---\n"
        + "Ein sehr langer Absatz. " * 480_000,
        encoding="utf-8",
    )
    assert huge.stat().st_size > 11_000_000
    store = ArticleStore(engine)
    clock = FixedClock()
    report = run_collect(collect_settings, store, clock)
    runtime = Runtime(settings=collect_settings, clock=clock)
    runtime.__dict__["engine"] = engine
    feeds = build_and_publish(runtime.settings, runtime.engine)
    expected_error = (
        f"{huge}: size: too large: {huge.stat().st_size:,} bytes, more than [collect] max_article_bytes = "
        "2,000,000; not collected"
    )
    assert ([expected_error], _sample_count(content) - 1) == ([str(e) for e in report.errors], store.count())
    assert ((), False) == (feeds.problems, (collect_settings.public_dir / "feeds/category/riesig.rss").exists())
    assert all((collect_settings.public_dir / "feeds" / f"all.{ext}").is_file() for ext in ("rss", "atom", "json"))


def test_the_size_limit_is_configurable(tmp_path: Path, content: Path, engine: Engine) -> None:
    """``[collect] max_article_bytes`` sets the limit: a smaller one refuses more files, naming each."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[site]\nvar_dir = "var"\n\n[collect]\nmax_article_bytes = 10000\n\n'
        '[[sources]]\nname = "content"\ntype = "folder"\npath = "content"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, env={})
    middling = content / "mittel.md"
    middling.write_text("---\ntitle: Mittel\npublished: 2026-11-20\n---\n" + "Text. " * 2_000, encoding="utf-8")
    store = ArticleStore(engine)
    report = run_collect(settings, store, FixedClock())
    assert ([(str(middling), "size")], _sample_count(content) - 1) == (
        [(e.where, e.field) for e in report.errors], store.count()
    )
