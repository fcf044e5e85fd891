"""Feeds benchmark: a full build against feedgen alone, and rebuilds at 10,000 and 100,000 articles.

    .venv/bin/python benchmarks/feeds.py [--articles 10000] [--large 100000] [--categories 50]
                                         [--rounds 3] [--repeat 7]

Prints, measured side by side in one run:

* ``--rounds`` full builds from nothing (81 feeds × RSS, Atom and JSON Feed, written to disk, OPML),
  each next to feedgen alone writing the same feeds' RSS and Atom (every field our feeds have that
  feedgen can write, with its media, Dublin Core and syndication extensions; item text prepared,
  not timed), and the median of the rounds' ratios in wall and CPU time (goal: at most 2×), with
  each build's parts: selecting and loading the shown articles, item text and rendering the files,
  writing them. ``tests/feeds/test_benchmark_baseline.py`` reads both back and compares them field
  by field. Beside it, the lighter yardstick of earlier rounds (feedgen writing the items' main
  fields only, a bare head) and the build's ratio to it;
* a rebuild with nothing new: its time and the SQL statements it ran (goal: no article row read);
* rebuilds after one new article (the articles' entries are kept from build to build in the
  process, as in the scheduler) in two stores: ``--articles`` articles, and a copy of it grown to
  ``--large``; the stores take turns, so each pair meets the same load, and the median of the
  ``--repeat`` pairs' ratios is the figure (goal: within 20 %); the query plans of the selection
  at ``--large``; each rebuild's share of a full build (goal: at most 10 %).

Figures are noisy: the machines have two cores shared with other work. Ratios are measured
in the same run, so they are what to compare.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from feedgen.feed import FeedGenerator
from sqlalchemy import event, text

from syndication.clock import FixedClock
from syndication.config import Settings, load_settings
from syndication.feeds import publish
from syndication.feeds.catalog import FeedSpec, feed_meta, plan_feeds
from syndication.feeds.content import FeedItem, _heading_html, feed_item
from syndication.feeds.publish import STATE_FILE, STORED_FRAGMENTS, FeedsReport, build_and_publish
from syndication.feeds.render import FeedMeta, render_atom, render_rss
from syndication.feedwriter.formats import FeedFormat, tag_uri
from syndication.feedwriter.fragments import FragmentCache
from syndication.model import Author
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

REGIONS = ["Rheinland-Pfalz", "Kaiserslautern", "Pfalz", "Südwest", "Mainz", "Trier", "Koblenz", "Landau",
           "Pirmasens", "Zweibrücken"]
AUTHORS = [f"Autorin {n:02d}" for n in range(20)]
NEWEST = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _article(number: int, categories: int):
    published = NEWEST - timedelta(minutes=7 * number)
    return make_article(
        number,
        published=published,
        updated=published,
        categories=(f"Ressort {number % categories:02d}",),
        regions=(REGIONS[number % len(REGIONS)], REGIONS[(number // 7) % len(REGIONS)]),
        author=Author(name=AUTHORS[number % len(AUTHORS)]),
    )


def _feedgen_light(runtime: Runtime) -> tuple[float, float]:
    """feedgen producing the same feeds' RSS and Atom, lighter: the items' main fields only (no
    media, Dublin Core or syndication extension, no category schemes, a bare head), from
    ready-made entries. The yardstick of earlier rounds, still printed: its wall and CPU seconds."""
    settings = runtime.settings
    specs = plan_feeds(settings, ArticleStore(runtime.engine).all())
    prepared = [(spec, [feed_item(a, "de") for a in spec.articles]) for spec in specs]
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    for spec, items in prepared:
        for atom in (True, False):
            generator = FeedGenerator()
            generator.id(f"tag:localhost,2026:feed:{spec.kind}/{spec.slug}")
            generator.title(spec.name)
            generator.description(spec.name)
            generator.link(href="http://localhost:8000/", rel="alternate")
            generator.language("de")
            for item in items:
                entry = generator.add_entry(order="append")
                entry.guid(f"tag:localhost,2026:article:{item.article_id}", permalink=False)
                entry.title(item.title)
                entry.link(href=item.url)
                entry.published(item.published)
                entry.updated(item.updated)
                entry.author({"name": item.author_name or "x"})
                entry.category([{"term": c} for c in item.categories + item.regions])
                entry.summary(item.summary)
                entry.content(item.content_html, type="html")
                if item.image:
                    entry.enclosure(item.image.url, 0, "image/jpeg")
            generator.atom_str(pretty=True) if atom else generator.rss_str(pretty=True)
    return time.perf_counter() - started, time.process_time() - cpu_started


def _extensions() -> dict[str, tuple[type, type | None]]:
    """The feedgen extensions the same feeds use, resolved once (feedgen's load_extension imports
    on every call); imported here, as feedgen.ext needs feedgen.feed imported first."""
    from feedgen.ext.dc import DcEntryExtension, DcExtension
    from feedgen.ext.media import MediaEntryExtension, MediaExtension
    from feedgen.ext.syndication import SyndicationExtension

    return {"media": (MediaExtension, MediaEntryExtension), "dc": (DcExtension, DcEntryExtension),
            "syndication": (SyndicationExtension, None)}


_EXTENSIONS = _extensions()


def _same_generator(meta: FeedMeta, items: list[FeedItem], atom: bool) -> FeedGenerator:
    """The feed ``meta`` of ``items`` as feedgen alone writes it with its own means: what our
    feed says, where feedgen has a way to say it (tests/feeds/test_benchmark_baseline.py)."""
    generator = FeedGenerator()
    for name in ("media",) if atom else ("media", "dc", "syndication"):
        generator.register_extension(name, *_EXTENSIONS[name], atom=atom, rss=not atom)
    generator.id(meta.id)
    generator.title(meta.title)
    generator.subtitle(meta.description or meta.title)
    if meta.publisher:
        generator.author({"name": meta.publisher})
    generator.link(href=meta.alternate_url, rel="alternate", type="text/html")
    generator.link(href=meta.self_url, rel="self", type="application/atom+xml" if atom else "application/rss+xml")
    if meta.hub:
        generator.link(href=meta.hub, rel="hub")
    if meta.logo:
        generator.logo(meta.logo)
    if meta.icon:
        generator.icon(meta.icon)
    generator.language(meta.language)
    if meta.copyright:
        generator.rights(meta.copyright)
    generator.generator("syndication")
    newest = max((item.updated for item in items), default=NEWEST)
    generator.updated(newest)
    generator.lastBuildDate(newest)
    if not atom:
        generator.ttl(meta.ttl_minutes)
        generator.syndication.update_period("hourly")
        generator.syndication.update_frequency(max(1, 60 // meta.ttl_minutes))
    for item in items:
        entry = generator.add_entry(order="append")
        entry.guid(tag_uri(meta.tag_authority, f"article:{item.article_id}"), permalink=False)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.published(item.published)
        entry.updated(item.updated)
        if item.author_name:
            author = {"name": item.author_name, **({"uri": item.author_url} if item.author_url else {})}
            entry.author(author)
            if not atom:
                entry.dc.dc_creator(item.author_name)
        entry.category([{"term": name, "label": name, "scheme": meta.category_scheme} for name in item.categories]
                       + [{"term": name, "label": name, "scheme": meta.region_scheme} for name in item.regions])
        if item.summary:
            entry.summary(item.summary, type="text")
        entry.content(item.content_html, type="html")
        image = item.image
        if image is not None:
            mime_type = image.mime_type or "image/jpeg"
            entry.enclosure(image.url, str(image.length or 0), mime_type)
            content = {"url": image.url, "medium": "image", "type": mime_type}
            if image.length:
                content["fileSize"] = str(image.length)
            if image.width and image.height:
                content.update(width=str(image.width), height=str(image.height))
            entry.media.content(content)
    return generator


def feedgen_same_feeds(runtime: Runtime) -> Iterator[tuple[FeedSpec, FeedGenerator, FeedGenerator]]:
    """Each feed of a full build, as feedgen alone would be given it: its RSS and its Atom generator."""
    settings = runtime.settings
    for spec in plan_feeds(settings, ArticleStore(runtime.engine).all()):
        items = [feed_item(article, settings.site.language) for article in spec.articles]
        yield (spec, _same_generator(feed_meta(settings, spec, FeedFormat.RSS), items, atom=False),
               _same_generator(feed_meta(settings, spec, FeedFormat.ATOM), items, atom=True))


def _feedgen_same(runtime: Runtime) -> tuple[float, float]:
    """feedgen alone writing the same feeds' RSS and Atom, item text prepared (no JSON Feed, no
    writing, no loading): its wall and CPU seconds. Timed: the feeds' fields given to feedgen
    and the documents it writes."""
    settings = runtime.settings
    prepared = []
    for spec in plan_feeds(settings, ArticleStore(runtime.engine).all()):
        items = [feed_item(article, settings.site.language) for article in spec.articles]
        prepared.append((feed_meta(settings, spec, FeedFormat.RSS), feed_meta(settings, spec, FeedFormat.ATOM), items))
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    for rss_meta, atom_meta, items in prepared:
        _same_generator(rss_meta, items, atom=False).rss_str(pretty=True)
        _same_generator(atom_meta, items, atom=True).atom_str(pretty=True)
    return time.perf_counter() - started, time.process_time() - cpu_started


@contextmanager
def _timing(module: ModuleType, names: tuple[str, ...]) -> Iterator[dict[str, float]]:
    """Time the calls of ``module``'s functions ``names`` (seconds summed per name) while inside."""
    spent = dict.fromkeys(names, 0.0)
    originals = {name: getattr(module, name) for name in names}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*arguments: Any, **keywords: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*arguments, **keywords)
            finally:
                spent[name] += time.perf_counter() - started

        return call

    for name, function in originals.items():
        setattr(module, name, timed(name, function))
    try:
        yield spent
    finally:
        for name, function in originals.items():
            setattr(module, name, function)


def _timed_build(runtime: Runtime) -> tuple[float, object]:
    started = time.perf_counter()
    report = build_and_publish(runtime.settings, runtime.engine)
    return time.perf_counter() - started, report


def _fill(store: ArticleStore, clock: FixedClock, numbers: range, categories: int) -> None:
    batch = []
    for number in numbers:
        batch.append((_article(number, categories), None))
        if len(batch) == 5000:
            store.upsert_many(batch, clock.now())
            batch = []
    if batch:
        store.upsert_many(batch, clock.now())


def _one_new_rebuild(runtime: Runtime, store: ArticleStore, number: int, categories: int) -> float:
    """Store one article newer than all others, then rebuild: the rebuild's seconds."""
    store.upsert(_article(-number, categories), runtime.clock.now())
    seconds, report = _timed_build(runtime)
    # Main, its category, its one or two regions and its author: 3 formats each.
    assert report.rendered in (12, 15), report
    return seconds


def _settings(root: Path) -> Settings:
    return load_settings(
        Path(__file__).resolve().parent.parent / "config.toml",
        env={"SYNDICATION_SITE__PUBLIC_DIR": str(root / "public"), "SYNDICATION_SITE__VAR_DIR": str(root / "var")},
    )


def _from_nothing(settings: Settings) -> None:
    """As before a first build: no files, no state, nothing kept in the process."""
    shutil.rmtree(settings.public_dir, ignore_errors=True)
    (settings.resolve(settings.site.var_dir) / STATE_FILE).unlink(missing_ok=True)
    STORED_FRAGMENTS.clear()
    feed_item.cache_clear()
    _heading_html.cache_clear()


def _explain(runtime: Runtime, term: tuple[str, str] | None) -> str:
    query = ArticleStore.newest_query(term, runtime.settings.feeds.limit)
    compiled = query.compile(runtime.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN" if runtime.engine.dialect.name == "sqlite" else "EXPLAIN"
    with runtime.engine.connect() as connection:
        return " | ".join(str(row[-1]) for row in connection.execute(text(f"{prefix} {compiled}")))


def _full_builds(runtime: Runtime, rounds: int) -> FeedsReport:
    """``rounds`` full builds from nothing, each beside feedgen alone writing the same feeds and
    beside the lighter yardstick: the median ratios (wall and CPU).

    Each timed run starts after a garbage collection, so none pays for the garbage another left.
    """
    same_walls: list[float] = []
    same_cpus: list[float] = []
    light_cpus: list[float] = []
    # CPU seconds of each run: the build, feedgen alone writing the same feeds, the lighter yardstick.
    seconds_of: dict[str, list[float]] = {"build": [], "same": [], "light": []}
    report = None
    for round_number in range(rounds):
        _from_nothing(runtime.settings)
        gc.collect()
        cpu_started = time.process_time()
        with _timing(publish, ("plan_from_store", "build_files")) as parts:
            seconds, report = _timed_build(runtime)
        cpu = time.process_time() - cpu_started
        same, same_cpu = _feedgen_same(runtime)
        _light, light_cpu = _feedgen_light(runtime)
        for name, spent in (("build", cpu), ("same", same_cpu), ("light", light_cpu)):
            seconds_of[name].append(spent)
        same_walls.append(seconds / same)
        same_cpus.append(cpu / same_cpu)
        light_cpus.append(cpu / light_cpu)
        selecting, rendering = parts["plan_from_store"], parts["build_files"]
        writing = seconds - selecting - rendering
        print(f"full build {round_number + 1}: {seconds:.2f} s wall, {cpu:.2f} s CPU; feedgen alone writing the "
              f"same RSS + Atom (item text prepared) {same:.2f} s / {same_cpu:.2f} s: {same_walls[-1]:.2f}x wall, "
              f"{same_cpus[-1]:.2f}x CPU; lighter yardstick {light_cpu:.2f} s CPU: {light_cpus[-1]:.2f}x; "
              f"parts: selecting and loading {selecting:.2f} s, item text and rendering {rendering:.2f} s, "
              f"writing (one sync), OPML and state {writing:.2f} s")
    assert report is not None
    wall_ratio, cpu_ratio = statistics.median(same_walls), statistics.median(same_cpus)
    print(f"full build: {report.feeds} feeds, {len(report.written)} files written (selection, item content, "
          f"RSS + Atom + JSON Feed, writing); median of {rounds} rounds, each beside feedgen alone:")
    print(f"ratio full build / feedgen alone writing the same RSS + Atom: {wall_ratio:.2f}x wall time, "
          f"{cpu_ratio:.2f}x CPU time ({'meets' if wall_ratio <= 2 else 'MISSES'} the <= 2x goal in wall time, "
          f"{'meets' if cpu_ratio <= 2 else 'MISSES'} it in CPU time)")
    print(f"ratio full build / the lighter yardstick (feedgen writing the items' main fields only, as in "
          f"earlier rounds): {statistics.median(light_cpus):.2f}x CPU time")
    # The fastest run of each is the one least disturbed by other work on the machine (timeit's rule).
    fastest = {name: min(values) for name, values in seconds_of.items()}
    print(f"fastest of the {rounds} rounds each: build {fastest['build']:.2f} s, feedgen alone writing the same "
          f"{fastest['same']:.2f} s ({fastest['build'] / fastest['same']:.2f}x), lighter yardstick "
          f"{fastest['light']:.2f} s ({fastest['build'] / fastest['light']:.2f}x) CPU time")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000, help="archive size of the second store (0: skip)")
    parser.add_argument("--categories", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="full builds, each beside feedgen alone")
    parser.add_argument("--repeat", type=int, default=7, help="one-new rebuilds per store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small_root, large_root = Path(folder) / "small", Path(folder) / "large"
        clock = FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
        runtime = Runtime(settings=_settings(small_root), clock=clock)
        store = ArticleStore(runtime.engine)
        started = time.perf_counter()
        _fill(store, clock, range(1, args.articles + 1), args.categories)
        print(f"setup: {args.articles:,} articles stored in {time.perf_counter() - started:.1f} s; "
              f"load average {' '.join(f'{load:.1f}' for load in os.getloadavg())}")

        _full_builds(runtime, args.rounds)

        # Like for like: our RSS + Atom of the same feeds, entries shared between feeds as in a build.
        settings = runtime.settings
        specs = plan_feeds(settings, store.all())
        metas = [(spec, feed_meta(settings, spec, FeedFormat.RSS), feed_meta(settings, spec, FeedFormat.ATOM))
                 for spec in specs]
        cache = FragmentCache()
        for spec, _rss, _atom in metas:
            for article in spec.articles:
                cache.slot(article)["de"] = feed_item(article, "de")
        gc.collect()
        started = time.perf_counter()
        for spec, rss_meta, atom_meta in metas:
            render_rss(rss_meta, spec.articles, cache=cache)
            render_atom(atom_meta, spec.articles, cache=cache)
        ours = time.perf_counter() - started
        baseline, _cpu = _feedgen_same(runtime)
        print(f"our RSS + Atom alone (same feeds, content prepared): {ours:.2f} s "
              f"= {ours / baseline:.2f}x feedgen alone writing them ({baseline:.2f} s, measured next to it)")

        statements: list[str] = []

        def record(*arguments: object) -> None:
            statements.append(" ".join(str(arguments[2]).split()))

        event.listen(runtime.engine, "before_cursor_execute", record)
        idle_seconds, idle = _timed_build(runtime)
        print(f"rebuild with nothing new: {idle_seconds * 1000:.1f} ms, {idle.rendered} rendered, "
              f"{len(idle.written)} written; SQL: {statements}")
        event.remove(runtime.engine, "before_cursor_execute", record)

        if args.large <= args.articles:
            small = [_one_new_rebuild(runtime, store, 1 + n, args.categories) for n in range(args.repeat)]
            small_median = statistics.median(small)
            print(f"rebuild after one new article at {args.articles:,}: median {small_median * 1000:.0f} ms "
                  f"of {', '.join(f'{t * 1000:.0f}' for t in small)}")
            runtime.close()
            return

        # The second store: a copy of the first (articles, feeds, state), grown to --large articles.
        runtime.engine.dispose()
        shutil.copytree(small_root, large_root)
        large_runtime = Runtime(settings=_settings(large_root), clock=clock)
        large_store = ArticleStore(large_runtime.engine)
        started = time.perf_counter()
        _fill(large_store, clock, range(args.articles + 1, args.large + 1), args.categories)
        print(f"second store grown to {large_store.count():,} articles in {time.perf_counter() - started:.1f} s")
        absorb_seconds, _ = _timed_build(large_runtime)
        print(f"rebuild after {args.large - args.articles:,} older articles (selects every feed again): "
              f"{absorb_seconds:.2f} s")
        for name, term in (("main feed", None), ("a category", ("category", "Ressort 07"))):
            print(f"query plan at {args.large:,}, {name}: {_explain(large_runtime, term)}")

        # One new article into each store in turn (which goes first alternates): each pair is
        # measured under the same load, and the median of the pairs' ratios is the figure.
        small, large, ratios = [], [], []
        for number in range(1, args.repeat + 1):
            pair = [(small, runtime, store, 2 * number), (large, large_runtime, large_store, 2 * number + 1)]
            for times, each_runtime, each_store, article in pair if number % 2 else reversed(pair):
                times.append(_one_new_rebuild(each_runtime, each_store, article, args.categories))
            ratios.append(large[-1] / small[-1])
        small_median, large_median = statistics.median(small), statistics.median(large)
        ratio = statistics.median(ratios)
        print(f"rebuild after one new article at {args.articles:,}: median {small_median * 1000:.0f} ms "
              f"of {', '.join(f'{t * 1000:.0f}' for t in small)}")
        print(f"rebuild after one new article at {large_store.count():,}: median {large_median * 1000:.0f} ms "
              f"of {', '.join(f'{t * 1000:.0f}' for t in large)}")
        print(f"ratio rebuild at {args.large:,} / at {args.articles:,} (median of {args.repeat} pairs, "
              f"{', '.join(f'{r:.2f}' for r in ratios)}): {ratio:.2f} "
              f"({'meets' if abs(ratio - 1) <= 0.2 else 'MISSES'} the within-20% goal)")

        _from_nothing(large_runtime.settings)
        large_full, _ = _timed_build(large_runtime)
        _from_nothing(runtime.settings)
        small_full, _ = _timed_build(runtime)
        shares = (small_median / small_full, large_median / large_full)
        print(f"full build from nothing, one after the other: {small_full:.2f} s at {args.articles:,}, "
              f"{large_full:.2f} s at {args.large:,}; one-new rebuild = {shares[0]:.1%} and {shares[1]:.1%} "
              f"of it ({'meets' if max(shares) <= 0.1 else 'MISSES'} the <= 10% goal)")
        large_runtime.close()
        runtime.close()


if __name__ == "__main__":
    main()
