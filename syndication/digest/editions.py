"""Editions: which articles a digest carries, frozen once built.

An edition takes the articles *first stored* after the previous edition of its kind
(by the store's ``first_seq`` cursor, not by a time window), so consecutive editions
have no gap and no repeat. Its watermark (the highest ``first_seq`` it covered) is
stored with it. At most one edition per (name, local date in the site's time zone).

This module is the value; :mod:`~syndication.digest.ordering` orders its articles,
:mod:`~syndication.digest.edition_store` keeps it, and the composition root
(:mod:`syndication.app.editions`) drafts, builds and sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

SPECIAL = "special"


@dataclass(frozen=True)
class Edition:
    id: str
    name: str
    title: str
    edition_date: date
    built_at: datetime
    # In digest order: the first is the lead story. At most the edition's max_articles.
    article_ids: tuple[str, ...]
    previous_watermark: int
    watermark: int
    # Articles new since the previous edition (may exceed len(article_ids)).
    new_article_count: int
    # The newsletter it belongs to; None: ``name`` (regular editions, and every edition built before newsletters).
    newsletter: str | None = None
    # "regular" (the schedule's, one per newsletter and day) or "special" (chosen articles, sent at once).
    kind: str = "regular"

    @property
    def newsletter_name(self) -> str:
        return self.newsletter or self.name

    @property
    def special(self) -> bool:
        return self.kind == SPECIAL


def edition_id(name: str, edition_date: date) -> str:
    return f"{name}-{edition_date.isoformat()}"


def special_edition_id(newsletter: str, built_at_local: datetime) -> str:
    """A special edition's id: the newsletter, the local date and time to the second (at most 64 characters)."""
    return f"{newsletter}-{built_at_local.strftime('%Y-%m-%d-s%H%M%S')}"


def special_edition_name(newsletter: str, built_at_local: datetime) -> str:
    """A special edition's kind name: never the newsletter's own, so the regular editions' watermark and
    once-a-day rule are not touched by it."""
    return f"{newsletter}@{built_at_local.strftime('%H%M%S')}"
