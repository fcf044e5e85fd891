"""The feeds benchmark's yardstick: feedgen alone writes what a full build writes, as far as it can.

``benchmarks/feeds.py`` compares a full build with feedgen alone writing "the same RSS + Atom"
(issue 19). Were that yardstick to write less than a build, the ratio would flatter the build;
here every feed of a build is read back by feedparser next to feedgen alone's, field by field.
What feedgen has no means to write is left out of the comparison, and named: the corrected
channel link (feedgen writes the last link added), the rel and type of Atom entry links (feedgen
drops them: only the links' addresses are compared), ``atom:updated`` in RSS items, and the
children of ``media:content`` (its description, credit and IPTC category).
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import feedparser
import pytest

from syndication.clock import FixedClock
from syndication.feedwriter.formats import FeedFormat
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore

ROOT = Path(__file__).resolve().parents[2]
IPTC_SCHEME = "http://cv.iptc.org/newscodes/digitalsourcetype/"
FEED_FIELDS = ("id", "title", "subtitle", "language", "rights", "generator", "author", "updated")
ENTRY_FIELDS = ("id", "title", "link", "published", "author", "summary")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    # benchmarks/ is no package, and "feeds" is this test package's name: loaded from its file.
    spec = importlib.util.spec_from_file_location("feeds_benchmark", ROOT / "benchmarks" / "feeds.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _entry(entry: Any, atom: bool) -> dict[str, Any]:
    fields = {name: entry.get(name) for name in ENTRY_FIELDS}
    fields["content"] = [content.value for content in entry.get("content", [])]
    fields["tags"] = [(tag.term, tag.scheme) for tag in entry.get("tags", []) if tag.scheme != IPTC_SCHEME]
    fields["enclosures"] = [(each.href, each.type) for each in entry.get("enclosures", [])]
    if atom:
        # feedgen drops an Atom link's rel: the enclosure reads as another alternate link there.
        fields["link"], fields["enclosures"] = sorted(link.href for link in entry.get("links", [])), None
    fields["media"] = [
        {name: each.get(name) for name in ("url", "medium", "type", "width", "height", "filesize")}
        for each in entry.get("media_content", [])
    ]
    if atom:
        fields["updated"] = entry.get("updated")
    return fields


def test_feedgen_alone_writes_the_same_feeds_as_a_build(bench: ModuleType, tmp_path: Path) -> None:
    """Every feed of a build and feedgen alone's hold the same items with the same fields."""
    clock = FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    runtime = Runtime(settings=bench._settings(tmp_path), clock=clock)
    bench._fill(ArticleStore(runtime.engine), clock, range(1, 121), 5)
    bench._from_nothing(runtime.settings)
    bench.build_and_publish(runtime.settings, runtime.engine)
    compared = 0
    for spec, rss, atom in bench.feedgen_same_feeds(runtime):
        for feed_format, written in ((FeedFormat.RSS, rss.rss_str(pretty=True)), (FeedFormat.ATOM, atom.atom_str())):
            is_atom = feed_format is FeedFormat.ATOM
            ours = feedparser.parse((runtime.settings.public_dir / spec.path(feed_format)).read_bytes())
            theirs = feedparser.parse(written)
            expected = {name: ours.feed.get(name) for name in FEED_FIELDS}, [_entry(e, is_atom) for e in ours.entries]
            actual = {name: theirs.feed.get(name) for name in FEED_FIELDS}, [_entry(e, is_atom) for e in theirs.entries]
            assert expected == actual, spec.path(feed_format)
            compared += len(ours.entries)
    runtime.close()
    assert compared > 500
