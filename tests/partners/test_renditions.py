"""Image renditions in ninjs: what each rendition is, its AI disclosure, the picture's rights; expires."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from syndication.model import Image
from syndication.partners.ninjs import picture, to_ninjs
from syndication.testing import make_article

from .helpers import default_terms, schema_errors

AI_IMAGE = Image(url="https://www.pfalz-rundschau.example/bilder/wald.webp", alt="Ein Wald", ai_generated=True,
                 width=1600, height=900, length=240511)


def test_rendition_says_what_it_is_and_carries_the_disclosure() -> None:
    """The rendition has MIME type (from the file name when not given), size in pixels and bytes, and the
    AI disclosure in its title; the picture has the licence and usage terms."""
    item = picture(AI_IMAGE, default_terms(), "de")
    assert [{"name": "original", "href": AI_IMAGE.url, "contentType": "image/webp", "width": 1600, "height": 900,
             "sizeInBytes": 240511, "title": "Ein Wald – KI-generiertes Bild"}] == item["renditions"]
    assert ("http://localhost:8000/lizenz", True) == (item["rightsInfo"]["linkedRights"], bool(item["usageTerms"]))


def test_reuse_days_set_expires_on_usable_items(ninjs_validator: Draft202012Validator) -> None:
    """A contract that limits reuse puts ``expires`` (publication + days) on the item; it stays valid ninjs."""
    article = make_article(1, image=AI_IMAGE)
    item = to_ninjs(article, default_terms(reuse_days=7))
    assert "2026-11-30T05:00:00Z" == item["expires"]
    assert "expires" not in to_ninjs(article, default_terms())
    assert [] == schema_errors(ninjs_validator, item)
