"""Sections about what is published: the site, the store, sources, anatomy, collecting, feeds, digests."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml.cssselect import CSSSelector, SelectorError
from pydantic import Field, field_validator

from syndication.config.base import Section
from syndication.errors import BadValue
from syndication.model import SectionRole


class SiteConfig(Section):
    name: str = "Pfalz-Rundschau"
    url: str = "http://localhost:8000"
    language: str = "de"
    timezone: str = "Europe/Berlin"
    description: str = "Nachrichten aus Rheinland-Pfalz und Kaiserslautern"
    logo: str | None = None
    icon: str | None = None
    copyright: str = "© Pfalz-Rundschau"
    publisher_address: str = "Pfalz-Rundschau GmbH, Musterstraße 1, 67655 Kaiserslautern"
    imprint_url: str = "http://localhost:8000/impressum"
    public_dir: Path = Path("public")
    outbox_dir: Path = Path("outbox")
    var_dir: Path = Path("var")
    # Templates here replace the bundled ones of the same relative name (e.g. email/partials/footer.mjml.j2).
    templates_dir: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise BadValue("an IANA time zone such as 'Europe/Berlin', not %(value)r", value=value) from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class StoreConfig(Section):
    # None means a SQLite file under the site's var_dir.
    url: str | None = None
    auto_migrate: bool = True


class SourceConfig(Section):
    name: str
    type: Literal["folder", "wordpress", "feed"]
    # folder
    path: Path | None = None
    # wordpress / feed
    url: str | None = None
    timeout: float = 10.0
    per_page: int = Field(default=50, ge=1, le=100)
    # Added to every article of the source.
    categories: tuple[str, ...] = ()
    # folder: added to every article; wordpress/feed: tag names that are regions (the rest stay tags).
    regions: tuple[str, ...] = ()
    # wordpress: list every published post id on incremental runs, so unpublished posts are marked retracted.
    detect_unpublished: bool = True


def _default_sources() -> tuple[SourceConfig, ...]:
    return (SourceConfig(name="content", type="folder", path=Path("content")),)


def _default_headings() -> dict[str, tuple[str, ...]]:
    return {
        SectionRole.SUMMARY.value: ("Worum es geht", "What it is about", "Summary"),
        SectionRole.KEY_FACTS.value: ("Wichtigste Fakten", "Key facts"),
        SectionRole.BACKGROUND.value: ("Politischer Hintergrund", "Hintergrund", "Background"),
        SectionRole.REGIONAL_RELEVANCE.value: ("Bedeutung für", "What it means for", "Why it matters for"),
        SectionRole.CHANCES_RISKS.value: ("Chancen & Risiken", "Chancen und Risiken", "Opportunities & risks"),
        SectionRole.OUTLOOK.value: ("Ausblick", "Outlook"),
        SectionRole.SOURCES.value: ("Quellen", "Sources"),
    }


class AnatomyConfig(Section):
    """How article HTML is read: heading text → section role, and the page's labels."""

    # A heading matches a role when it starts with one of these (case-insensitive).
    headings: dict[str, tuple[str, ...]] = Field(default_factory=_default_headings)
    ai_image_labels: tuple[str, ...] = (
        "KI generiertes Foto",
        "KI-generiertes Foto",
        "KI-generiertes Bild",
        "AI-generated image",
    )
    chance_prefixes: tuple[str, ...] = ("Chance:", "Opportunity:")
    risk_prefixes: tuple[str, ...] = ("Risiko:", "Risk:")
    # Regions recognised in a regional_relevance heading („Bedeutung für Rheinland-Pfalz und Kaiserslautern").
    region_separators: tuple[str, ...] = (" und ", " and ", ", ")
    # CSS selectors of the page's furniture (README, "Article anatomy"). The author quote, always:
    author_quote_selectors: tuple[str, ...] = ("blockquote.author-quote",)
    # Quotes that are the author quote when their <cite> names the article's author (WordPress blocks).
    cited_quote_selectors: tuple[str, ...] = ("figure.wp-block-pullquote blockquote", "blockquote.wp-block-quote")
    # The author box: it (and everything after it) leaves the body; a quote inside it is the author quote.
    author_box_selectors: tuple[str, ...] = (".author-box", ".autor-box")
    # Captions in which an AI label among other words marks the image (the caption keeps its text).
    ai_label_selectors: tuple[str, ...] = ("figure.wp-block-image figcaption", "figcaption", "small")

    @field_validator("author_quote_selectors", "cited_quote_selectors", "author_box_selectors", "ai_label_selectors")
    @classmethod
    def _css_selectors(cls, value: tuple[str, ...]) -> tuple[str, ...]:

        for selector in value:
            try:
                CSSSelector(selector)
            except SelectorError as exc:
                raise BadValue(
                    "CSS selectors such as 'figure.wp-block-image', not %(selector)r: %(exc)s",
                    selector=selector,
                    exc=exc,
                ) from None
        return value

    @field_validator("headings")
    @classmethod
    def _known_roles(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        known = {role.value for role in SectionRole}
        for role in value:
            if role not in known:
                raise BadValue("a section role (%(roles)s), not %(role)r", roles=", ".join(sorted(known)), role=role)
        return value


class CollectConfig(Section):
    # An article file (or remote post/entry body) larger than this is refused with an error naming it.
    max_article_bytes: int = Field(default=2_000_000, ge=10_000)


class FeedsConfig(Section):
    title: str | None = None
    kinds: tuple[Literal["category", "region", "author"], ...] = ("category", "region", "author")
    limit: int = Field(default=50, ge=1, le=1000)
    websub_hub: str | None = None
    cache_max_age: int = Field(default=300, ge=0)
    ttl_minutes: int = Field(default=15, ge=1)


class EditionConfig(Section):
    name: str
    title: str
    frequency: Literal["daily", "weekly"]
    # Local send times ("HH:MM") in the site's time zone; the edition is built at the first.
    slots: tuple[str, ...] = ("06:00",)
    # For weekly editions: the day the edition goes out.
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    # Optional cron expression (crontab syntax) overriding slots/weekday for the build time.
    cron: str | None = None
    max_articles: int = Field(default=20, ge=1, le=200)

    @field_validator("slots")
    @classmethod
    def _valid_slots(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise BadValue("at least one send time such as '06:00'")
        for slot in value:
            hour, _, minute = slot.partition(":")
            if not (hour.isdigit() and minute.isdigit() and 0 <= int(hour) < 24 and 0 <= int(minute) < 60):
                raise BadValue("send times as 'HH:MM', not %(slot)r", slot=slot)
        return tuple(sorted(value))


def _default_editions() -> tuple[EditionConfig, ...]:
    return (
        EditionConfig(name="daily", title="Der Morgen", frequency="daily", slots=("06:00", "12:00", "18:00")),
        EditionConfig(
            name="weekly", title="Die Woche", frequency="weekly", slots=("07:00",), weekday="sat", max_articles=30
        ),
    )


class DigestConfig(Section):
    editions: tuple[EditionConfig, ...] = Field(default_factory=_default_editions)
    # Categories listed here lead the digest in this order; the rest follow by time.
    category_priority: tuple[str, ...] = ()
    size_budget_bytes: int = Field(default=100_000, ge=10_000)
    web_fonts: bool = False
    tracking_pixel: bool = False
    max_key_facts: int = Field(default=3, ge=0)
