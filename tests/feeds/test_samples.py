"""The bundled sample articles (content/) go through collect and come back out of every feed intact."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.feeds.content import DIGITAL_SOURCE_TYPE_SCHEME, feed_item
from syndication.feeds.publish import build_and_publish
from syndication.feedwriter.formats import article_tag_uri
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore
from tests.feeds.conftest import assert_valid_atom, parse, unknown_namespaces


def _time(parsed: object) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)  # type: ignore[arg-type]


def test_every_sample_article_round_trips_through_every_format(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Each sample article's title, link, id, dates, author, categories, content and image come back out."""
    store = ArticleStore(engine)
    run_collect(settings, store, clock)
    articles = store.all()
    if not articles:
        pytest.skip("no sample article in content/ could be collected")
    runtime = Runtime(settings=settings, clock=clock)
    runtime.__dict__["engine"] = engine
    build_and_publish(runtime.settings, runtime.engine)
    public = settings.public_dir / "feeds"
    authority = "localhost"
    expected = []
    for article in articles:
        item = feed_item(article, "de")
        expected.append((item.title, article.url, article_tag_uri(authority, article), article.published,
                         item.updated, item.author_name, list(item.categories + item.regions), item.content_html,
                         item.image.url if item.image else None))
    atom_bytes = (public / "all.atom").read_bytes()
    assert_valid_atom(atom_bytes)
    for name in ("all.rss", "all.atom"):
        parsed = parse((public / name).read_bytes())
        assert (False, set()) == (bool(parsed.bozo), unknown_namespaces((public / name).read_bytes()))
        actual = [(e.title, e.link, e.id, _time(e.published_parsed), _time(e.updated_parsed), e.get("author"),
                   [t.term for t in e.get("tags", []) if t.scheme != DIGITAL_SOURCE_TYPE_SCHEME], e.content[0].value,
                   e.media_content[0]["url"] if e.get("media_content") else None) for e in parsed.entries]
        assert expected == actual
    document = json.loads((public / "all.json").read_bytes())
    actual_json = [(i["title"], i["url"], i["id"], datetime.fromisoformat(i["date_published"]),
                    datetime.fromisoformat(i["date_modified"]), i["authors"][0]["name"] if "authors" in i else None,
                    i["_syndication"]["categories"] + i["_syndication"]["regions"], i["content_html"], i.get("image"))
                   for i in document["items"]]
    assert expected == actual_json
