"""Round trip: what a feed reader parses back is exactly what the article says."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from syndication.feeds.content import (
    AI_GENERATED_SOURCE_TYPE_URI,
    DIGITAL_SOURCE_TYPE_SCHEME,
    feed_item,
)
from syndication.feeds.render import FeedMeta, render_atom, render_json, render_rss
from syndication.feedwriter.formats import article_tag_uri
from syndication.model import Article
from tests.feeds.conftest import parse


def _time(parsed: Any) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _expected(meta: FeedMeta, article: Article) -> dict[str, Any]:
    item = feed_item(article, meta.language)
    return {
        "title": article.title,
        "link": article.url,
        "id": article_tag_uri(meta.tag_authority, article),
        "published": article.published,
        "updated": article.updated,
        "author": article.author.name if article.author else None,
        "categories": list(article.categories) + list(article.regions),
        "content": item.content_html,
        "image": item.image.url if item.image else None,
        "credit": item.image.credit if item.image else None,
        "digital_source_type": [AI_GENERATED_SOURCE_TYPE_URI] if item.image and item.image.ai_generated else [],
    }


def _from_feedparser(entry: Any) -> dict[str, Any]:
    media = entry.get("media_content") or []
    return {
        "title": entry.title,
        "link": entry.link,
        "id": entry.id,
        "published": _time(entry.published_parsed),
        "updated": _time(entry.updated_parsed),
        "author": entry.get("author"),
        "categories": [tag.term for tag in entry.get("tags", []) if tag.scheme != DIGITAL_SOURCE_TYPE_SCHEME],
        "content": entry.content[0].value,
        "image": media[0]["url"] if media else None,
        "credit": entry.media_credit[0]["content"] if media else None,
        "digital_source_type": [tag.term for tag in entry.get("tags", []) if tag.scheme == DIGITAL_SOURCE_TYPE_SCHEME],
    }


@pytest.mark.parametrize("render", [render_rss, render_atom], ids=["rss", "atom"])
def test_feedparser_reads_back_every_article(render: Any, meta: FeedMeta, articles: list[Article]) -> None:
    """feedparser parses the feed without complaint and gets every article's fields back unchanged."""
    parsed = parse(render(meta, articles))
    assert (False, len(articles)) == (bool(parsed.bozo), len(parsed.entries))
    for article, entry in zip(articles, parsed.entries, strict=True):
        expected = _expected(meta, article)
        assert expected == _from_feedparser(entry)


@pytest.mark.parametrize("render", [render_rss, render_atom], ids=["rss", "atom"])
def test_feedparser_reads_feed_metadata(render: Any, meta: FeedMeta, articles: list[Article]) -> None:
    """Title, language, rights and the alternate link of the feed come back as rendered."""
    feed = parse(render(meta, articles)).feed
    assert (meta.title, "de", meta.copyright, meta.alternate_url) == (
        feed.title, feed.language, feed.rights, feed.link
    )


def test_json_feed_reads_back_every_article(meta: FeedMeta, articles: list[Article]) -> None:
    """The JSON Feed items carry every article's fields (feedparser 6.0 does not read JSON Feed)."""
    document = json.loads(render_json(meta, articles))
    for article, item in zip(articles, document["items"], strict=True):
        expected = _expected(meta, article)
        actual = {
            "title": item["title"],
            "link": item["url"],
            "id": item["id"],
            "published": datetime.fromisoformat(item["date_published"]),
            "updated": datetime.fromisoformat(item["date_modified"]),
            "author": item["authors"][0]["name"] if "authors" in item else None,
            "categories": item["_syndication"]["categories"] + item["_syndication"]["regions"],
            "content": item["content_html"],
            "image": item.get("image"),
            "credit": item["_syndication"]["image"]["credit"] if "image" in item else None,
            "digital_source_type": [
                uri for uri in [item["_syndication"].get("image", {}).get("digital_source_type")] if uri
            ],
        }
        assert expected == actual


def test_stable_id_survives_new_title_url_and_slug(meta: FeedMeta, articles: list[Article]) -> None:
    """Renaming an article and moving its URL keeps its id in every format."""
    from dataclasses import replace

    moved = replace(articles[0], title="Neuer Titel", url="https://www.pfalz-rundschau.example/neu/")
    before = [parse(render_atom(meta, [articles[0]])).entries[0].id, json.loads(render_json(meta, [articles[0]]))]
    after = [parse(render_atom(meta, [moved])).entries[0].id, json.loads(render_json(meta, [moved]))]
    assert (before[0], before[1]["items"][0]["id"]) == (after[0], after[1]["items"][0]["id"])
