"""Which feeds exist, their slugs, OPML and the alternate links for pages."""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from syndication.config import Settings
from syndication.feeds.catalog import alternate_links, feed_meta, plan_feeds, render_opml, slugify
from syndication.feedwriter.formats import FeedFormat
from syndication.model import Author, Status
from syndication.testing import make_article


def test_slugs_are_ascii_with_umlauts_transliterated() -> None:
    """„Rheinland-Pfalz“ → rheinland-pfalz, „Südwest“ → suedwest, ß → ss, punctuation → hyphens."""
    names = ["Rheinland-Pfalz", "Südwest", "Straße & Verkehr", "Öffentlicher Dienst", "Café Crème"]
    assert ["rheinland-pfalz", "suedwest", "strasse-verkehr", "oeffentlicher-dienst", "cafe-creme"] == [
        slugify(n) for n in names
    ]


def test_plan_has_main_and_one_feed_per_category_region_author(settings: Settings) -> None:
    """Main feed plus a feed for each category, region and author, under ASCII paths."""
    articles = [make_article(1), make_article(2, categories=("Wirtschaft",), regions=("Südwest",),
                                              author=Author(name="Jana Weiß"))]
    paths = [spec.path(FeedFormat.ATOM) for spec in plan_feeds(settings, articles)]
    assert [
        "feeds/all.atom",
        "feeds/category/politik.atom",
        "feeds/category/wirtschaft.atom",
        "feeds/region/kaiserslautern.atom",
        "feeds/region/rheinland-pfalz.atom",
        "feeds/region/suedwest.atom",
        "feeds/author/jana-weiss.atom",
        "feeds/author/marc-fuchs.atom",
    ] == paths


def test_kinds_come_from_config(settings: Settings) -> None:
    """With [feeds] kinds = ["region"] only the main and region feeds are planned."""
    only_regions = settings.model_copy(update={"feeds": settings.feeds.model_copy(update={"kinds": ("region",)})})
    kinds = {spec.kind for spec in plan_feeds(only_regions, [make_article(1)])}
    assert {"all", "region"} == kinds


def test_limit_newest_first_and_retracted_left_out(settings: Settings) -> None:
    """Each feed holds the newest [feeds] limit published articles; retracted ones are left out."""
    limited = settings.model_copy(update={"feeds": settings.feeds.model_copy(update={"limit": 3})})
    articles = [make_article(n) for n in range(1, 7)]  # article 1 is the newest
    articles[1] = replace(articles[1], status=Status.RETRACTED)
    main = plan_feeds(limited, list(reversed(articles)))[0]
    assert ["artikel-1", "artikel-3", "artikel-4"] == [a.external_id for a in main.articles]


def test_colliding_slugs_share_one_feed(settings: Settings) -> None:
    """„Südwest“ and „Suedwest“ have the same slug and so one feed with both articles."""
    articles = [make_article(1, regions=("Südwest",)), make_article(2, regions=("Suedwest",))]
    regions = [s for s in plan_feeds(settings, articles) if s.kind == "region"]
    assert [("suedwest", 2)] == [(s.slug, len(s.articles)) for s in regions]


def test_author_feed_links_to_the_author_page(settings: Settings) -> None:
    """An author's feed has the author's page as its alternate link."""
    spec = next(s for s in plan_feeds(settings, [make_article(1)]) if s.kind == "author")
    meta = feed_meta(settings, spec, FeedFormat.RSS)
    assert ("https://www.pfalz-rundschau.example/autor/marc-fuchs/", "http://localhost:8000/feeds/author/marc-fuchs.rss",
            "Pfalz-Rundschau – Marc Fuchs") == (meta.alternate_url, meta.self_url, meta.title)


def test_alternate_links_for_pages(settings: Settings) -> None:
    """Pages advertise the main feed in all three formats with <link rel="alternate">."""
    tags = [link.html() for link in alternate_links(settings)]
    assert [
        '<link rel="alternate" type="application/rss+xml" title="Pfalz-Rundschau (RSS)" '
        'href="http://localhost:8000/feeds/all.rss">',
        '<link rel="alternate" type="application/atom+xml" title="Pfalz-Rundschau (Atom)" '
        'href="http://localhost:8000/feeds/all.atom">',
        '<link rel="alternate" type="application/feed+json" title="Pfalz-Rundschau (JSON Feed)" '
        'href="http://localhost:8000/feeds/all.json">',
    ] == tags


def test_opml_lists_every_feed(settings: Settings) -> None:
    """index.opml has one rss outline per planned feed, with its RSS URL and page."""
    specs = plan_feeds(settings, [make_article(1)])
    outlines = etree.fromstring(render_opml(settings, specs)).findall(".//outline[@type='rss']")
    assert [f"http://localhost:8000/{s.path(FeedFormat.RSS)}" for s in specs] == [o.get("xmlUrl") for o in outlines]
