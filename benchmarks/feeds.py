"""Feeds benchmark: 10,000 articles in 50 categories.

Prints the time to build every feed (main + per category/region/author, three formats),
the ratio to feedgen alone producing the same RSS and Atom entries, and the time of a
rebuild after one new article (which renders and writes only the feeds containing it).

    .venv/bin/python benchmarks/feeds.py [--articles 10000] [--categories 50]

Figures are noisy: the machines have two cores shared with other work.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedgen.feed import FeedGenerator

from syndication.clock import FixedClock
from syndication.config import load_settings
from syndication.feeds.catalog import feed_meta, plan_feeds
from syndication.feeds.content import feed_item
from syndication.feeds.publish import build_and_publish
from syndication.feeds.render import FeedFormat, render_atom, render_rss
from syndication.model import Author
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

REGIONS = ["Rheinland-Pfalz", "Kaiserslautern", "Pfalz", "Südwest", "Mainz", "Trier", "Koblenz", "Landau",
           "Pirmasens", "Zweibrücken"]
AUTHORS = [f"Autorin {n:02d}" for n in range(20)]


def _article(number: int, categories: int):
    published = datetime(2026, 11, 23, 6, 0, tzinfo=UTC) - timedelta(minutes=7 * number)
    return make_article(
        number,
        published=published,
        updated=published,
        categories=(f"Ressort {number % categories:02d}",),
        regions=(REGIONS[number % len(REGIONS)], REGIONS[(number // 7) % len(REGIONS)]),
        author=Author(name=AUTHORS[number % len(AUTHORS)]),
    )


def _feedgen_alone(runtime: Runtime) -> float:
    """feedgen producing the same feeds' RSS and Atom from ready-made entries (no fixes, no JSON)."""
    settings = runtime.settings
    specs = plan_feeds(settings, ArticleStore(runtime.engine).all())
    prepared = [(spec, [feed_item(a, "de") for a in spec.articles]) for spec in specs]
    started = time.perf_counter()
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
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--categories", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = load_settings(
            Path(__file__).resolve().parent.parent / "config.toml",
            env={"SYNDICATION_SITE__PUBLIC_DIR": str(root / "public"), "SYNDICATION_SITE__VAR_DIR": str(root / "var")},
        )
        clock = FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
        runtime = Runtime(settings=settings, clock=clock)
        store = ArticleStore(runtime.engine)
        started = time.perf_counter()
        articles = [_article(n, args.categories) for n in range(1, args.articles + 1)]
        store.upsert_many(((a, None) for a in articles), clock.now())
        print(f"setup: {args.articles} articles stored in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        loaded = store.all()
        load_seconds = time.perf_counter() - started
        print(f"loading {len(loaded)} articles from SQLite: {load_seconds:.2f} s (included in the builds below)")

        started = time.perf_counter()
        full = build_and_publish(runtime)
        full_seconds = time.perf_counter() - started
        print(f"full build: {full.feeds} feeds, {len(full.written)} files in {full_seconds:.2f} s")

        baseline = _feedgen_alone(runtime)
        render_seconds = full_seconds - load_seconds
        print(f"feedgen alone (same feeds, RSS + Atom only, content prepared): {baseline:.2f} s")
        print(f"ratio full build / feedgen alone: {full_seconds / baseline:.2f}x "
              f"(without loading the store: {render_seconds / baseline:.2f}x; ours also writes JSON Feed, "
              f"media elements, sanitizes content and writes files)")

        # Like for like: our RSS + Atom of the same feeds, item content already prepared (cache warm).
        specs = plan_feeds(settings, loaded)
        metas = [(spec, feed_meta(settings, spec, FeedFormat.RSS), feed_meta(settings, spec, FeedFormat.ATOM))
                 for spec in specs]
        started = time.perf_counter()
        for spec, rss_meta, atom_meta in metas:
            render_rss(rss_meta, spec.articles)
            render_atom(atom_meta, spec.articles)
        ours = time.perf_counter() - started
        print(f"our RSS + Atom rendering alone (same feeds, content prepared): {ours:.2f} s "
              f"= {ours / baseline:.2f}x feedgen alone (the cost of the workarounds and media elements)")

        started = time.perf_counter()
        again = build_and_publish(runtime)
        print(f"rebuild without changes: {time.perf_counter() - started:.2f} s, "
              f"{len(again.written)} written, {again.skipped} not re-rendered")

        store.upsert(_article(0, args.categories), clock.now())
        started = time.perf_counter()
        one = build_and_publish(runtime)
        print(f"rebuild after one new article: {time.perf_counter() - started:.2f} s, "
              f"{one.rendered} rendered, {len(one.written)} written: {', '.join(sorted(one.written))}")
        runtime.close()


if __name__ == "__main__":
    main()
