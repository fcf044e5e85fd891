"""Article → IPTC ninjs 3.1: schema-valid items, stable ids, rights and AI disclosure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.html import quote_repeats
from syndication.model import Article, Author, Image, SourceLink, Status
from syndication.partners.ninjs import AI_GENERATED, as_uri, item_uri, to_ninjs
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore
from syndication.testing import OUTLOOK_TEXT, make_article

from .helpers import default_terms, schema_errors

PLAIN_IMAGE = Image(url="https://www.pfalz-rundschau.example/bilder/rathaus.jpg", alt="Rathaus",
                    caption="Das Rathaus", credit="Foto: Stadt Kaiserslautern", mime_type="image/jpeg")

VARIANTS: dict[str, tuple[Article, dict[str, Any]]] = {
    "with AI image": (make_article(1), {}),
    "without image": (make_article(2, image=None), {}),
    "with photographed image": (make_article(3, image=PLAIN_IMAGE), {}),
    "retracted": (make_article(4, status=Status.RETRACTED, version=3), {}),
    "under embargo terms": (make_article(5), {"embargo_minutes": 90}),
    "summary only": (make_article(6), {"summary_only": True}),
    "without author and teaser": (make_article(7, author=None, teaser="", categories=(), regions=()), {}),
    "relative image and source URLs": (
        make_article(9, image=replace(PLAIN_IMAGE, url="/bilder/rathaus.jpg"),
                     sources=(SourceLink("Pressemitteilung", "/presse/1"),)),
        {},
    ),
    "non-ASCII URLs": (
        make_article(8, url="https://www.pfalz-rundschau.example/2026/11/straße-über-brücke/",
                     image=replace(PLAIN_IMAGE, url="https://www.pfalz-rundschau.example/bilder/Grün Fläche.jpg")),
        {},
    ),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_validates_against_ninjs_schema(name: str, ninjs_validator: Draft202012Validator) -> None:
    """Every kind of article gives an item that the ninjs 3.1 schema (with format checks) accepts."""
    article, terms = VARIANTS[name]
    assert [] == schema_errors(ninjs_validator, to_ninjs(article, default_terms(**terms)))


def test_validator_rejects_a_broken_item(ninjs_validator: Draft202012Validator) -> None:
    """The schema check is not vacuous: wrong shapes and formats are reported."""
    broken = {"uri": "kein uri", "headlines": "Titel", "versionCreated": "gestern", "pubStatus": "live"}
    assert 4 == len(schema_errors(ninjs_validator, broken))


def test_sample_articles_validate(
    settings: Settings, engine: Engine, clock: FixedClock, ninjs_validator: Draft202012Validator
) -> None:
    """Every bundled sample article, collected from content/, becomes a valid ninjs item."""
    store = ArticleStore(engine)
    report = run_collect(settings, store, clock)
    stored = store.all()
    assert [] == [str(error) for error in report.errors]
    assert len(stored) >= 5
    errors = {a.external_id: schema_errors(ninjs_validator, to_ninjs(a, default_terms())) for a in stored}
    assert {a.external_id: [] for a in stored} == errors


def test_sample_ai_images_carry_digital_source_type(settings: Settings, engine: Engine, clock: FixedClock) -> None:
    """Each sample article with an AI-generated lead image says so in ninjs; the others do not."""
    store = ArticleStore(engine)
    run_collect(settings, store, clock)
    for article in store.all():
        if article.image is None:
            continue
        picture = to_ninjs(article, default_terms())["associations"][0]
        expected = AI_GENERATED if article.image.ai_generated else None
        assert expected == picture.get("digitalSourceType")


def test_ai_generated_image_carries_digital_source_type() -> None:
    """An AI-generated lead image is marked trainedAlgorithmicMedia and labelled in the article's language."""
    picture = to_ninjs(make_article(), default_terms())["associations"][0]
    assert (
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        "picture",
        "featureimage",
    ) == (picture["digitalSourceType"]["uri"], picture["type"], picture["name"])
    assert {"role": "disclosure", "contentType": "text/plain", "value": "KI-generiertes Bild"} in picture[
        "descriptions"
    ]


def test_photographed_image_has_no_digital_source_type_but_credit_and_rendition() -> None:
    """A normal photo gets no AI marker; its credit and rendition travel with it."""
    picture = to_ninjs(make_article(image=PLAIN_IMAGE), default_terms())["associations"][0]
    assert "digitalSourceType" not in picture
    assert "Foto: Stadt Kaiserslautern" == picture["by"]
    assert [{"name": "original", "href": PLAIN_IMAGE.url, "contentType": "image/jpeg", "title": "Rathaus"}] == (
        picture["renditions"]
    )


def test_uri_never_changes_when_the_article_does() -> None:
    """The uri comes from the article id: a new title, URL and version keep it."""
    first = make_article(1)
    edited = replace(first, title="Neuer Titel", url="https://example.de/neu", version=2)
    assert to_ninjs(first, default_terms())["uri"] == to_ninjs(edited, default_terms())["uri"]
    assert item_uri(first.id) == to_ninjs(first, default_terms())["uri"]


def test_core_fields() -> None:
    """Version, times, status, language, headline, byline and subjects come from the article."""
    article = make_article(2, version=4, updated=datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    item = to_ninjs(article, default_terms())
    assert {
        "type": "text",
        "version": "4",
        "firstCreated": "2026-11-23T04:00:00Z",
        "versionCreated": "2026-11-23T09:30:00Z",
        "pubStatus": "usable",
        "language": "de",
        "by": "Marc Fuchs",
    } == {key: item[key] for key in ("type", "version", "firstCreated", "versionCreated", "pubStatus",
                                     "language", "by")}
    assert [{"role": "main", "contentType": "text/plain", "value": article.title}] == item["headlines"]
    assert [
        {"name": "Politik", "rel": "category", "literal": "category:Politik"},
        {"name": "Rheinland-Pfalz", "rel": "region", "literal": "region:Rheinland-Pfalz"},
        {"name": "Kaiserslautern", "rel": "region", "literal": "region:Kaiserslautern"},
    ] == item["subjects"]


def test_rights_fields_come_from_terms() -> None:
    """Copyright holder, notice, usage terms and the linked licence are the partner's terms."""
    terms = default_terms(rights_text="Nur online.", attribution="Quelle: PR", licence_url="https://pr.example/l")
    item = to_ninjs(make_article(), terms)
    assert (
        "Pfalz-Rundschau GmbH",
        "© Pfalz-Rundschau",
        "Nur online. Quelle: PR. https://pr.example/l",
        {"linkedRights": "https://pr.example/l"},
    ) == (item["copyrightHolder"], item["copyrightNotice"], item["usageTerms"], item["rightsInfo"])


def test_full_body_is_sanitized_with_absolute_links() -> None:
    """The body is the full HTML, without scripts and with links made absolute against the article URL."""
    article = make_article(body_html='<p>Text <a href="/andere">mehr</a></p><script>alert(1)</script>')
    body = to_ninjs(article, default_terms())["bodies"][0]
    expected = '<p>Text <a href="https://www.pfalz-rundschau.example/andere">mehr</a></p>'
    assert ("main", "text/html", expected, 2) == (body["role"], body["contentType"], body["value"],
                                                  body["wordCount"])


def test_author_quote_ends_the_body_unless_it_repeats_the_outlook() -> None:
    """A distinct author quote is appended as a blockquote; one repeating the outlook is not doubled."""
    repeated = to_ninjs(make_article(), default_terms())["bodies"][0]["value"]
    distinct = to_ninjs(make_article(author_quote="Ein „eigenes“ Zitat."), default_terms())["bodies"][0]["value"]
    assert (1, False) == (repeated.count("Ob aus dem Treffen in Florida"), "<blockquote>" in repeated)
    assert distinct.endswith("<blockquote><p>Ein „eigenes“ Zitat.</p><p>— <cite>Marc Fuchs</cite></p></blockquote>")


def test_author_quote_in_nested_quotation_marks_is_kept_as_the_feeds_keep_it() -> None:
    """Marks inside the quote's outer marks (after a space) are words of the quote for ninjs as for the feeds."""
    quote = f"„ ‚{OUTLOOK_TEXT}‘ “"
    article = make_article(author_quote=quote)
    body = to_ninjs(article, default_terms())["bodies"][0]["value"]
    assert (False, True) == (quote_repeats(quote, article.outlook.html), "<blockquote>" in body)  # type: ignore[union-attr]


def test_summary_only_has_teaser_and_link_but_no_full_text() -> None:
    """A summary-only partner gets the teaser and a link back, marked as a partial representation."""
    article = make_article()
    item = to_ninjs(article, default_terms(summary_only=True))
    body = item["bodies"][0]["value"]
    assert ("partial", "summary") == (item["representationType"], item["bodies"][0]["role"])
    assert article.teaser in body and article.url in body
    assert "Wichtigste Fakten" not in body


def test_retracted_article_is_canceled_without_content() -> None:
    """A retracted article is a canceled item: still named, but nothing to republish."""
    item = to_ninjs(make_article(status=Status.RETRACTED, version=2), default_terms())
    assert ("canceled", "2") == (item["pubStatus"], item["version"])
    assert {"bodies", "associations", "descriptions"}.isdisjoint(item)


def test_embargo_is_stated_when_the_partner_has_one() -> None:
    """embargoedUntil is the publication time plus the partner's embargo; absent without one."""
    article = make_article(1)
    assert "2026-11-23T06:30:00Z" == to_ninjs(article, default_terms(embargo_minutes=90))["embargoedUntil"]
    assert "embargoedUntil" not in to_ninjs(article, default_terms())


def test_as_uri_encodes_what_uris_cannot_hold() -> None:
    """Umlauts, spaces and international host names are encoded; plain URLs stay as they are."""
    expected = "https://xn--mnchen-3ya.example/stra%C3%9Fe%20a?q=%C3%BC#x"
    assert expected == as_uri("https://münchen.example/straße a?q=ü#x")
    assert "https://example.de/a/b?c=d&e=f" == as_uri("https://example.de/a/b?c=d&e=f")


def test_script_and_data_urls_are_not_passed_on() -> None:
    """A javascript: picture or data: source URL never becomes a ninjs rendition href or infoSource uri."""
    article = make_article(
        1,
        image=replace(PLAIN_IMAGE, url="javascript:alert(1)"),
        sources=(SourceLink("Böse", "data:text/html,<script>alert(2)</script>"), SourceLink("Gut", "/presse/1")),
    )
    item = to_ninjs(article, default_terms())
    expected = ("text-only", None, ["https://www.pfalz-rundschau.example/presse/1"])
    actual = (
        item["profile"],
        item.get("associations"),
        [source["uri"] for source in item["infoSources"] if source["role"] == "source"],
    )
    assert expected == actual


# -- hostile text --------------------------------------------------------------------------

_TAG = re.compile(r"<\s*[A-Za-z/!?]")
_TEXT_ARRAYS = ("headlines", "descriptions", "bodies")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SCRIPT = '<script>alert("x")</script>'


def hostile_article() -> Article:
    """Markup, script bodies and control characters in every text an article carries."""
    return make_article(
        1,
        title=f"Böse </title>{SCRIPT}<b>Überschrift</b>\x07",
        teaser=f"Vorspann <i>kursiv</i>{SCRIPT}\x0c",
        author=Author(name=f"<b>Marc</b> Fuchs{SCRIPT}\x01", url="/autor/marc-fuchs/"),
        image=Image(url="bilder/x.jpg", alt=f"Alt<img src=x onerror=alert(1)>{SCRIPT}",
                    caption=f"{SCRIPT}<em>Bildtext</em>\x02", credit="<a href='https://evil.example'>Agentur</a>",
                    ai_generated=True, mime_type="image/jpeg"),
        categories=("Pol\x0citik", f"<i>Kultur</i>{SCRIPT}"),
        regions=("<u>Südwest</u>",),
        sources=(SourceLink(f"<b>Quelle</b>{SCRIPT}", "https://quelle.example/a"),),
        author_quote=f"Ein Zitat {SCRIPT} mit <b>Markup</b>",
    )


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every value in a ninjs item."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}/{key}")
            yield path, key, node
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}/{index}")


def _plain_text_problems(item: dict[str, Any]) -> list[str]:
    problems = []
    for path, key, parent in _strings(item):
        value = parent[key]
        if key in _TEXT_ARRAYS:
            problems += [f"{path}/{key}: no contentType" for text in value if "contentType" not in text]
        if not isinstance(value, str) or (key == "value" and parent.get("contentType") == "text/html"):
            continue
        if _TAG.search(value) or "alert" in value or _XML_INVALID.search(value):
            problems.append(f"{path}/{key}: {value!r}")
    return problems


@pytest.mark.parametrize("terms", [{}, {"summary_only": True}], ids=["full", "summary only"])
def test_every_text_field_of_a_hostile_article_is_plain_text(
    terms: dict[str, Any], ninjs_validator: Draft202012Validator
) -> None:
    """Headlines, descriptions, by, subjects, caption, credit and source names carry no markup; all typed."""
    item = to_ninjs(hostile_article(), default_terms(**terms))
    assert ([], []) == (_plain_text_problems(item), schema_errors(ninjs_validator, item))


def test_hostile_text_keeps_its_words() -> None:
    """Plain text keeps what a reader should see: words, umlauts, the caption as a typed headline."""
    item = to_ninjs(hostile_article(), default_terms())
    picture = item["associations"][0]
    assert (
        "Böse Überschrift",
        "Vorspann kursiv",
        "Marc Fuchs",
        ["Politik", "Kultur", "Südwest"],
        [{"role": "caption", "contentType": "text/plain", "value": "Bildtext"}],
        "Agentur",
        "Quelle",
    ) == (
        item["headlines"][0]["value"],
        item["descriptions"][0]["value"],
        item["by"],
        [subject["name"] for subject in item["subjects"]],
        picture["headlines"],
        picture["by"],
        item["infoSources"][1]["name"],
    )


def test_the_checker_finds_markup_in_a_plain_text_field() -> None:
    """The plain-text check is not vacuous: a tag in a headline or a caption without type is reported."""
    item = to_ninjs(make_article(1), default_terms())
    item["headlines"][0]["value"] = "Böse </title><script>"
    item["associations"][0]["headlines"] = [{"role": "caption", "value": "Bild"}]
    assert 2 == len(_plain_text_problems(item))
