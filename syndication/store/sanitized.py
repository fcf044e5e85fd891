"""The store's mark on article HTML it found already sanitized (the feeds then republish it as it is).

Every article the store writes is checked: when sanitizing its text HTML again against its URL gives
the same string (with no character XML forbids), the stored JSON names the sanitizer policy it was
found clean under. The mark is the store's own finding about the bytes it writes, never taken from
what it is given, and it is set on the articles the store reads back
(:attr:`~syndication.model.Article.html_sanitized_by`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syndication.html import SANITIZER_POLICY, is_sanitized
from syndication.model import Article

# The stored JSON's key naming the sanitizer policy its HTML was found clean under (never content:
# it is left out of the content hash, which is computed before it is added).
SANITIZED_KEY = "html_sanitized_by"


def html_is_sanitized(article: Article) -> bool:
    """Whether the HTML the article's text is made of (every section's; the body's when it has no
    sections, as the body then stands for them) is already what sanitizing it against the article's
    URL gives: the store notes it, and the feeds then republish that HTML as it is."""
    base = article.url
    if not article.sections:
        return is_sanitized(article.body_html, base)
    return all(is_sanitized(section.html, base) for section in article.sections)


def written_with_mark(fields: dict[str, Any], article: Article) -> dict[str, Any]:
    """``fields`` (``article``'s JSON about to be stored), marked when its HTML is clean."""
    # Checked on every write, whoever stored the article (collect, an import, a test): the mark is
    # the store's own finding about the bytes it writes, never taken from what it was given.
    if html_is_sanitized(article):
        fields[SANITIZED_KEY] = SANITIZER_POLICY
    return fields


def with_sanitized_mark(article: Article, fields: Mapping[str, Any]) -> Article:
    """``article`` read from ``fields`` (its stored JSON), with the store's sanitizer mark set on it."""
    mark = fields.get(SANITIZED_KEY)
    if isinstance(mark, str) and mark:
        # Not a dataclass argument (see Article.html_sanitized_by): set on the frozen value as it is made.
        object.__setattr__(article, "html_sanitized_by", mark)
    return article
