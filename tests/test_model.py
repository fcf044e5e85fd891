"""The article model: stable ids, JSON round trip, content hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from syndication.model import Article, SectionRole, article_id, compute_content_hash
from syndication.testing import make_article


def test_id_depends_only_on_source_and_external_id() -> None:
    """The same (source, external id) always gives the same id; another source another id."""
    assert article_id("content", "a") == article_id("content", "a")
    assert article_id("content", "a") != article_id("wordpress", "a")


def test_json_round_trip_keeps_every_field() -> None:
    """to_dict/from_dict give back an equal article."""
    article = make_article()
    assert article == Article.from_dict(article.to_dict())


def test_hash_ignores_bookkeeping_but_sees_content() -> None:
    """Changing the updated time or version keeps the hash; changing the title does not."""
    article = make_article()
    moved = replace(article, updated=article.updated + timedelta(hours=1), version=7)
    assert compute_content_hash(article) == compute_content_hash(moved)
    assert compute_content_hash(article) != compute_content_hash(replace(article, title="Anders"))


def test_section_lookup_by_role() -> None:
    """The outlook and key facts are found by role."""
    article = make_article()
    assert (SectionRole.OUTLOOK, 3) == (article.outlook.role, len(article.key_facts))
