"""Shared helpers for the feeds tests: a feed's metadata, varied articles, the Atom schema."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from syndication.feeds.render import FeedMeta
from syndication.feedwriter.formats import NAMESPACES
from syndication.model import Article, Author, Image
from syndication.testing import make_article

ATOM_RNG = Path(__file__).resolve().parent.parent / "data" / "atom" / "atom.rng"


@pytest.fixture
def meta() -> FeedMeta:
    return FeedMeta(
        id="tag:www.pfalz-rundschau.example,2026:feed:all",
        title="Pfalz-Rundschau",
        self_url="https://www.pfalz-rundschau.example/feeds/all.atom",
        alternate_url="https://www.pfalz-rundschau.example/",
        tag_authority="www.pfalz-rundschau.example",
        language="de",
        description="Nachrichten aus Rheinland-Pfalz und Kaiserslautern",
        logo="https://www.pfalz-rundschau.example/logo.png",
        icon="https://www.pfalz-rundschau.example/favicon.png",
        copyright="© 2026 Pfalz-Rundschau GmbH",
        hub="https://hub.example/",
        publisher="Pfalz-Rundschau",
        category_scheme="https://www.pfalz-rundschau.example/feeds/category/",
        region_scheme="https://www.pfalz-rundschau.example/feeds/region/",
        extension_docs="https://www.pfalz-rundschau.example/feeds/json-feed-extension.html",
    )


def varied_articles() -> list[Article]:
    """Reference-shaped articles that differ where feeds differ: image or none, author or none, edits."""
    first = make_article(1)
    edited = make_article(
        2,
        categories=("Wirtschaft", "Politik"),
        regions=("Südwest",),
        updated=datetime(2026, 11, 23, 7, 30, tzinfo=UTC),
        image=Image(url="/bilder/werk.png", alt="Werkshalle", caption="Die Werkshalle", credit="Foto: Archiv",
                    mime_type="image/png", length=48213, width=800, height=600),
    )
    no_image = make_article(3, image=None, author=Author(name="Jana Weiß"), author_quote="Ein anderes Zitat.")
    no_author = make_article(4, author=None, author_quote=None, categories=(), regions=())
    return [first, edited, no_image, no_author]


@pytest.fixture
def articles() -> list[Article]:
    return varied_articles()


def parse(data: bytes) -> Any:
    """feedparser's view of a feed, without its HTML sanitizer (we compare content exactly)."""
    return feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)


def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(ATOM_RNG)))


def assert_valid_atom(data: bytes) -> None:
    schema = atom_schema()
    document = etree.fromstring(data)
    valid = schema.validate(document)
    assert valid, str(schema.error_log)


def unknown_namespaces(data: bytes) -> set[str]:
    """Namespaces a feed declares or uses beyond the well-known ones (a validator warns on each)."""
    found: set[str] = set()
    for element in etree.fromstring(data).iter():
        if not isinstance(element.tag, str):
            continue
        found.update(uri for uri in element.nsmap.values() if uri)
        found.update(etree.QName(name).namespace or "" for name in (element.tag, *element.attrib))
    return found - NAMESPACES - {""}


def with_updates(article: Article, **changes: Any) -> Article:
    return replace(article, **changes).with_hash()
