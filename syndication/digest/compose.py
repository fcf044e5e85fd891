"""From an edition's articles to a rendered digest: cards, groups, size budget.

Pure: takes articles and values, returns a MessageBody. Personal parts come in as
opaque strings (placeholders for mail, neutral text for the web archive) and are
never evaluated as templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syndication.config import Settings
from syndication.digest.editions import Edition
from syndication.digest.ordering import category_label, group_by_category, primary_category
from syndication.digest.render import render_mjml_pair
from syndication.html import html_to_text, quote_repeats, sanitize_html, web_url
from syndication.i18n import N_, translator
from syndication.mail.base import MessageBody, apply_substitutions
from syndication.mail.mime import encoded_body
from syndication.model import Article
from syndication.paths import TEMPLATES_DIR, template_search_path
from syndication.templates import german_date

# msgids, shown in the digest's language.
AI_IMAGE_LABEL = N_("AI-generated image")
OUTLOOK_HEADING = N_("Outlook")
DIGEST_TEMPLATE = "digest"
# Where digest templates are looked up; tests put a folder of their own first.
DIGEST_SEARCH_PATH: tuple[Path, ...] = (TEMPLATES_DIR,)
@dataclass(frozen=True)
class Card:
    """What one article shows in a digest."""

    article_id: str
    url: str
    title: str
    teaser: str
    category: str
    image_url: str | None = None
    image_alt: str = ""
    image_label: str | None = None
    image_credit: str = ""
    key_facts: tuple[str, ...] = ()
    key_facts_text: tuple[str, ...] = ()
    outlook_heading: str = "Ausblick"
    outlook_html: str | None = None
    outlook_text: str | None = None
    quote: str | None = None
    # True: the quote repeats the outlook, which is then shown once, attributed to the author.
    quote_is_outlook: bool = False
    author_name: str | None = None
    author_url: str | None = None
    portrait_url: str | None = None
    portrait_alt: str = ""


def make_card(article: Article, settings: Settings, link: str | None = None, locale: str | None = None) -> Card:
    """The card of ``article``: its HTML re-sanitized and only http(s) links and images.

    ``link`` replaces the article's URL as the card's link (the click redirect, ``[tracking] clicks``).

    Articles are sanitized on the way in, but the card's HTML is inserted unescaped into
    the mail and the public archive, so it is cleaned again here (as the feeds do). ``locale``: the
    language of the card's own words (the AI label, the default outlook heading); the site's by default.
    """
    digest = settings.digest
    words = translator(locale or settings.site.language)
    base = web_url(article.url, None)
    image = article.image
    outlook = article.outlook
    outlook_clean = sanitize_html(outlook.html, base) if outlook else ""
    outlook_html = outlook_clean if outlook_clean.strip() else None
    quote = (article.author_quote or "").strip() or None
    repeats = quote is not None and outlook_html is not None and quote_repeats(quote, outlook_html, contained=True)
    author = article.author
    portrait = author.portrait if author else None
    portrait_url = web_url(portrait.url, base) if portrait and portrait.url else None
    facts = article.key_facts[: digest.max_key_facts]
    return Card(
        article_id=article.id,
        url=link or base or settings.site.url,
        title=article.title,
        teaser=article.teaser,
        category=primary_category(article, digest.category_priority),
        image_url=web_url(image.url, base) if image and image.url else None,
        image_alt=(image.alt or image.caption or article.title) if image else "",
        image_label=words.gettext(AI_IMAGE_LABEL) if image and image.ai_generated else None,
        image_credit=image.credit if image else "",
        key_facts=tuple(sanitize_html(item.html, base) for item in facts),
        key_facts_text=tuple(item.text for item in facts),
        outlook_heading=(outlook.heading if outlook and outlook.heading else words.gettext(OUTLOOK_HEADING)),
        outlook_html=outlook_html,
        outlook_text=html_to_text(outlook_html) if outlook_html else None,
        quote=None if repeats else quote,
        quote_is_outlook=repeats,
        author_name=author.name if author else None,
        author_url=web_url(author.url, base) if author and author.url else None,
        portrait_url=portrait_url,
        portrait_alt=(
            (portrait.alt or (words.gettext("Portrait of %(name)s") % {"name": author.name} if author else ""))
            if portrait_url
            else ""
        ),
    )


@dataclass(frozen=True)
class DigestView:
    """Everything the digest templates need besides the layout values."""

    edition: Edition
    lead: Card
    groups: tuple[tuple[str, tuple[Card, ...]], ...]
    more_count: int
    archive_url: str
    subject: str
    preheader: str
    personal: Mapping[str, str] = field(default_factory=dict)


def subject_for(edition: Edition, lead: Article, settings: Settings, locale: str | None = None) -> str:
    """„Der Morgen, Dienstag, 24. November 2026: <lead title>“ (the date in ``locale``, else the site's)."""
    return f"{edition.title}, {german_date(edition.edition_date, locale or settings.site.language)}: {lead.title}"


def preheader_for(articles: Sequence[Article], limit: int = 140, locale: str | None = None) -> str:
    lead = articles[0]
    text = lead.teaser.strip()
    others = [a.title for a in articles[1:3]]
    if others:
        also = translator(locale).gettext("Also:")
        text = f"{text} {also} {' · '.join(others)}"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def archive_url(settings: Settings, edition_id: str) -> str:
    return f"{settings.site.url.rstrip('/')}/archive/{edition_id}.html"


def newsletter_template(edition: Edition, settings: Settings) -> str:
    """The digest template of the edition's newsletter (``template``), else ``digest``."""
    for config in settings.all_newsletters:
        if config.name == edition.newsletter_name:
            return config.template
    return DIGEST_TEMPLATE


def newsletter_budget(edition: Edition, settings: Settings) -> int:
    """The size budget of the edition's newsletter, else ``[digest] size_budget_bytes``."""
    for config in settings.all_newsletters:
        if config.name == edition.newsletter_name and config.size_budget_bytes:
            return config.size_budget_bytes
    return settings.digest.size_budget_bytes


def render_digest(
    edition: Edition,
    articles: Sequence[Article],
    settings: Settings,
    *,
    shown: int,
    html_values: Mapping[str, Any],
    text_values: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    links: Mapping[str, str] | None = None,
    locale: str | None = None,
) -> MessageBody:
    """The digest showing the first ``shown`` of ``articles`` (the rest as „N weitere Artikel“).

    ``links``: article id → the link its card uses instead of the article's URL. ``locale``: the digest's
    language (a newsletter's ``language``); the site's by default.
    """
    links = links or {}
    locale = locale or settings.site.language
    cards = [make_card(article, settings, links.get(article.id), locale) for article in articles[:shown]]
    groups = group_by_category(articles[1:shown], settings.digest.category_priority)
    by_id = {card.article_id: card for card in cards}
    context: dict[str, Any] = {
        "edition": edition,
        "edition_title": edition.title,
        "edition_date": edition.edition_date,
        "lead": cards[0],
        "groups": [(category_label(name, locale), [by_id[a.id] for a in members]) for name, members in groups],
        "more_count": len(articles) - shown,
        "archive_url": archive_url(settings, edition.id),
        "subject": subject_for(edition, articles[0], settings, locale),
        "preheader": preheader_for(articles, locale=locale),
        "title": f"{edition.title} – {settings.site.name}",
        **html_values,
        **(extra or {}),
    }
    return render_mjml_pair(
        newsletter_template(edition, settings), context, settings, text_context=text_values,
        search_path=template_search_path(settings, DIGEST_SEARCH_PATH), locale=locale,
    )


def render_within_budget(
    edition: Edition,
    articles: Sequence[Article],
    settings: Settings,
    *,
    html_values: Mapping[str, Any],
    text_values: Mapping[str, Any],
    worst_case: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
    links: Mapping[str, str] | None = None,
    locale: str | None = None,
) -> MessageBody:
    """The digest with as many articles as fit ``[digest] size_budget_bytes``.

    The size is the HTML part as the message carries it (quoted-printable, see
    :func:`encoded_body`), because Gmail clips on the bytes sent, not on the decoded HTML;
    it is measured after substituting ``worst_case`` values (the longest a subscriber's
    personal parts can get), so no personalised message exceeds the budget.
    MJML is compiled O(log n) times (binary search over the number of articles shown).
    """
    if not articles:
        raise ValueError("a digest needs at least one article")
    budget = newsletter_budget(edition, settings)

    def size(body: MessageBody) -> int:
        return len(encoded_body(apply_substitutions(body.html, worst_case)))

    def render(count: int) -> MessageBody:
        return render_digest(
            edition, articles, settings, shown=count, html_values=html_values, text_values=text_values, extra=extra,
            links=links, locale=locale,
        )

    full = render(len(articles))
    if size(full) < budget:
        return full
    low, high = 1, len(articles) - 1
    best = render(1)
    if size(best) >= budget:
        # Even the lead story alone is too big: send it anyway rather than nothing.
        return best
    while low <= high:
        middle = (low + high) // 2
        candidate = render(middle)
        if size(candidate) < budget:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


