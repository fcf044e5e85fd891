"""The web archive: edition pages without personal data, an index and an Atom feed."""

from __future__ import annotations

import re
from datetime import timedelta

import feedparser

from syndication.app.editions import build_edition
from syndication.clock import FixedClock
from syndication.digest.archive import FEED_PATH, INDEX_PATH, edition_path, publish_archive, render_edition_page
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article
from syndication.writers import MemoryWriter
from tests.digest.conftest import make_edition, sample_articles


def _store(runtime: Runtime, numbers: range) -> None:
    store = ArticleStore(runtime.engine)
    for number in numbers:
        store.upsert(make_article(number), runtime.clock.now())


def test_edition_page_has_no_personal_data(runtime: Runtime) -> None:
    """Neutral greeting, no placeholder, no token; a subscribe link, no tokenless settings link."""
    articles = sample_articles(3)
    html = render_edition_page(make_edition(articles), articles, runtime.settings)
    assert "token=" not in html
    assert "%%" not in html
    # Without a token the preferences page can only say "invalid link": readers use their mail's link.
    assert ("http://localhost:8000/subscribe" in html, "/preferences" in html) == (True, False)
    assert "Guten Morgen" in html
    assert "Guten Morgen," not in html


def test_edition_page_shows_every_article_and_links_the_feeds(runtime: Runtime) -> None:
    """The web page is not clipped by the mail size budget and advertises the site's feeds."""
    articles = sample_articles(40)
    html = render_edition_page(make_edition(articles), articles, runtime.settings)
    assert 40 == html.count("Weiterlesen")
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="http://localhost:8000/feeds/all.rss"' in html
    assert 'href="http://localhost:8000/archive/editions.atom"' in html
    assert '<link rel="canonical" href="http://localhost:8000/archive/daily-2026-11-24.html"' in html


def test_publish_writes_page_index_and_feed_newest_first(runtime: Runtime, clock: FixedClock) -> None:
    """Two editions: two pages, an index listing the newer first, and an Atom feed with both."""
    writer = MemoryWriter()
    _store(runtime, range(1, 3))
    first = build_edition(runtime, "daily")
    publish_archive(runtime, writer, first)
    clock.advance(timedelta(days=1))
    _store(runtime, range(3, 5))
    second = build_edition(runtime, "daily")
    report = publish_archive(runtime, writer, second)
    assert first is not None and second is not None
    assert {edition_path(first.id), edition_path(second.id), INDEX_PATH, FEED_PATH} == set(writer.files)
    assert (edition_path(second.id), INDEX_PATH, FEED_PATH) == report.written
    index = writer.files[INDEX_PATH].decode()
    assert index.index("daily-2026-11-25.html") < index.index("daily-2026-11-24.html")
    assert '<link rel="alternate"' in index
    feed = feedparser.parse(writer.files[FEED_PATH])
    assert not feed.bozo
    assert [
        "http://localhost:8000/archive/daily-2026-11-25.html",
        "http://localhost:8000/archive/daily-2026-11-24.html",
    ] == [entry.link for entry in feed.entries]
    assert feed.entries[0].title.startswith("Der Morgen, Mittwoch, 25. November 2026: ")


def test_republishing_unchanged_archive_writes_nothing(runtime: Runtime) -> None:
    """Publishing the same state twice changes no file."""
    writer = MemoryWriter()
    _store(runtime, range(1, 2))
    edition = build_edition(runtime, "daily")
    publish_archive(runtime, writer, edition)
    assert () == publish_archive(runtime, writer, edition).written


def test_control_characters_in_a_title_do_not_break_the_archive(runtime: Runtime) -> None:
    """A title with characters XML forbids still yields the page, the index and a well-formed editions feed."""
    writer = MemoryWriter()
    ArticleStore(runtime.engine).upsert(make_article(1, title="Titel\x0b mit\x00 Steuerzeichen"), runtime.clock.now())
    edition = build_edition(runtime, "daily")
    report = publish_archive(runtime, writer, edition)
    feed = feedparser.parse(writer.files[FEED_PATH])
    assert (3, False) == (len(report.written), bool(feed.bozo))
    assert feed.entries[0].title.endswith(": Titel mit Steuerzeichen")


def test_edition_page_footer_links_the_sign_up(runtime: Runtime) -> None:
    """The archive footer's subscribe URL is a link a reader can click, not text to copy."""
    articles = sample_articles(2)
    html = render_edition_page(make_edition(articles), articles, runtime.settings)
    footer = html.split("Dies ist die Web-Ausgabe")[1]
    assert re.search(r'<a href="http://localhost:8000/subscribe"[^>]*>Newsletter abonnieren</a>', footer)
