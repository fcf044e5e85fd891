"""The partner Atom feed: the site's article entries with the partner's terms, through the feed writer (pure).

Entries carry the partner's rights statement and image credits; summary-only partners
get no ``<content>``. In a paged answer (``since`` given) a retracted article becomes an
RFC 6721 ``at:deleted-entry`` tombstone with its reason (``at:comment``: the source's note, or
a plain "withdrawn") and an RFC 5005 ``next`` link points on.

How an article reads as an entry is the site feeds' business: it comes in through
:class:`EntriesFor` (the app plugs in the feeds' ``ArticleEntries.for_partner``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol
from urllib.parse import urlsplit

from lxml import etree

from syndication.feedwriter.formats import ATOM_NS, FeedFormat, article_tag_uri, tag_uri
from syndication.feedwriter.writer import Entry, FeedHead, FeedWriter, Person
from syndication.html import plain_text, strip_xml_invalid
from syndication.model import Article, Status
from syndication.partners.model import Partner, Terms
from syndication.partners.ninjs import timestamp

TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"
# The reason a tombstone gives when the source gave none, in the feed's language.
WITHDRAWN = {"de": "Vom Verlag zurückgezogen.", "en": "Withdrawn by the publisher."}


class ArticleEntries(Protocol):
    """How the site's feeds write an article as an entry."""

    def entry(self, article: Article) -> Entry: ...

    def add_item_elements(self, element: etree._Element, article: Article, feed_format: FeedFormat) -> None: ...


class EntriesFor(Protocol):
    """The entries for one partner feed: its ``tag:`` authority, language and terms."""

    def __call__(
        self, tag_authority: str, language: str, *, full_content: bool, rights: str | None
    ) -> ArticleEntries: ...


class PartnerFeed(FeedWriter[Article]):
    """A partner's Atom feed of published articles, with tombstones for ``retracted`` and a ``next`` link."""

    def __init__(
        self,
        head: FeedHead,
        entries: ArticleEntries,
        authority: str,
        retracted: Sequence[Article] = (),
        next_url: str | None = None,
        reasons: Mapping[str, str] | None = None,
    ) -> None:
        self._head = head
        self.entries = entries
        self.authority = authority
        self.retracted = tuple(retracted)
        self.next_url = next_url
        self.reasons = dict(reasons or {})

    def head(self, feed_format: FeedFormat) -> FeedHead:
        return self._head

    def entry(self, item: Article) -> Entry:
        return self.entries.entry(item)

    def uses_media_rss(self, feed_format: FeedFormat) -> bool:
        return True

    def namespaces(self, feed_format: FeedFormat) -> Mapping[str, str]:
        return {"at": TOMBSTONE_NS} if self.retracted else {}

    def add_item_elements(self, element: etree._Element, item: Article, feed_format: FeedFormat) -> None:
        self.entries.add_item_elements(element, item, feed_format)

    def add_root_elements(self, parent: etree._Element, feed_format: FeedFormat) -> None:
        if self.next_url is not None:
            etree.SubElement(parent, f"{{{ATOM_NS}}}link", rel="next", href=self.next_url)

    def add_trailing_elements(self, parent: etree._Element, feed_format: FeedFormat) -> None:
        for article in self.retracted:
            tombstone = etree.SubElement(
                parent,
                f"{{{TOMBSTONE_NS}}}deleted-entry",
                ref=article_tag_uri(self.authority, article),
                when=timestamp(article.updated),
            )
            etree.SubElement(tombstone, f"{{{ATOM_NS}}}link", rel="alternate", href=strip_xml_invalid(article.url))
            default = WITHDRAWN.get((self._head.language or "en").split("-")[0].lower(), WITHDRAWN["en"])
            comment = etree.SubElement(tombstone, f"{{{TOMBSTONE_NS}}}comment")
            comment.text = strip_xml_invalid(plain_text(self.reasons.get(article.id) or "") or default)


def render_partner_atom(
    articles: Sequence[Article],
    partner: Partner,
    terms: Terms,
    entries_for: EntriesFor,
    *,
    self_url: str,
    site_title: str,
    language: str,
    next_url: str | None = None,
    reasons: Mapping[str, str] | None = None,
) -> bytes:
    """A full-content (or summary-only) Atom feed of ``articles`` in the order given.

    Retracted articles become tombstones (``reasons``: why, by article id); ``next_url`` (a paged
    answer) is linked as ``next``.
    """
    authority = urlsplit(terms.publisher_url).hostname or "localhost"
    entries = entries_for(authority, language, full_content=not terms.summary_only, rights=terms.usage_terms)
    title = plain_text(f"{site_title} – {partner.name}")
    head = FeedHead(
        id=strip_xml_invalid(tag_uri(authority, f"partner-feed:{partner.id}")),
        title=title,
        self_url=self_url,
        alternate_url=terms.publisher_url,
        language=language,
        subtitle=title,
        author=Person(plain_text(terms.publisher)) if terms.publisher else None,
        rights=plain_text(terms.copyright_notice) if terms.copyright_notice else None,
    )
    published = [article for article in articles if article.status == Status.PUBLISHED]
    retracted = [article for article in articles if article.status != Status.PUBLISHED]
    feed = PartnerFeed(head, entries, authority, retracted, next_url, reasons)
    return feed.write(FeedFormat.ATOM, published)
