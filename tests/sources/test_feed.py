"""The feed source: RSS and Atom files served on loopback, and what it does with bad answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Settings, SourceConfig
from syndication.errors import InputError, SourceUnavailable
from syndication.model import Article, SectionRole, article_id
from syndication.sources.collect import CollectReport, collect_all
from syndication.sources.feed import FeedSource
from syndication.sources.testing import StaticServer
from syndication.store.articles import ArticleStore

SOURCE = "agency"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>Pfalz-Agentur</title>
  <link>https://agentur.example/</link>
  <description>Meldungen</description>
  <language>de</language>
  <item>
    <title>Neue Buslinie für Kaiserslautern &amp; Umgebung</title>
    <link>https://agentur.example/2026/11/buslinie/</link>
    <guid isPermaLink="false">https://agentur.example/?p=17</guid>
    <pubDate>Mon, 23 Nov 2026 07:30:00 +0100</pubDate>
    <dc:creator>Anna Schäfer</dc:creator>
    <category>Verkehr</category>
    <category>Kaiserslautern</category>
    <description><![CDATA[<p>Ab Dezember fährt eine neue Linie.</p>]]></description>
    <content:encoded><![CDATA[
      <p>Ab Dezember fährt die Linie 107 zwischen Hauptbahnhof und Uni.</p>
      <h2>Worum es geht</h2>
      <p>Die Stadtwerke erweitern das Netz <a href="/netzplan/" onclick="track()">laut Netzplan</a>.</p>
      <script>alert("x")</script>
      <h2>Ausblick</h2>
      <p>Weitere Linien sollen folgen.</p>
    ]]></content:encoded>
    <enclosure url="https://agentur.example/bilder/bus.jpg" length="48213" type="image/jpeg"/>
    <media:credit role="photographer">Stadtwerke KL</media:credit>
  </item>
  <item>
    <title>Weinlese in der Pfalz beendet</title>
    <link>https://agentur.example/2026/11/weinlese/</link>
    <guid>https://agentur.example/?p=18</guid>
    <pubDate>Sun, 22 Nov 2026 16:00:00 +0100</pubDate>
    <category>Wirtschaft</category>
    <description>Die Winzer sind zufrieden.</description>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>Landesnachrichten</title>
  <id>tag:land.example,2026:feed</id>
  <updated>2026-11-23T10:00:00Z</updated>
  <link href="https://land.example/"/>
  <entry>
    <title type="html">Landtag beschließt &lt;em&gt;Haushalt&lt;/em&gt;</title>
    <id>tag:land.example,2026:haushalt</id>
    <link rel="alternate" href="https://land.example/haushalt"/>
    <published>2026-11-23T08:00:00+01:00</published>
    <updated>2026-11-23T10:00:00Z</updated>
    <author><name>Jonas Weber</name><uri>https://land.example/autoren/weber</uri></author>
    <category term="Politik"/>
    <category term="rlp" label="Rheinland-Pfalz"/>
    <summary>Der Doppelhaushalt ist beschlossen.</summary>
    <content type="html">&lt;p&gt;Mainz. Der Landtag hat den Haushalt beschlossen.&lt;/p&gt;
      &lt;h2&gt;Wichtigste Fakten&lt;/h2&gt;&lt;ul&gt;&lt;li&gt;Eins&lt;/li&gt;&lt;li&gt;Zwei&lt;/li&gt;&lt;/ul&gt;
      &lt;p&gt;&lt;small&gt;KI generiertes Foto&lt;/small&gt;&lt;/p&gt;</content>
    <link rel="enclosure" type="image/png" href="https://land.example/bild.png" length="1200"/>
  </entry>
  <entry>
    <title>Ohne Datum</title>
    <id>tag:land.example,2026:ohne-datum</id>
    <link rel="alternate" href="https://land.example/ohne-datum"/>
    <summary>Kein Datum.</summary>
  </entry>
</feed>
"""


@pytest.fixture
def server() -> Iterator[StaticServer]:
    with StaticServer() as static:
        yield static


def collect(settings: Settings, engine: Engine, clock: FixedClock, url: str, **overrides: object) -> CollectReport:
    config = SourceConfig.model_validate({"name": SOURCE, "type": "feed", "url": url, **overrides})
    configured = settings.model_copy(update={"sources": (config,)})
    return collect_all([FeedSource(config, site=settings.site)], ArticleStore(engine), configured, clock)


def stored(engine: Engine, external_id: str) -> Article | None:
    return ArticleStore(engine).get(article_id(SOURCE, external_id))


def test_rss_items_are_collected_with_content_author_categories_and_image(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Each RSS item becomes an article: guid as id, content:encoded parsed, dc:creator, categories, enclosure."""
    url = server.serve("/feed/", RSS, "application/rss+xml; charset=UTF-8")

    report = collect(settings, engine, clock, url, regions=["Kaiserslautern"], categories=["Agentur"])

    assert [] == report.errors
    assert 2 == len(report.created)
    article = stored(engine, "https://agentur.example/?p=17")
    assert article is not None
    assert "Neue Buslinie für Kaiserslautern & Umgebung" == article.title
    assert "https://agentur.example/2026/11/buslinie/" == article.url
    assert datetime(2026, 11, 23, 6, 30, tzinfo=UTC) == article.published
    assert "Ab Dezember fährt eine neue Linie." == article.teaser
    assert article.author is not None and "Anna Schäfer" == article.author.name
    assert ("Verkehr", "Agentur") == article.categories
    assert ("Kaiserslautern",) == article.regions
    assert article.image is not None
    assert ("https://agentur.example/bilder/bus.jpg", "image/jpeg", 48213, "Stadtwerke KL") == (
        article.image.url,
        article.image.mime_type,
        article.image.length,
        article.image.credit,
    )
    assert [SectionRole.SUMMARY, SectionRole.OUTLOOK] == [section.role for section in article.sections]
    assert '<a href="https://agentur.example/netzplan/">laut Netzplan</a>' in article.body_html
    assert [] == [marker for marker in ("<script", "onclick", "alert(") if marker in article.body_html]


def test_an_item_without_content_uses_its_description(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """An RSS item with only a plain-text description gets it as body and teaser."""
    url = server.serve("/feed/", RSS, "application/rss+xml")

    collect(settings, engine, clock, url)
    article = stored(engine, "https://agentur.example/?p=18")

    assert article is not None
    assert ("Die Winzer sind zufrieden.", "<p>Die Winzer sind zufrieden.</p>") == (article.teaser, article.body_html)
    assert (None, None) == (article.author, article.image)


def test_atom_entries_are_collected_and_an_entry_without_date_fails_alone(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Atom entries are read (HTML title, author uri, category labels, AI label); one without a date is an error."""
    url = server.serve("/atom.xml", ATOM, "application/atom+xml")

    report = collect(settings, engine, clock, url, regions=["Rheinland-Pfalz"])

    [error] = report.errors
    assert isinstance(error, InputError)
    assert ("https://land.example/ohne-datum", "published") == (error.where, error.field)
    article = stored(engine, "tag:land.example,2026:haushalt")
    assert article is not None
    assert "Landtag beschließt Haushalt" == article.title
    assert (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) == (
        article.published,
        article.updated,
    )
    assert article.author is not None
    assert ("Jonas Weber", "https://land.example/autoren/weber") == (article.author.name, article.author.url)
    assert (("Politik",), ("Rheinland-Pfalz",)) == (article.categories, article.regions)
    assert "Der Doppelhaushalt ist beschlossen." == article.teaser
    assert ["Eins", "Zwei"] == [item.text for item in article.key_facts]
    assert article.image is not None
    assert ("https://land.example/bild.png", True) == (article.image.url, article.image.ai_generated)
    assert "de" == article.language


def test_a_second_collect_of_the_same_feed_changes_nothing(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Entries whose content did not change are reported unchanged without being parsed again."""
    url = server.serve("/feed/", RSS, "application/rss+xml")
    collect(settings, engine, clock, url)

    report = collect(settings, engine, clock, url)

    assert (False, 2, []) == (report.changed, report.unchanged, report.errors)


def test_an_edited_entry_is_recorded_as_updated(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A changed title in the feed updates the stored article."""
    url = server.serve("/feed/", RSS, "application/rss+xml")
    collect(settings, engine, clock, url)
    server.serve("/feed/", RSS.replace("Weinlese in der Pfalz beendet", "Weinlese in der Pfalz früh beendet"))

    report = collect(settings, engine, clock, url)

    assert [article_id(SOURCE, "https://agentur.example/?p=18")] == report.updated
    article = stored(engine, "https://agentur.example/?p=18")
    assert article is not None and "Weinlese in der Pfalz früh beendet" == article.title


def test_a_404_is_a_clear_error_and_keeps_what_was_stored(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A feed URL answering 404 gives an error naming the URL and the status; stored entries stay."""
    url = server.serve("/feed/", RSS, "application/rss+xml")
    collect(settings, engine, clock, url)
    del server.routes["/feed/"]

    report = collect(settings, engine, clock, url)

    [error] = report.errors
    assert isinstance(error, SourceUnavailable)
    assert (url, True) == (error.where, error.reason.startswith("HTTP 404 Not Found"))
    assert 2 == len(ArticleStore(engine).all())


def test_an_html_page_is_not_a_feed(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A URL answering an HTML page (a login or error page with 200) is reported as not a feed."""
    url = server.serve("/feed/", "<!doctype html><html><body><h1>Anmelden</h1></body></html>", "text/html")

    report = collect(settings, engine, clock, url)

    [error] = report.errors
    assert isinstance(error, SourceUnavailable)
    assert url == error.where
    assert error.reason.startswith("not an RSS or Atom feed: got text/html")


def test_a_feed_that_is_not_well_formed_but_has_entries_is_read(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A bozo feed (an undefined entity) is read with a warning when its entries can still be found."""
    broken = RSS.replace("<description>Meldungen</description>", "<description>Meldungen&nbsp;&auml;</description>")
    url = server.serve("/feed/", broken, "application/rss+xml")

    report = collect(settings, engine, clock, url)

    assert (2, []) == (len(report.created), report.errors)
    assert any("is not well-formed" in record.getMessage() for record in caplog.records)


def test_a_feed_that_does_not_answer_times_out(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A feed server that never answers gives a time-out error naming the URL."""
    url = server.serve("/feed/", RSS, "application/rss+xml")
    server.hanging.add("/feed/")

    report = collect(settings, engine, clock, url, timeout=0.2)

    [error] = report.errors
    assert isinstance(error, SourceUnavailable)
    assert (url, "no answer within 0.2 s (time-out); the next collect tries again") == (error.where, error.reason)


def test_entry_ids_do_not_depend_on_where_the_feed_is_served(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A relative Atom id is kept as written: the same entries from a moved feed are the same articles."""
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Agentur</title><id>urn:agentur</id>
<updated>2026-11-23T07:00:00Z</updated>
<entry><id>ag-1</id><title>Meldung</title><link href="https://agentur.example/ag-1"/>
<updated>2026-11-23T07:00:00Z</updated><content type="html">&lt;p&gt;Text&lt;/p&gt;</content></entry>
</feed>"""
    first = server.serve("/feed.atom", atom, "application/atom+xml")
    moved = server.serve("/neu/feed.atom", atom, "application/atom+xml")
    created = collect(settings, engine, clock, first).created
    again = collect(settings, engine, clock, moved)
    assert (1, [], 1) == (len(created), again.created, again.unchanged)
    assert stored(engine, "ag-1") is not None


def test_region_terms_of_the_feed_stay_regions_not_categories(
    server: StaticServer, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Categories in a region vocabulary (scheme …/region/, as our own feeds write them) are regions."""
    from syndication.feeds.render import FeedMeta, render_rss
    from syndication.testing import make_article

    meta = FeedMeta(id="tag:partner.example,2026:feed:all", title="Partner", self_url="https://partner.example/f.rss",
                    alternate_url="https://partner.example/", tag_authority="partner.example",
                    category_scheme="https://partner.example/feeds/category/",
                    region_scheme="https://partner.example/feeds/region/")
    upstream = make_article(1, categories=("Politik",), regions=("Westpfalz", "Kaiserslautern"))
    url = server.serve("/feed.rss", render_rss(meta, [upstream]).decode("utf-8"), "application/rss+xml")
    report = collect(settings, engine, clock, url)
    article = ArticleStore(engine).all()[0]
    assert ([], ("Politik",), ("Rheinland-Pfalz", "Kaiserslautern", "Westpfalz"), True) == (
        report.errors, article.categories, article.regions, article.image.ai_generated  # type: ignore[union-attr]
    )
