"""What one feed item says, independent of the feed format.

Every format (RSS, Atom, JSON Feed) renders the same :class:`FeedItem`, so a reader gets
the same title, text, image and disclosure whichever format it polls. Article text is
sanitized here unless the store vouches for it: feeds are the public face of the site, and
an article stored by another path (an import, a test, an older version) must not be able to
put a script or a relative link into them. The store checks the HTML of every article it
writes and marks it when it is already clean (:attr:`~syndication.model.Article.html_sanitized_by`);
only HTML marked under the sanitizer's current policy is republished as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from syndication.html import (
    SANITIZER_POLICY,
    absolute_url,
    escape,
    plain_text,
    quote_repeats,
    sanitize_html,
    strip_xml_invalid,
    web_url,
)
from syndication.model import Article, SectionRole

# IPTC "Digital Source Type" vocabulary: the standard, machine-readable way to say an
# image was made by a generative model (also used by C2PA and Google News).
DIGITAL_SOURCE_TYPE_SCHEME = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_GENERATED_SOURCE_TYPE = "trainedAlgorithmicMedia"
AI_GENERATED_SOURCE_TYPE_URI = DIGITAL_SOURCE_TYPE_SCHEME + AI_GENERATED_SOURCE_TYPE
AI_GENERATED_SOURCE_TYPE_LABEL = "Trained algorithmic media"


@dataclass(frozen=True)
class Labels:
    """Words the feeds add to article text, in the feed's language."""

    ai_image: str
    image_credit: str
    sources: str


LABELS = {
    "de": Labels(ai_image="KI-generiertes Bild", image_credit="Bild", sources="Quellen"),
    "en": Labels(ai_image="AI-generated image", image_credit="Image", sources="Sources"),
}


def labels_for(language: str) -> Labels:
    """The labels for ``language`` („de-DE“ → German); English when unknown."""
    return LABELS.get(language.split("-")[0].lower(), LABELS["en"])


@dataclass(frozen=True)
class ItemImage:
    url: str
    mime_type: str | None
    length: int | None
    width: int | None
    height: int | None
    alt: str
    caption: str
    """The caption as readers see it, AI disclosure included."""
    credit: str
    ai_generated: bool


@dataclass(frozen=True)
class FeedItem:
    """One article as the feeds show it: plain texts, absolute URLs, sanitized HTML."""

    article_id: str
    url: str
    title: str
    summary: str
    content_html: str
    published: datetime
    updated: datetime
    language: str
    author_name: str | None
    author_url: str | None
    author_avatar: str | None
    categories: tuple[str, ...]
    regions: tuple[str, ...]
    image: ItemImage | None


def image_caption(caption: str, ai_generated: bool, labels: Labels) -> str:
    """The caption with the AI disclosure appended (and never twice)."""
    caption = plain_text(caption)
    if not ai_generated or labels.ai_image.lower() in caption.lower():
        return caption
    return f"{caption} ({labels.ai_image})" if caption else labels.ai_image


def _item_image(article: Article, labels: Labels) -> ItemImage | None:
    image = article.image
    url = web_url(image.url, article.url) if image else None
    if image is None or url is None:
        return None
    return ItemImage(
        url=url,
        mime_type=image.mime_type,
        length=image.length,
        width=image.width,
        height=image.height,
        alt=plain_text(image.alt),
        caption=image_caption(image.caption, image.ai_generated, labels),
        credit=plain_text(image.credit),
        ai_generated=image.ai_generated,
    )


def _quote_repeats_outlook(article: Article) -> bool:
    outlook = article.outlook
    if not article.author_quote or outlook is None:
        return False
    return quote_repeats(plain_text(article.author_quote), outlook.html)


def _figure(image: ItemImage, labels: Labels) -> str:
    size = ""
    if image.width and image.height:
        size = f' width="{int(image.width)}" height="{int(image.height)}"'
    caption = image.caption
    if image.credit:
        credit = f"{labels.image_credit}: {image.credit}"
        caption = f"{caption} – {credit}" if caption else credit
    figcaption = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    img = f'<img src="{escape(image.url)}" alt="{escape(image.alt)}"{size}>'
    return f'<figure class="lead-image">{img}{figcaption}</figure>'


def _quote_block(inner_html: str, author: str | None) -> str:
    footer = f"<footer>— <cite>{escape(author)}</cite></footer>" if author else ""
    return f'<blockquote class="author-quote">{inner_html}{footer}</blockquote>'


# A section's opening tag by role, and its heading's markup by heading: both come back in every article.
_SECTION_OPENINGS = {role: f'<section class="{role.value.replace("_", "-")}">' for role in SectionRole}


@lru_cache(maxsize=4096)
def _heading_html(heading: str) -> str:
    text = plain_text(heading)
    return f"<h2>{escape(text)}</h2>" if text else ""


def content_html(article: Article, labels: Labels, image: ItemImage | None) -> str:
    """The full article as feed HTML: lead image, lead, every section, the author's quote.

    The outlook and the author quote are marked up (``class="outlook"``,
    ``blockquote class="author-quote"``). When the quote repeats the outlook word for
    word, as it often does on this site, the outlook itself is shown as the author's
    quote, so the text appears once.
    """
    base = article.url
    # HTML the store found clean under this very policy is republished as it is: sanitizing it
    # again gives the same bytes (a tenth of a full build's time went to that).
    checked = article.html_sanitized_by == SANITIZER_POLICY
    author = plain_text(article.author.name) if article.author else None
    parts: list[str] = []
    if image is not None:
        parts.append(_figure(image, labels))
    teaser = plain_text(article.teaser)
    if teaser:
        parts.append(f'<p class="lead">{escape(teaser)}</p>')
    quote_in_outlook = _quote_repeats_outlook(article)
    has_sources_section = False
    for section in article.sections:
        body = section.html if checked else sanitize_html(section.html, base)
        if section.role == SectionRole.OUTLOOK and quote_in_outlook:
            body = _quote_block(body, author)
        has_sources_section = has_sources_section or section.role == SectionRole.SOURCES
        parts.append(f"{_SECTION_OPENINGS[section.role]}{_heading_html(section.heading)}{body}</section>")
    if not article.sections and article.body_html:
        parts.append(article.body_html if checked else sanitize_html(article.body_html, base))
    if article.author_quote and not quote_in_outlook:
        quote = plain_text(article.author_quote)
        if quote:
            parts.append(_quote_block(f"<p>{escape(quote)}</p>", author))
    if article.sources and not has_sources_section:
        links = "".join(
            f'<li><a href="{escape(url)}">{escape(plain_text(s.title))}</a></li>'
            for s in article.sources
            if (url := web_url(s.url, base))
        )
        parts.append(f'<section class="sources"><h2>{escape(labels.sources)}</h2><ul>{links}</ul></section>')
    # Every other part is plain text (plain_text drops what XML forbids), escaped, or checked HTML.
    return "".join(parts) if checked else strip_xml_invalid("".join(parts))


@lru_cache(maxsize=8192)
def feed_item(article: Article, language: str) -> FeedItem:
    """The feed view of ``article`` (cached: one article appears in several feeds of a build)."""
    labels = labels_for(article.language or language)
    image = _item_image(article, labels)
    author = article.author
    portrait = author.portrait if author else None
    return FeedItem(
        article_id=article.id,
        url=absolute_url(strip_xml_invalid(article.url), None),
        title=plain_text(article.title) or article.id,
        summary=plain_text(article.teaser),
        content_html=content_html(article, labels, image),
        published=article.published,
        updated=max(article.updated, article.published),
        language=article.language or language,
        author_name=(plain_text(author.name) or None) if author else None,
        author_url=web_url(author.url, article.url) if author and author.url else None,
        author_avatar=web_url(portrait.url, article.url) if portrait else None,
        categories=tuple(c for c in (plain_text(c) for c in article.categories) if c),
        regions=tuple(r for r in (plain_text(r) for r in article.regions) if r),
        image=image,
    )
