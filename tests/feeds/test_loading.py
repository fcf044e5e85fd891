"""The feeds' own article loader gives what the store's gives."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.feeds.loading import article_from_stored, load_articles
from syndication.html import SANITIZER_POLICY
from syndication.model import Article, Author, Image, Status, article_from_dict, article_to_dict
from syndication.store.articles import ArticleStore
from syndication.testing import make_article


def _variety() -> list[Article]:
    plain = dataclasses.replace(
        make_article(3),
        author=Author(name="Ohne Bild"),
        image=Image(url="https://example.org/a.png"),
        sources=(),
        sections=(),
        body_html="<p>Nur ein Text</p>",
        author_quote=None,
        priority=4,
        status=Status.RETRACTED,
    )
    return [make_article(1), make_article(2), plain, dataclasses.replace(make_article(4), author=None, image=None)]


def _same(expected: Article, actual: Article) -> None:
    assert expected == actual
    assert (hash(expected), repr(expected)) == (hash(actual), repr(actual))
    assert dataclasses.asdict(expected) == dataclasses.asdict(actual)


def test_each_stored_article_is_the_stores_own() -> None:
    """Every shape of article (list items with kinds, portraits, no image, no sections) decodes equal."""
    for article in _variety():
        data = orjson.loads(orjson.dumps(article_to_dict(article)))
        _same(article_from_dict(data), article_from_stored(data))


def test_missing_keys_take_the_models_defaults() -> None:
    """A row written by an older version (optional keys absent) decodes as the model decodes it."""
    data: dict[str, Any] = {
        "id": "a", "source": "s", "external_id": "e", "url": "https://example.org/a", "title": "T",
        "published": "2026-11-23T06:00:00+00:00", "updated": "2026-11-23T06:00:00+00:00",
        "sections": [{"role": "outlook", "items": [{"text": "x"}, {"text": "y", "kind": "risk"}]}],
        "sources": [{"title": "Q", "url": "https://example.org/q"}],
    }  # fmt: skip
    _same(article_from_dict(data), article_from_stored(data))


def test_an_unknown_value_fails_as_the_model_fails() -> None:
    """An unknown section role is the model's error (ValueError), not a lookup's."""
    data = article_to_dict(make_article(1))
    data["sections"][0]["role"] = "no-such-role"
    with pytest.raises(ValueError):
        article_from_dict(data)
    with pytest.raises(ValueError):
        article_from_stored(data)


def test_load_articles_is_get_many(engine: Engine, clock: FixedClock) -> None:
    """The same articles in the order asked, repeats kept and unknown ids left out, as get_many."""
    store = ArticleStore(engine)
    store.upsert_many([(article, None) for article in _variety()], clock.now())
    ids = [a.id for a in reversed(_variety())]
    wanted = [ids[0], "unknown", *ids, ids[1]]
    expected, actual = store.get_many(wanted), load_articles(engine, wanted)
    assert len(expected) == len(actual)
    # Both carry the store's sanitizer mark (asdict compares it): the plain article's body is clean.
    assert SANITIZER_POLICY == actual[ids.index(_variety()[2].id) + 1].html_sanitized_by
    for each_expected, each_actual in zip(expected, actual, strict=True):
        _same(each_expected, each_actual)
