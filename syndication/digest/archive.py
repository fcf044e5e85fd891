"""The web archive of editions: one page per edition, an index and an Atom feed.

Pure rendering (strings and bytes) plus :func:`publish_archive`, which hands the files
to a writer passed in. Archive pages carry no subscriber's data: the personal parts
of the mail are replaced by neutral text; the settings link is left out (it needs a reader's token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup
from sqlalchemy import Engine

from syndication.config import Settings
from syndication.digest.compose import archive_url, render_digest, subject_for
from syndication.digest.edition_store import edition_articles, list_editions
from syndication.digest.editions import Edition
from syndication.digest.personalize import greeting_for
from syndication.digest.render import layout_context, render_template
from syndication.feedwriter.formats import FeedFormat, tag_authority, tag_uri
from syndication.feedwriter.links import main_feed_links
from syndication.feedwriter.writer import Entry, FeedHead, FeedWriter, Person
from syndication.html import escape, strip_xml_invalid
from syndication.i18n import translator
from syndication.model import Article
from syndication.paths import template_search_path
from syndication.writers import Writer

ARCHIVE_DIR = "archive"
INDEX_PATH = f"{ARCHIVE_DIR}/index.html"
FEED_PATH = f"{ARCHIVE_DIR}/editions.atom"
FEED_LIMIT = 50
# The editions feed's time while there is no edition: fixed, so the empty feed's bytes do not change.
NO_EDITION_YET = datetime(2026, 1, 1, tzinfo=UTC)
# A transparent 1×1 GIF: opens are counted from the web server's access log, per edition only.
PIXEL_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


@dataclass(frozen=True)
class ArchiveEntry:
    """One edition as the index page and the Atom feed list it."""

    id: str
    title: str
    edition_date: object
    built_at: datetime
    url: str
    subject: str
    lead_title: str
    count: int
    article_titles: tuple[str, ...]


def _site(settings: Settings) -> str:
    return settings.site.url.rstrip("/")


def edition_path(edition_id: str) -> str:
    return f"{ARCHIVE_DIR}/{edition_id}.html"


def alternates(settings: Settings) -> list[tuple[str, str, str]]:
    """(href, type, title) of the site's feeds and of the editions feed."""
    links = [(link.href, link.media_type, link.title) for link in main_feed_links(settings)]
    title = _editions_title(settings)
    links.append((f"{_site(settings)}/{FEED_PATH}", "application/atom+xml", title))
    return links


def _editions_title(settings: Settings) -> str:
    words = translator(settings.site.language)
    return words.gettext("%(site)s – newsletter editions") % {"site": settings.site.name}


def _head_links(settings: Settings, canonical: str) -> Markup:
    tags = [f'<link rel="canonical" href="{escape(canonical)}" />']
    tags.extend(
        f'<link rel="alternate" type="{escape(media_type)}" title="{escape(title)}" href="{escape(href)}" />'
        for href, media_type, title in alternates(settings)
    )
    return Markup("".join(tags))


def render_edition_page(edition: Edition, articles: Sequence[Article], settings: Settings) -> str:
    """The edition as a web page: the mail's layout with every article, no personal data."""
    if not articles:
        raise ValueError(f"edition {edition.id} has no published article left to show")
    site = _site(settings)
    first_slot = (settings.edition(edition.newsletter_name).slots[0] if _has_edition(settings, edition.newsletter_name)
                  else "06:00")
    locale = settings.site.language
    words = translator(locale)
    greeting = greeting_for(int(first_slot.split(":")[0]), None, locale)
    body = render_digest(
        edition,
        articles,
        settings,
        shown=len(articles),
        html_values={
            "greeting": greeting,
            "unsubscribe_url": None,
            # A settings link needs the reader's token, which a public page must not carry.
            "preferences_url": None,
            "view_in_browser_url": None,
            "tracking_pixel_url": None,
        },
        text_values={"greeting": greeting},
        extra={
            "head_extra": _head_links(settings, archive_url(settings, edition.id)),
            "archive_index_url": f"{site}/{INDEX_PATH}",
            "footer_note": words.gettext("This is the web edition of the newsletter “%(title)s”.")
            % {"title": edition.title},
            "subscribe_url": f"{site}/subscribe",
        },
        locale=locale,
    )
    return body.html


def _has_edition(settings: Settings, name: str) -> bool:
    return any(config.name == name for config in settings.digest.editions)


def archive_entry(edition: Edition, articles: Sequence[Article], settings: Settings) -> ArchiveEntry:
    lead = articles[0].title if articles else ""
    return ArchiveEntry(
        id=edition.id,
        title=edition.title,
        edition_date=edition.edition_date,
        built_at=edition.built_at,
        url=archive_url(settings, edition.id),
        subject=subject_for(edition, articles[0], settings) if articles else edition.title,
        lead_title=lead,
        count=len(articles),
        article_titles=tuple(article.title for article in articles),
    )


def render_index(entries: Sequence[ArchiveEntry], settings: Settings) -> str:
    """The archive's index page, newest edition first."""
    site = _site(settings)
    ordered = sorted(entries, key=lambda e: (e.edition_date, e.built_at, e.id), reverse=True)
    words = translator(settings.site.language)
    context = layout_context(
        settings,
        title=words.gettext("Newsletter archive – %(site)s") % {"site": settings.site.name},
        description=words.gettext("Every newsletter edition of %(site)s") % {"site": settings.site.name},
        canonical_url=f"{site}/{INDEX_PATH}",
        alternates=alternates(settings),
        entries=ordered,
        subscribe_url=f"{site}/subscribe",
        feed_url=f"{site}/{FEED_PATH}",
    )
    return render_template("web/archive_index.html.j2", context, template_search_path(settings))


class EditionsFeed(FeedWriter[ArchiveEntry]):
    """The Atom feed of the newest editions, each linking its archive page."""

    def __init__(self, settings: Settings, updated: datetime) -> None:
        self.settings = settings
        self.authority = tag_authority(settings.site.url)
        self.updated = updated

    def head(self, feed_format: FeedFormat) -> FeedHead:
        site = self.settings.site
        url = _site(self.settings)
        return FeedHead(
            id=tag_uri(self.authority, "archive"),
            title=strip_xml_invalid(_editions_title(self.settings)),
            self_url=f"{url}/{FEED_PATH}",
            alternate_url=f"{url}/{INDEX_PATH}",
            updated=self.updated,
            language=site.language,
            subtitle=strip_xml_invalid(site.description),
            author=Person(strip_xml_invalid(site.name), f"{url}/"),
            rights=strip_xml_invalid(site.copyright),
            generator=None,
        )

    def entry(self, item: ArchiveEntry) -> Entry:
        # Article titles may carry control characters XML forbids; lxml would refuse the whole feed.
        return Entry(
            id=f"tag:{self.authority},{item.edition_date}:archive/{item.id}",
            title=strip_xml_invalid(item.subject),
            link=strip_xml_invalid(item.url),
            updated=item.built_at,
            published=item.built_at,
            summary=strip_xml_invalid(" · ".join(item.article_titles)),
        )


def render_editions_feed(entries: Sequence[ArchiveEntry], settings: Settings) -> bytes:
    """An Atom feed (RFC 4287) of the newest editions."""
    ordered = sorted(entries, key=lambda e: (e.edition_date, e.built_at, e.id), reverse=True)[:FEED_LIMIT]
    updated = max((entry.built_at for entry in ordered), default=NO_EDITION_YET)
    return EditionsFeed(settings, updated).write(FeedFormat.ATOM, ordered)


@dataclass(frozen=True)
class ArchiveReport:
    edition_id: str | None
    written: tuple[str, ...]


def publish_archive(
    settings: Settings, engine: Engine, writer: Writer, edition: Edition | None = None
) -> ArchiveReport:
    """Write the edition's page (when given), the index and the Atom feed through ``writer``.

    Only files whose bytes changed are written (the writer's contract).
    """
    written: list[str] = []
    if edition is not None:
        articles = edition_articles(engine, edition)
        if articles:
            page = render_edition_page(edition, articles, settings).encode("utf-8")
            if writer.write(edition_path(edition.id), page):
                written.append(edition_path(edition.id))
        if settings.digest.tracking_pixel and writer.write(f"{ARCHIVE_DIR}/open/{edition.id}.gif", PIXEL_GIF):
            written.append(f"{ARCHIVE_DIR}/open/{edition.id}.gif")
    entries = []
    for listed in list_editions(engine):
        articles = edition_articles(engine, listed)
        if articles:
            entries.append(archive_entry(listed, articles, settings))
    if writer.write(INDEX_PATH, render_index(entries, settings).encode("utf-8")):
        written.append(INDEX_PATH)
    if writer.write(FEED_PATH, render_editions_feed(entries, settings)):
        written.append(FEED_PATH)
    return ArchiveReport(edition_id=edition.id if edition else None, written=tuple(written))
