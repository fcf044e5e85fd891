"""Hostile article input still yields valid, safe feeds in every format."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import jsonschema
import pytest

from syndication.feeds.content import DIGITAL_SOURCE_TYPE_SCHEME
from syndication.feeds.render import FeedMeta, render_atom, render_json, render_rss
from syndication.model import Article, Author, Image, Section, SectionRole, SourceLink
from syndication.testing import make_article
from tests.feeds.conftest import assert_valid_atom, parse, unknown_namespaces
from tests.feeds.test_jsonfeed import JSON_FEED_SCHEMA

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_URL_ATTRIBUTE = re.compile(r'(?:href|src)="([^"]*)"')
_DANGEROUS = ("<script", "onerror", "onclick", "javascript:", "<iframe", "<style")


def hostile_article() -> Article:
    base = make_article(1)
    big_paragraph = "<p>" + ("Sehr langer Absatz mit Umlauten äöü und „Anführungszeichen“. " * 80) + "</p>"
    megabyte = big_paragraph * (1_000_000 // len(big_paragraph) + 1)
    sections = (
        Section(
            SectionRole.SUMMARY,
            "Worum\x0b es <b>geht",
            '<p>Nicht geschlossen <b>fett <a href="/relativ/link" onclick="evil()">relativ</a>'
            '<script>alert("x")</script><img src="bild.jpg" onerror="steal()">'
            '<a href="javascript:alert(1)">böse</a><iframe src="https://evil.example/"></iframe>'
            "<style>body{display:none}</style>\x00\x08 Steuerzeichen\ufffe",
        ),
        Section(SectionRole.BACKGROUND, "Hintergrund", megabyte),
        Section(SectionRole.OUTLOOK, "Ausblick", "<p>Offen <i>kursiv"),
    )
    return replace(
        base,
        title='Titel\x00\x07 mit <script>alert("t")</script> Steuerzeichen\x1b & Ampersand',
        teaser="Vorspann <b>ungeschlossen\x0c",
        author=Author(name="<b>Marc</b> Fuchs\x01", url="/autor/marc-fuchs/"),
        image=Image(url="bilder/x.jpg", alt="Alt<script>x</script>", caption="<script>x</script>Bildtext\x02",
                    credit="Agentur\x03", ai_generated=True, mime_type="image/jpeg"),
        categories=("Pol\x0citik", "<i>Kultur</i>"),
        regions=("Südwest\x1f",),
        sections=sections,
        sources=(SourceLink("Quelle", "javascript:alert(1)"), SourceLink("Relative Quelle", "/quelle")),
        author_quote="Ein Zitat \ufffe mit <script>alert(2)</script> Markup",
        body_html="",
    ).with_hash()


@pytest.fixture(scope="module")
def hostile() -> list[Article]:
    return [hostile_article(), make_article(2)]


def _assert_safe_html(markup: str) -> None:
    lowered = markup.lower()
    assert [] == [word for word in _DANGEROUS if word in lowered]
    urls = _URL_ATTRIBUTE.findall(markup)
    assert [] == [url for url in urls if not url.startswith("https://")]


def test_hostile_rss_is_valid_and_safe(meta: FeedMeta, hostile: list[Article]) -> None:
    """RSS from hostile input parses without bozo; content has no script and only absolute links."""
    data = render_rss(meta, hostile)
    parsed = parse(data)
    assert (False, None, set()) == (
        bool(parsed.bozo), _XML_INVALID.search(data.decode("utf-8")), unknown_namespaces(data)
    )
    _assert_safe_html(parsed.entries[0].content[0].value)
    assert b"&lt;script" not in data


def test_hostile_atom_is_valid_and_safe(meta: FeedMeta, hostile: list[Article]) -> None:
    """Atom from hostile input is schema-valid, parses without bozo, and its content is safe."""
    data = render_atom(meta, hostile)
    assert_valid_atom(data)
    parsed = parse(data)
    assert (False, set()) == (bool(parsed.bozo), unknown_namespaces(data))
    _assert_safe_html(parsed.entries[0].content[0].value)
    assert b"&lt;script" not in data


def test_hostile_json_feed_is_valid_and_safe(meta: FeedMeta, hostile: list[Article]) -> None:
    """JSON Feed from hostile input matches the schema and its content is safe."""
    document = json.loads(render_json(meta, hostile))
    jsonschema.validate(document, JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker())
    _assert_safe_html(document["items"][0]["content_html"])
    assert "<script" not in json.dumps(document, ensure_ascii=False)


def test_hostile_text_fields_become_plain_text(meta: FeedMeta, hostile: list[Article]) -> None:
    """Title, author and categories lose markup, scripts and control characters but keep their words."""
    entry = parse(render_atom(meta, hostile)).entries[0]
    expected = ("Titel mit Steuerzeichen & Ampersand", "Marc Fuchs", ["Politik", "Kultur", "Südwest"])
    topics = [tag.term for tag in entry.tags if tag.scheme != DIGITAL_SOURCE_TYPE_SCHEME]
    assert expected == (entry.title, entry.author, topics)


def test_relative_links_become_absolute_against_the_article(meta: FeedMeta, hostile: list[Article]) -> None:
    """Relative links, images, author and source URLs are resolved against the article URL."""
    item = json.loads(render_json(meta, hostile))["items"][0]
    base = "https://www.pfalz-rundschau.example/2026/11/artikel-1/"
    found = [f'href="{base}bild.jpg"' in item["content_html"] or f'src="{base}bild.jpg"' in item["content_html"],
             'href="https://www.pfalz-rundschau.example/relativ/link"' in item["content_html"],
             item["image"], item["authors"][0]["url"]]
    assert [True, True, f"{base}bilder/x.jpg", "https://www.pfalz-rundschau.example/autor/marc-fuchs/"] == found


def test_megabyte_body_is_kept_whole(meta: FeedMeta, hostile: list[Article]) -> None:
    """A 1 MB section is carried in full, not truncated."""
    document = json.loads(render_json(meta, hostile))
    assert len(document["items"][0]["content_html"]) > 1_000_000
