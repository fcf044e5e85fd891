"""The web archive: edition pages without personal data, an index and an Atom feed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import feedparser
from lxml import etree

from syndication.app.editions import build_edition
from syndication.clock import FixedClock
from syndication.digest.archive import (
    FEED_PATH,
    INDEX_PATH,
    ArchiveEntry,
    edition_path,
    publish_archive,
    render_edition_page,
    render_editions_feed,
)
from syndication.feedwriter.formats import ATOM_NS
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
    publish_archive(runtime.settings, runtime.engine, writer, first)
    clock.advance(timedelta(days=1))
    _store(runtime, range(3, 5))
    second = build_edition(runtime, "daily")
    report = publish_archive(runtime.settings, runtime.engine, writer, second)
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
    publish_archive(runtime.settings, runtime.engine, writer, edition)
    assert () == publish_archive(runtime.settings, runtime.engine, writer, edition).written


def test_control_characters_in_a_title_do_not_break_the_archive(runtime: Runtime) -> None:
    """A title with characters XML forbids still yields the page, the index and a well-formed editions feed."""
    writer = MemoryWriter()
    ArticleStore(runtime.engine).upsert(make_article(1, title="Titel\x0b mit\x00 Steuerzeichen"), runtime.clock.now())
    edition = build_edition(runtime, "daily")
    report = publish_archive(runtime.settings, runtime.engine, writer, edition)
    feed = feedparser.parse(writer.files[FEED_PATH])
    assert (3, False) == (len(report.written), bool(feed.bozo))
    assert feed.entries[0].title.endswith(": Titel mit Steuerzeichen")


def test_edition_page_footer_links_the_sign_up(runtime: Runtime) -> None:
    """The archive footer's subscribe URL is a link a reader can click, not text to copy."""
    articles = sample_articles(2)
    html = render_edition_page(make_edition(articles), articles, runtime.settings)
    footer = html.split("Dies ist die Web-Ausgabe")[1]
    assert re.search(r'<a href="http://localhost:8000/subscribe"[^>]*>Newsletter abonnieren</a>', footer)


def _edition_entry(day: int) -> ArchiveEntry:
    return ArchiveEntry(
        id=f"daily-2026-11-{day}", title="Der Morgen", edition_date=date(2026, 11, day),
        built_at=datetime(2026, 11, day, 5, tzinfo=UTC), url=f"http://localhost:8000/archive/daily-2026-11-{day}.html",
        subject=f"Der Morgen {day}", lead_title="Aufmacher", count=2, article_titles=("Eins", "Zwei & drei"),
    )


def test_editions_feed_says_what_it_is_and_lists_the_newest_edition_first(runtime: Runtime) -> None:
    """Id, titles, links, author, rights, language and each edition's dates and article titles; no generator."""
    root = etree.fromstring(render_editions_feed([_edition_entry(23), _edition_entry(24)], runtime.settings))

    def text(parent: etree._Element, name: str) -> str | None:
        return parent.findtext(f"{{{ATOM_NS}}}{name}")

    links = {link.get("rel"): link.get("href") for link in root.iterfind(f"{{{ATOM_NS}}}link")}
    author = root.find(f"{{{ATOM_NS}}}author")
    assert author is not None
    assert (
        "tag:localhost,2026:archive", "Pfalz-Rundschau – Newsletter-Ausgaben", runtime.settings.site.copyright, "de",
        "2026-11-24T05:00:00+00:00", None, ("Pfalz-Rundschau", "http://localhost:8000/"),
        {"self": "http://localhost:8000/archive/editions.atom", "alternate": "http://localhost:8000/archive/index.html"},
    ) == (
        text(root, "id"), text(root, "title"), text(root, "rights"), root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        text(root, "updated"), text(root, "generator"), (text(author, "name"), text(author, "uri")), links,
    )
    entries = [
        (text(entry, "id"), text(entry, "title"), entry.find(f"{{{ATOM_NS}}}link").get("href"),  # type: ignore[union-attr]
         text(entry, "published"), text(entry, "updated"), text(entry, "summary"))
        for entry in root.iterfind(f"{{{ATOM_NS}}}entry")
    ]
    assert [
        ("tag:localhost,2026-11-24:archive/daily-2026-11-24", "Der Morgen 24",
         "http://localhost:8000/archive/daily-2026-11-24.html", "2026-11-24T05:00:00+00:00",
         "2026-11-24T05:00:00+00:00", "Eins · Zwei & drei"),
        ("tag:localhost,2026-11-23:archive/daily-2026-11-23", "Der Morgen 23",
         "http://localhost:8000/archive/daily-2026-11-23.html", "2026-11-23T05:00:00+00:00",
         "2026-11-23T05:00:00+00:00", "Eins · Zwei & drei"),
    ] == entries
