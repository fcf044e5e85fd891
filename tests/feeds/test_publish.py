"""Publishing: atomic writes of changed files only, incremental rebuilds, retractions, WebSub."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.feeds import content
from syndication.feeds.publish import (
    STATE_FILE,
    STORED_FRAGMENTS,
    FeedsState,
    build_and_publish,
    collector_paused,
    publish_feeds,
)
from syndication.model import Article, Author, Section, SectionRole
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article
from syndication.writers import MemoryWriter
from tests.feeds.conftest import parse


def _runtime(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    runtime = Runtime(settings=settings, clock=clock)
    runtime.__dict__["engine"] = engine  # share the test's migrated database
    return runtime


def _economy(number: int) -> Article:
    return make_article(number, categories=("Wirtschaft",), regions=("Südwest",), author=Author(name="Jana Weiß"))


@pytest.fixture
def runtime(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    store = ArticleStore(engine)
    store.upsert(make_article(1), clock.now())
    store.upsert(_economy(2), clock.now())
    return _runtime(settings, engine, clock)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _with_hub(settings: Settings, hub: str = "https://hub.example/") -> Settings:
    return settings.model_copy(update={"feeds": settings.feeds.model_copy(update={"websub_hub": hub})})


def test_first_build_writes_every_feed_and_the_opml(runtime: Runtime) -> None:
    """Main, category, region and author feeds in three formats, index.opml and the JSON extension's page."""
    report = build_and_publish(runtime.settings, runtime.engine)
    written = set(_files(runtime.settings.public_dir))
    slugs = ["all", "category/politik", "category/wirtschaft", "region/kaiserslautern", "region/rheinland-pfalz",
             "region/suedwest", "author/jana-weiss", "author/marc-fuchs"]
    expected = {f"feeds/{slug}.{ext}" for slug in slugs for ext in ("rss", "atom", "json")} | {
        "feeds/index.opml", "feeds/json-feed-extension.html"}
    assert (expected, 8, 26) == (written, report.feeds, len(report.written))


def test_building_twice_writes_nothing_and_keeps_bytes(runtime: Runtime) -> None:
    """A second build without changes writes no file and the bytes stay identical."""
    build_and_publish(runtime.settings, runtime.engine)
    before = _files(runtime.settings.public_dir)
    report = build_and_publish(runtime.settings, runtime.engine)
    assert ((), 26, 24, before) == (report.written, report.unchanged, report.skipped,
                                     _files(runtime.settings.public_dir))


def test_building_from_scratch_twice_gives_identical_bytes(runtime: Runtime, tmp_path: Path) -> None:
    """Two independent builds (no remembered state) produce byte-identical files."""
    first, second = MemoryWriter(), MemoryWriter()
    articles = ArticleStore(runtime.engine).all()
    publish_feeds(runtime.settings, articles, first, FeedsState())
    publish_feeds(runtime.settings, articles, second, FeedsState())
    assert first.files == second.files


def test_new_article_rewrites_only_the_feeds_containing_it(runtime: Runtime, clock: FixedClock) -> None:
    """After one new economy article only main, Wirtschaft, Südwest and Jana Weiß feeds are rendered and written."""
    build_and_publish(runtime.settings, runtime.engine)
    ArticleStore(runtime.engine).upsert(_economy(3), clock.now())
    report = build_and_publish(runtime.settings, runtime.engine)
    expected = sorted(f"feeds/{slug}.{ext}" for slug in ("all", "category/wirtschaft", "region/suedwest",
                                                          "author/jana-weiss") for ext in ("rss", "atom", "json"))
    assert (expected, 12) == (sorted(report.written), report.rendered)


def test_retracted_article_leaves_every_feed(runtime: Runtime, clock: FixedClock) -> None:
    """A retracted article disappears from the main feed and from its category feed, which stays as an empty feed."""
    build_and_publish(runtime.settings, runtime.engine)
    economy_id = _economy(2).id
    ArticleStore(runtime.engine).retract([economy_id], clock.now())
    build_and_publish(runtime.settings, runtime.engine)
    public = runtime.settings.public_dir
    main = parse((public / "feeds/all.atom").read_bytes())
    category = parse((public / "feeds/category/wirtschaft.rss").read_bytes())
    assert ([make_article(1).title], [], False) == (
        [e.title for e in main.entries], category.entries, bool(category.bozo)
    )


def test_a_file_changed_by_hand_is_repaired(runtime: Runtime) -> None:
    """Even with an unchanged signature, a file whose bytes differ from what was built is rebuilt."""
    writer = MemoryWriter()
    state = FeedsState()
    articles = ArticleStore(runtime.engine).all()
    publish_feeds(runtime.settings, articles, writer, state)
    original = writer.files["feeds/all.rss"]
    writer.files["feeds/all.rss"] = b"tampered"
    report, _ = publish_feeds(runtime.settings, articles, writer, state)
    assert (("feeds/all.rss",), original) == (report.written, writer.files["feeds/all.rss"])


def test_unreadable_state_file_means_a_full_rebuild(runtime: Runtime) -> None:
    """A broken feeds-state.json is ignored: every feed is rendered again, nothing fails."""
    build_and_publish(runtime.settings, runtime.engine)
    state_path = runtime.settings.resolve(runtime.settings.site.var_dir) / STATE_FILE
    state_path.write_text("{not json", encoding="utf-8")
    report = build_and_publish(runtime.settings, runtime.engine)
    assert (24, ()) == (report.rendered, report.written)


class _Hub:
    """A WebSub hub on httpx's mock transport; ``fail`` makes it unreachable."""

    def __init__(self) -> None:
        self.requests: list[dict[str, list[str]]] = []
        self.fail = False

    def handler(self) -> Callable[[httpx.Request], httpx.Response]:
        def handle(request: httpx.Request) -> httpx.Response:
            if self.fail:
                raise httpx.ConnectError("connection refused", request=request)
            self.requests.append(parse_qs(request.content.decode()))
            return httpx.Response(204)

        return handle

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler()))


def test_changed_feeds_are_announced_to_the_hub(settings: Settings, engine: Engine, clock: FixedClock) -> None:
    """Each written feed is announced with hub.mode=publish and its URL; an unchanged rebuild announces none."""
    ArticleStore(engine).upsert(make_article(1), clock.now())
    runtime = _runtime(_with_hub(settings), engine, clock)
    hub = _Hub()
    first = build_and_publish(runtime.settings, runtime.engine, http_client=hub.client())
    announced_first = len(hub.requests)
    build_and_publish(runtime.settings, runtime.engine, http_client=hub.client())
    urls = [request["hub.url"][0] for request in hub.requests]
    assert (15, 15, {"publish"}, "http://localhost:8000/feeds/all.rss") == (
        announced_first, len(first.websub.announced),  # type: ignore[union-attr]
        {request["hub.mode"][0] for request in hub.requests}, urls[0],
    )


def test_feeds_advertise_the_hub(settings: Settings, engine: Engine, clock: FixedClock) -> None:
    """With a hub configured the published feeds link to it."""
    ArticleStore(engine).upsert(make_article(1), clock.now())
    runtime = _runtime(_with_hub(settings), engine, clock)
    build_and_publish(runtime.settings, runtime.engine, http_client=_Hub().client())
    feed = json.loads((runtime.settings.public_dir / "feeds/all.json").read_bytes())
    links = parse((runtime.settings.public_dir / "feeds/all.atom").read_bytes()).feed.links
    assert ([{"type": "WebSub", "url": "https://hub.example/"}], ["https://hub.example/"]) == (
        feed["hubs"], [link.href for link in links if link.rel == "hub"]
    )


def test_failing_hub_does_not_block_and_is_retried_next_run(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """An unreachable hub leaves the feeds written and pending; the next run announces them."""
    ArticleStore(engine).upsert(make_article(1), clock.now())
    runtime = _runtime(_with_hub(settings), engine, clock)
    hub = _Hub()
    hub.fail = True
    failed = build_and_publish(runtime.settings, runtime.engine, http_client=hub.client())
    hub.fail = False
    retried = build_and_publish(runtime.settings, runtime.engine, http_client=hub.client())
    assert (17, 15, (), 15, ()) == (
        len(failed.written), len(failed.websub.pending),  # type: ignore[union-attr]
        retried.written, len(retried.websub.announced), retried.websub.pending,  # type: ignore[union-attr]
    )


def _poisoned(number: int) -> Article:
    """An article whose 11 MB section is past lxml's limit for one text node (RSS and Atom cannot be built)."""
    huge = Section(SectionRole.BACKGROUND, "Hintergrund", "<p>" + "Wort " * 2_200_000 + "</p>")
    return make_article(number, categories=("Kultur",), regions=("Südwest",), sections=(huge,), body_html="")


def test_one_poisoned_item_is_left_out_and_reported_the_rest_is_published(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A stored item that breaks the XML renderer leaves its feeds, is reported, and every feed still publishes."""
    store = ArticleStore(engine)
    for article in (make_article(1), _economy(2), _poisoned(3)):
        store.upsert(article, clock.now())
    poisoned_id = _poisoned(3).id
    report = build_and_publish(settings, engine)
    public = settings.public_dir / "feeds"
    main = parse((public / "all.atom").read_bytes())
    culture = json.loads((public / "category/kultur.json").read_bytes())
    left_out = {line.split(": left out article ")[0] for line in report.left_out}
    expected_left_out = {f"feeds/{slug}.{ext}" for slug in ("all", "category/kultur", "region/suedwest",
                                                            "author/marc-fuchs") for ext in ("rss", "atom")}
    assert (expected_left_out, (), True) == (left_out, report.failed, all(poisoned_id in line
                                                                            for line in report.left_out))
    assert ([make_article(1).title, _economy(2).title], False, [_poisoned(3).title]) == (
        [entry.title for entry in main.entries], bool(main.bozo), [item["title"] for item in culture["items"]]
    )
    assert (9, 9 * 3 + 2) == (report.feeds, len(report.written))


def test_a_left_out_item_is_tried_and_reported_again_next_build(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A feed published without an item is not remembered as up to date: the next build reports it again."""
    store = ArticleStore(engine)
    store.upsert(make_article(1), clock.now())
    store.upsert(_poisoned(3), clock.now())
    runtime = _runtime(settings, engine, clock)
    first = build_and_publish(runtime.settings, runtime.engine)
    second = build_and_publish(runtime.settings, runtime.engine)
    assert (True, first.left_out, ()) == (bool(first.left_out), second.left_out, second.written)


def test_an_article_changed_between_builds_shows_its_new_text(runtime: Runtime, clock: FixedClock) -> None:
    """Entries kept from the previous build are not reused for an article whose content changed since."""
    store = ArticleStore(runtime.engine)
    build_and_publish(runtime.settings, runtime.engine)
    changed = replace(
        make_article(1),
        title="Neuer Titel nach der Korrektur",
        sections=(Section(SectionRole.SUMMARY, "Worum es geht", "<p>Korrigierter Text.</p>"),),
    )
    store.upsert(changed, clock.now())
    build_and_publish(runtime.settings, runtime.engine)
    public = runtime.settings.public_dir / "feeds"
    texts = [(public / f"all.{ext}").read_bytes().decode("utf-8") for ext in ("rss", "atom", "json")]
    old_title = make_article(1).title
    assert [(True, True, False)] * 3 == [
        (changed.title in text, "Korrigierter Text." in text, old_title in text) for text in texts
    ]


def test_a_rebuild_with_kept_entries_writes_what_a_build_from_nothing_writes(
    runtime: Runtime, clock: FixedClock
) -> None:
    """After a new article, the rebuild (reusing the other articles' entries) equals a cold build, byte for byte."""
    build_and_publish(runtime.settings, runtime.engine)
    ArticleStore(runtime.engine).upsert(make_article(3), clock.now())
    build_and_publish(runtime.settings, runtime.engine)
    STORED_FRAGMENTS.clear()
    cold = MemoryWriter()
    publish_feeds(runtime.settings, ArticleStore(runtime.engine).all(), cold, FeedsState())
    built = _files(runtime.settings.public_dir)
    assert cold.files == {path: data for path, data in built.items() if path in cold.files}


def test_a_rebuild_renders_only_the_articles_that_changed(
    runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feed items of unchanged articles come from the previous build: only the new article's is made."""
    build_and_publish(runtime.settings, runtime.engine)
    made: list[str] = []
    original = content.feed_item.__wrapped__

    def counting(article: Article, language: str) -> object:
        made.append(article.title)
        return original(article, language)

    monkeypatch.setattr(content.feed_item, "__wrapped__", counting)
    ArticleStore(runtime.engine).upsert(make_article(3), clock.now())
    build_and_publish(runtime.settings, runtime.engine)
    assert [make_article(3).title] == made


def test_garbage_collector_paused_during_a_build_and_as_before_after() -> None:
    """Inside, the cyclic collector is paused; after, it runs again, unless it was paused before."""
    seen = []
    was_enabled = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            with collector_paused():
                seen.append(gc.isenabled())
            seen.append(gc.isenabled())
    finally:
        (gc.enable if was_enabled else gc.disable)()
    assert [False, True, False, False] == seen
