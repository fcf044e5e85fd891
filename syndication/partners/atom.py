"""The partner Atom feed: the feeds capability's Atom renderer with the partner's terms (pure).

Entries carry the partner's rights statement and image credits; summary-only partners
get no ``<content>``. In a paged answer (``since`` given) a retracted article becomes an
RFC 6721 ``at:deleted-entry`` tombstone and an RFC 5005 ``next`` link points on.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from lxml import etree

from syndication.feeds.content import article_tag_uri, tag_uri
from syndication.feeds.render import ATOM_NS, AtomOptions, FeedMeta, render_atom
from syndication.model import Article, Status
from syndication.partners.model import Partner, Terms
from syndication.partners.ninjs import timestamp

TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"


def feed_meta(partner: Partner, terms: Terms, *, self_url: str, site_title: str, language: str) -> FeedMeta:
    """What the partner's feed says about itself."""
    authority = urlsplit(terms.publisher_url).hostname or "localhost"
    return FeedMeta(
        id=tag_uri(authority, f"partner-feed:{partner.id}"),
        title=f"{site_title} – {partner.name}",
        self_url=self_url,
        alternate_url=terms.publisher_url,
        tag_authority=authority,
        language=language,
        copyright=terms.copyright_notice,
        publisher=terms.publisher,
    )


def render_partner_atom(
    meta: FeedMeta, articles: Sequence[Article], terms: Terms, *, next_url: str | None = None
) -> bytes:
    """A full-content (or summary-only) Atom feed of ``articles`` in the order given."""
    published = [article for article in articles if article.status == Status.PUBLISHED]
    retracted = [article for article in articles if article.status != Status.PUBLISHED]
    options = AtomOptions(full_content=not terms.summary_only, entry_rights=terms.usage_terms, media_credits=True)
    document = render_atom(meta, published, options=options)
    if not retracted and next_url is None:
        return document
    root = etree.fromstring(document)
    for article in retracted:
        tombstone = etree.SubElement(
            root,
            f"{{{TOMBSTONE_NS}}}deleted-entry",
            nsmap={"at": TOMBSTONE_NS},
            ref=article_tag_uri(meta.tag_authority, article),
            when=timestamp(article.updated),
        )
        etree.SubElement(tombstone, f"{{{ATOM_NS}}}link", rel="alternate", href=article.url)
    if next_url is not None:
        link = etree.Element(f"{{{ATOM_NS}}}link", rel="next", href=next_url)
        first_entry = root.find(f"{{{ATOM_NS}}}entry")
        if first_entry is not None:
            first_entry.addprevious(link)
        else:
            root.append(link)
    etree.cleanup_namespaces(root, top_nsmap={"at": TOMBSTONE_NS})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
