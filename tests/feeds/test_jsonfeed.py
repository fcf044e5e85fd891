"""JSON Feed 1.1: every required field, and the recommended ones, checked against a schema."""

from __future__ import annotations

import json

import jsonschema

from syndication.feeds.render import JSON_FEED_VERSION, FeedMeta, render_json
from syndication.model import Article, Image
from syndication.testing import make_article
from tests.feeds.conftest import with_updates

_URL = {"type": "string", "format": "uri"}
_AUTHOR = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "url": _URL, "avatar": _URL},
    "anyOf": [{"required": ["name"]}, {"required": ["url"]}, {"required": ["avatar"]}],
}

# JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) as a JSON Schema: "required" holds what
# the spec requires (version, title, items, item id, one of content_html/content_text) plus what
# it recommends and we always provide (home_page_url, feed_url, item url and dates).
JSON_FEED_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "title", "items", "home_page_url", "feed_url", "language"],
    "properties": {
        "version": {"const": JSON_FEED_VERSION},
        "title": {"type": "string", "minLength": 1},
        "home_page_url": _URL,
        "feed_url": _URL,
        "description": {"type": "string"},
        "icon": _URL,
        "favicon": _URL,
        "authors": {"type": "array", "items": _AUTHOR},
        "language": {"type": "string", "pattern": "^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
        "hubs": {
            "type": "array",
            "items": {"type": "object", "required": ["type", "url"],
                      "properties": {"type": {"type": "string"}, "url": _URL}},
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "url", "title", "date_published", "date_modified"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": _URL,
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "summary": {"type": "string"},
                    "image": _URL,
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "authors": {"type": "array", "items": _AUTHOR},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "language": {"type": "string"},
                    "attachments": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["url", "mime_type"],
                            "properties": {"url": _URL, "mime_type": {"type": "string", "pattern": ".+/.+"},
                                           "title": {"type": "string"},
                                           "size_in_bytes": {"type": "integer", "minimum": 0}},
                        },
                    },
                },
            },
        },
    },
}


def test_json_feed_matches_the_schema(meta: FeedMeta, articles: list[Article]) -> None:
    """The JSON Feed of varied articles has every required and recommended field, well typed."""
    document = json.loads(render_json(meta, articles))
    errors = [e.message for e in jsonschema.Draft202012Validator(
        JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker()).iter_errors(document)]
    assert [] == errors


def test_schema_rejects_an_item_without_id(meta: FeedMeta, articles: list[Article]) -> None:
    """The schema is strict enough to notice a missing item id (the check can fail)."""
    document = json.loads(render_json(meta, articles))
    del document["items"][0]["id"]
    assert False is jsonschema.Draft202012Validator(
        JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker()).is_valid(document)


def test_ai_image_extension_in_json(meta: FeedMeta, articles: list[Article]) -> None:
    """The _syndication extension marks the AI image and names its credit; the caption discloses it."""
    image = json.loads(render_json(meta, articles))["items"][0]["_syndication"]["image"]
    assert (True, "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
            "Gespräche in Florida (KI-generiertes Bild)", "Pfalz-Rundschau") == (
        image["ai_generated"], image["digital_source_type"], image["caption"], image["credit"])


def test_json_feed_bytes_are_json_dumps_bytes_whatever_the_values(meta: FeedMeta) -> None:
    """The JSON Feed is byte for byte what json.dumps writes, also for values orjson would write
    otherwise or refuse: a float image size, an int beyond 64 bits, characters json escapes."""
    odd = Image(url="/bild.png", caption='Ein "Bild"\n\x7f\u2028 – ✓', width=1e16, height=600.5, length=2**70)  # type: ignore[arg-type]
    articles = [
        with_updates(make_article(1), image=odd, title="Tab\tund \\ Schrägstrich 😀"),
        with_updates(make_article(2), image=Image(url="/b.png", length=48213, width=800, height=600)),
    ]
    data = render_json(meta, articles)
    document = json.loads(data)
    assert json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n" == data
    item = document["items"][0]
    assert [1e16, 2**70] == [item["_syndication"]["image"]["width"], item["attachments"][0]["size_in_bytes"]]
