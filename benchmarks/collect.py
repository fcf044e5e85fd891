"""Benchmark: full collect of N generated folder articles, then a re-collect after a few edits.

    .venv/bin/python benchmarks/collect.py [--count 10000] [--changed 10]

Prints the full collect's rate (goal: at least 1,000 new articles per second, parsing,
sanitizing and storing included) and its CPU time (the pace two free cores would have, for
runs on a loaded machine), how many articles take the plain-Markdown fast path, the re-collect's time and its ratio to
the full collect (goal: under 5%: unchanged files are only stat()ed, never read).
Figures are noisy on shared 2-core machines; run it twice if in doubt.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import frontmatter

from syndication.clock import SystemClock
from syndication.config import load_settings
from syndication.sources.collect import run_collect
from syndication.sources.folder import MAX_WORKERS
from syndication.sources.plain_markdown import convert_plain
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine

CATEGORIES = ("Politik", "Wirtschaft", "Verkehr", "Kultur", "Sport", "Bildung", "Umwelt")
REGIONS = ("Kaiserslautern", "Mainz", "Pirmasens", "Landau", "Westpfalz", "Pfalz")
AUTHORS = ("Marc Fuchs", "Jana Becker", "Stefan Groß", "Leonie Schäfer", "Timo Wagner", "Aylin Demir")
START = datetime(2026, 11, 10, 6, 0, tzinfo=UTC)


def article_text(number: int, revision: int = 0) -> str:
    """One anatomy-shaped Markdown article; ``revision`` changes its outlook."""
    category = CATEGORIES[number % len(CATEGORIES)]
    region = REGIONS[number % len(REGIONS)]
    author = AUTHORS[number % len(AUTHORS)]
    slug = author.lower().replace(" ", "-").replace("ß", "ss").replace("ä", "ae")
    published = (START + timedelta(minutes=2 * number)).isoformat()
    return f"""---
title: Meldung {number} aus {region} – {category} im Überblick
published: {published}
author:
  name: {author}
  portrait: https://www.pfalz-rundschau.example/autoren/{slug}.jpg
image:
  url: https://www.pfalz-rundschau.example/bilder/bench/{number}.jpg
  alt: Symbolbild zu Meldung {number}
  ai_generated: {"true" if number % 5 == 0 else "false"}
categories: [{category}]
regions: [{region}]
author_quote: „Entscheidend ist, was vor Ort ankommt.“
---
Kurzfassung der Meldung {number}: In {region} gibt es Neuigkeiten aus dem Ressort {category}.

## Worum es geht

Laut [Bericht {number}](https://www.quelle.example/berichte/{number}) beschäftigt das Thema {region} seit Wochen.
Die Verwaltung hat eine Entscheidung angekündigt, Fraktionen und Verbände äußerten sich „verhalten optimistisch“.

## Wichtigste Fakten

- Erster Fakt zu Meldung {number}
- Zweiter Fakt mit Zahlen: {number * 3} Beteiligte
- Dritter Fakt über die nächsten Schritte

## Politischer Hintergrund

Das Thema beschäftigt {region} nicht zum ersten Mal; bereits 2024 gab es eine ähnliche Debatte.

## Bedeutung für Rheinland-Pfalz und {region}

Die Entscheidung betrifft viele Menschen in der Region und gilt als Signal über {region} hinaus.

## Chancen & Risiken

- Chance: Neue Impulse für {region}.
- Risiko: Die Finanzierung ist noch nicht gesichert.

## Ausblick

Eine Entscheidung wird bis Jahresende erwartet (Stand {revision}).

## Quellen

- [Bericht {number}](https://www.quelle.example/berichte/{number})
"""


def generate(folder: Path, count: int) -> list[Path]:
    paths = []
    for number in range(count):
        path = folder / f"{number // 1000:02d}" / f"meldung-{number:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article_text(number), encoding="utf-8")
        paths.append(path)
    return paths


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="syndication-bench-") as directory:
        root = Path(directory)
        (root / "config.toml").write_text(
            '[site]\nvar_dir = "var"\n\n[[sources]]\nname = "bench"\ntype = "folder"\npath = "content"\n',
            encoding="utf-8",
        )
        settings = load_settings(root / "config.toml", env={})
        started = time.perf_counter()
        paths = generate(root / "content", args.count)
        print(f"generated {len(paths)} articles in {time.perf_counter() - started:.1f} s")
        engine = open_engine(settings.store_url)
        store = ArticleStore(engine)
        clock = SystemClock()

        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        full = run_collect(settings, store, clock)
        full_seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        print(f"full collect:  {full_seconds:8.2f} s  ({full.summary()})")
        rate = len(full.created) / full_seconds
        verdict = "meets" if rate >= 1000 else "MISSES"
        print(f"rate:          {rate:8.0f} new articles/s  = {rate / 1000:.2f}x the goal ({verdict} >= 1,000/s; "
              f"{os.cpu_count()} cores, parsing in up to {min(os.cpu_count() or 1, MAX_WORKERS)} worker processes)")
        per_cpu_second = len(full.created) / cpu
        cores = min(os.cpu_count() or 1, MAX_WORKERS)
        print(f"CPU time:      {cpu:8.2f} s  = {per_cpu_second:.0f} articles per CPU-second "
              f"(this process and its workers; {cores} free cores at that pace: {per_cpu_second * cores:.0f}/s)")
        plain = sum(convert_plain(frontmatter.loads(article_text(n)).content) is not None for n in range(100))
        print(f"Markdown:      {plain} of 100 generated articles take the plain fast path (the others Python-Markdown)")

        step = max(1, len(paths) // max(1, args.changed))
        for number, path in list(enumerate(paths))[::step][: args.changed]:
            path.write_text(article_text(number, revision=1), encoding="utf-8")
            stat = path.stat()
            # Make sure the edit is visible even on file systems with coarse timestamps.
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

        started = time.perf_counter()
        again = run_collect(settings, store, clock)
        re_seconds = time.perf_counter() - started
        print(f"re-collect:    {re_seconds:8.2f} s  ({again.summary()})")
        ratio = re_seconds / full_seconds
        verdict = "meets" if ratio < 0.05 else "MISSES"
        print(f"ratio:         {ratio:8.2%}  ({verdict} the < 5% target)")
        engine.dispose()
        if len(again.updated) != args.changed or again.errors or full.errors:
            sys.exit(f"unexpected result: {again.summary()}")


if __name__ == "__main__":
    main()
