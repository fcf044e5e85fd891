"""Rendering: feedgen's bugs worked around, deterministic bytes, valid Atom, the AI-image marker."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from lxml import etree

from syndication.feeds.content import AI_GENERATED_SOURCE_TYPE_URI, DIGITAL_SOURCE_TYPE_SCHEME
from syndication.feeds.render import (
    AtomOptions,
    FeedMeta,
    render_atom,
    render_json,
    render_rss,
)
from syndication.feedwriter.formats import ATOM_NS, EPOCH, MEDIA_NS, SY_NS, article_tag_uri
from syndication.feedwriter.fragments import FragmentCache
from syndication.model import Article
from syndication.testing import make_article
from tests.feeds.conftest import assert_valid_atom, parse, unknown_namespaces

A = f"{{{ATOM_NS}}}"
M = f"{{{MEDIA_NS}}}"


def _atom(meta: FeedMeta, articles: list[Article], **kwargs: object) -> etree._Element:
    return etree.fromstring(render_atom(meta, articles, **kwargs))  # type: ignore[arg-type]


def _rss_channel(meta: FeedMeta, articles: list[Article]) -> etree._Element:
    channel = etree.fromstring(render_rss(meta, articles)).find("channel")
    assert channel is not None
    return channel


def test_atom_entry_links_keep_rel_type_and_length(meta: FeedMeta, articles: list[Article]) -> None:
    """feedgen drops rel/type/length of entry links; ours carry them (alternate HTML, image enclosure)."""
    entry = _atom(meta, articles).findall(f"{A}entry")[1]
    links = [dict(link.attrib) for link in entry.findall(f"{A}link")]
    expected = [
        {"href": articles[1].url, "rel": "alternate", "type": "text/html"},
        {"href": "https://www.pfalz-rundschau.example/bilder/werk.png", "rel": "enclosure", "type": "image/png",
         "length": "48213", "title": "Die Werkshalle"},
    ]
    assert expected == links


def test_atom_content_type_is_html_not_cdata(meta: FeedMeta, articles: list[Article]) -> None:
    """Every Atom content element says type="html" (feedgen's "CDATA" is not an Atom type)."""
    types = {content.get("type") for content in _atom(meta, articles).iter(f"{A}content")}
    assert {"html"} == types


def test_rss_channel_link_is_the_alternate_url(meta: FeedMeta, articles: list[Article]) -> None:
    """The RSS channel <link> and <image><link> are the site's page, not the last link feedgen got."""
    channel = _rss_channel(meta, articles)
    assert (meta.alternate_url, meta.alternate_url) == (channel.findtext("link"), channel.findtext("image/link"))


def test_rss_syndication_module_names_are_lower_camel_case(meta: FeedMeta, articles: list[Article]) -> None:
    """sy:updatePeriod and sy:updateFrequency are spelt as the RSS 1.0 module defines them."""
    channel = _rss_channel(meta, articles)
    names = {etree.QName(e).localname: e.text for e in channel.iterfind(f"{{{SY_NS}}}*")}
    assert {"updatePeriod": "hourly", "updateFrequency": "4"} == names


def test_feed_time_is_the_newest_item_update_not_now(meta: FeedMeta, articles: list[Article]) -> None:
    """updated/lastBuildDate/_syndication.updated come from the newest item's updated time."""
    newest = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # articles[1] was edited last
    atom_updated = _atom(meta, articles).findtext(f"{A}updated")
    rss_build = _rss_channel(meta, articles).findtext("lastBuildDate")
    json_updated = json.loads(render_json(meta, articles))["_syndication"]["updated"]
    assert (newest.isoformat(), "Mon, 23 Nov 2026 07:30:00 +0000", newest.isoformat()) == (
        atom_updated, rss_build, json_updated
    )


def test_rendering_twice_gives_identical_bytes(meta: FeedMeta, articles: list[Article]) -> None:
    """No build time or random value reaches the output: the same input gives the same bytes."""
    first = (render_rss(meta, articles), render_atom(meta, articles), render_json(meta, articles))
    second = (render_rss(meta, articles), render_atom(meta, articles), render_json(meta, articles))
    assert first == second


def test_empty_feed_is_valid_and_dated_by_a_fixed_time(meta: FeedMeta) -> None:
    """A feed without items is valid Atom and its time is fixed (not the build time)."""
    data = render_atom(meta, [])
    assert_valid_atom(data)
    assert EPOCH.isoformat() == etree.fromstring(data).findtext(f"{A}updated")


def test_atom_validates_against_rfc4287_schema(meta: FeedMeta, articles: list[Article]) -> None:
    """The Atom feed of varied articles is valid against RFC 4287's RELAX NG schema."""
    assert_valid_atom(render_atom(meta, articles))


def test_rss_item_has_guid_not_permalink_and_dc_creator(meta: FeedMeta, articles: list[Article]) -> None:
    """RSS items carry the tag: URI as a guid with isPermaLink="false" and the author as dc:creator."""
    item = _rss_channel(meta, articles).find("item")
    assert item is not None
    guid = item.find("guid")
    assert guid is not None
    expected = (article_tag_uri("www.pfalz-rundschau.example", articles[0]), "false", "Marc Fuchs")
    assert expected == (guid.text, guid.get("isPermaLink"), item.findtext("{http://purl.org/dc/elements/1.1/}creator"))


def test_rss_enclosure_has_type_and_length_where_known(meta: FeedMeta, articles: list[Article]) -> None:
    """Enclosures carry the MIME type; length is the known size, else 0 as RSS advises."""
    items = _rss_channel(meta, articles).findall("item")
    enclosures = [dict(item.find("enclosure").attrib) for item in items[:2]]  # type: ignore[union-attr]
    expected = [
        {"url": articles[0].image.url, "length": "0", "type": "image/jpeg"},  # type: ignore[union-attr]
        {"url": "https://www.pfalz-rundschau.example/bilder/werk.png", "length": "48213", "type": "image/png"},
    ]
    assert expected == enclosures


def _media_categories(media: etree._Element) -> list[tuple[str | None, str | None, str | None]]:
    return [(c.get("scheme"), c.get("label"), c.text) for c in media.findall(f"{M}category")]


AI_CATEGORY = (DIGITAL_SOURCE_TYPE_SCHEME, "Trained algorithmic media", AI_GENERATED_SOURCE_TYPE_URI)


def test_ai_generated_image_is_disclosed_in_caption_and_media_category(
    meta: FeedMeta, articles: list[Article]
) -> None:
    """An AI image says so in media:description and as a media:category in the IPTC digital source type scheme."""
    atom_media = _atom(meta, articles).find(f"{A}entry/{M}content")
    rss_media = _rss_channel(meta, articles).find(f"item/{M}content")
    assert atom_media is not None and rss_media is not None
    for media in (atom_media, rss_media):
        found = (media.findtext(f"{M}description"), media.findtext(f"{M}credit"), _media_categories(media))
        assert ("Gespräche in Florida (KI-generiertes Bild)", "Pfalz-Rundschau", [AI_CATEGORY]) == found


def test_feed_readers_see_the_disclosure_in_its_scheme_apart_from_the_topics(
    meta: FeedMeta, articles: list[Article]
) -> None:
    """feedparser reads the marker as a term of the IPTC scheme; the topics keep their own schemes."""
    for data in (render_rss(meta, articles[:1]), render_atom(meta, articles[:1])):
        tags = {(tag.scheme, tag.term) for tag in parse(data).entries[0].tags}
        assert {
            (meta.category_scheme, "Politik"),
            (meta.region_scheme, "Rheinland-Pfalz"),
            (meta.region_scheme, "Kaiserslautern"),
            (DIGITAL_SOURCE_TYPE_SCHEME, AI_GENERATED_SOURCE_TYPE_URI),
        } == tags


def test_photo_carries_no_ai_marker(meta: FeedMeta) -> None:
    """A camera photo has no AI label and no digital source type marker."""
    article = make_article(5, image=replace(make_article(5).image, ai_generated=False))  # type: ignore[type-var]
    media = _atom(meta, [article]).find(f"{A}entry/{M}content")
    assert media is not None
    assert ("Gespräche in Florida", []) == (media.findtext(f"{M}description"), _media_categories(media))


def test_feeds_use_only_well_known_namespaces(meta: FeedMeta, articles: list[Article]) -> None:
    """RSS and Atom (also as partners get it) declare and use no namespace validators would not know."""
    documents = (
        render_rss(meta, articles),
        render_atom(meta, articles),
        render_atom(meta, articles, options=AtomOptions(entry_rights="Nur für Partner.", full_content=False)),
    )
    assert [set(), set(), set()] == [unknown_namespaces(data) for data in documents]


def test_namespace_check_notices_a_private_namespace() -> None:
    """The namespace check is not vacuous: a private namespace, declared or used, is reported."""
    declared = b'<rss xmlns:x="urn:x-private:1" version="2.0"><channel/></rss>'
    used = b'<feed xmlns="http://www.w3.org/2005/Atom"><e xmlns="urn:x-private:2"/></feed>'
    assert [{"urn:x-private:1"}, {"urn:x-private:2"}] == [unknown_namespaces(declared), unknown_namespaces(used)]


def test_every_format_advertises_self_alternate_and_hub(meta: FeedMeta, articles: list[Article]) -> None:
    """Atom links self/alternate/hub; RSS has atom:link self and hub; JSON has feed_url, home page, hubs."""
    atom_links = {link.get("rel"): link.get("href") for link in _atom(meta, articles).findall(f"{A}link")}
    rss_links = {link.get("rel"): link.get("href") for link in _rss_channel(meta, articles).findall(f"{A}link")}
    document = json.loads(render_json(meta, articles))
    assert {"self": meta.self_url, "alternate": meta.alternate_url, "hub": meta.hub} == atom_links
    assert {"self": meta.self_url, "hub": meta.hub} == rss_links
    assert (meta.self_url, meta.alternate_url, [{"type": "WebSub", "url": meta.hub}]) == (
        document["feed_url"], document["home_page_url"], document["hubs"]
    )


def test_no_hub_link_without_a_hub(meta: FeedMeta, articles: list[Article]) -> None:
    """Without a configured hub no feed mentions one."""
    plain = replace(meta, hub=None)
    outputs = (render_atom(plain, articles), render_rss(plain, articles), render_json(plain, articles))
    assert [False, False, False] == [b"hub" in data for data in outputs]


def test_language_logo_icon_and_rights(meta: FeedMeta, articles: list[Article]) -> None:
    """xml:lang, logo, icon and rights on Atom; language, image and copyright on RSS."""
    feed = _atom(meta, articles)
    channel = _rss_channel(meta, articles)
    atom = (feed.get("{http://www.w3.org/XML/1998/namespace}lang"), feed.findtext(f"{A}logo"),
            feed.findtext(f"{A}icon"), feed.findtext(f"{A}rights"))
    rss = (channel.findtext("language"), channel.findtext("image/url"), channel.findtext("copyright"))
    assert ("de", meta.logo, meta.icon, meta.copyright) == atom
    assert ("de", meta.logo, meta.copyright) == rss


def test_atom_options_for_partners(meta: FeedMeta, articles: list[Article]) -> None:
    """Partners' options: entry rights on every entry, media credits left out, content optional."""
    options = AtomOptions(entry_rights="Nur für Vertragspartner.", media_credits=False)
    feed = _atom(meta, articles, options=options)
    summary_only = _atom(meta, articles, options=AtomOptions(full_content=False))
    assert_valid_atom(etree.tostring(feed))
    assert (["Nur für Vertragspartner."] * 4, 0, 0) == (
        [e.findtext(f"{A}rights") for e in feed.findall(f"{A}entry")],
        len(list(feed.iter(f"{M}credit"))),
        len(list(summary_only.iter(f"{A}content"))),
    )


def test_items_keep_the_given_order(meta: FeedMeta, articles: list[Article]) -> None:
    """Entries appear in the order given (feedgen would prepend each new entry)."""
    ids = [e.findtext(f"{A}id") for e in _atom(meta, articles).findall(f"{A}entry")]
    assert [article_tag_uri(meta.tag_authority, a) for a in articles] == ids


def test_entry_in_another_language_says_so(meta: FeedMeta) -> None:
    """An English article in a German feed gets xml:lang="en" on its Atom entry and language in JSON."""
    english = make_article(7, language="en")
    entry = _atom(meta, [english]).find(f"{A}entry")
    assert entry is not None
    assert ("en", "en") == (entry.get("{http://www.w3.org/XML/1998/namespace}lang"),
                            json.loads(render_json(meta, [english]))["items"][0]["language"])


def test_feeds_sharing_a_build_cache_have_the_bytes_of_feeds_rendered_alone(
    meta: FeedMeta, articles: list[Article]
) -> None:
    """RSS and Atom rendered with one cache (entries, images' media:content shared between the
    formats), an article given twice included, are byte for byte the feeds rendered alone."""
    feeds = [articles, [articles[1], articles[1], articles[0]], articles[1:]]
    cache = FragmentCache()
    shared = [render(meta, each, cache=cache) for each in feeds for render in (render_rss, render_atom)]
    alone = [render(meta, each) for each in feeds for render in (render_rss, render_atom)]
    assert alone == shared
