"""The order of a digest: configured category priority, then article priority, then newest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from syndication.i18n import N_, translator
from syndication.model import Article

# A msgid: the group of articles without a category, shown in the digest's language (category_label).
OTHER_CATEGORY = N_("More news")


def _category_rank(article: Article, priority: Sequence[str]) -> int:
    ranks = [priority.index(category) for category in article.categories if category in priority]
    return min(ranks) if ranks else len(priority)


def primary_category(article: Article, priority: Sequence[str]) -> str:
    """The category an article is grouped under: its highest-priority one, else its first."""
    ranked = [category for category in priority if category in article.categories]
    if ranked:
        return ranked[0]
    return article.categories[0] if article.categories else OTHER_CATEGORY


def category_label(category: str, locale: str | None) -> str:
    """A group's heading: the category's own name (data), or „Weitere Nachrichten“ in ``locale``."""
    return translator(locale).gettext(OTHER_CATEGORY) if category == OTHER_CATEGORY else category


def order_for_digest(articles: Iterable[Article], category_priority: Sequence[str]) -> list[Article]:
    """Configured category priority, then article priority (high first), then newest first."""
    return sorted(
        articles,
        key=lambda a: (_category_rank(a, category_priority), -a.priority, -a.published.timestamp(), a.id),
    )


def group_by_category(articles: Sequence[Article], category_priority: Sequence[str]) -> list[tuple[str, list[Article]]]:
    """Consecutive groups by primary category, in the order the categories first appear."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(primary_category(article, category_priority), []).append(article)
    return list(groups.items())
