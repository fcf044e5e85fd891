"""Values of partner syndication: a partner, the terms an item travels with, visibility rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from syndication.config import PartnersConfig, SiteConfig
from syndication.model import Article


@dataclass(frozen=True)
class Partner:
    """A partner as stored (never with its key). Empty categories/regions mean "all"."""

    id: int
    name: str
    key_prefix: str
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    embargo_minutes: int = 0
    summary_only: bool = False
    # None: the [partners] default from the configuration applies.
    rights_text: str | None = None
    licence_url: str | None = None
    attribution: str | None = None
    created_at: datetime | None = None
    key_created_at: datetime | None = None
    revoked_at: datetime | None = None
    # Days the partner may keep an item online (ninjs ``expires``); None: the contract sets no limit.
    reuse_days: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def covers(self, article: Article) -> bool:
        """Whether ``article`` falls within the partner's categories and regions."""
        if self.categories and not set(self.categories) & set(article.categories):
            return False
        return not (self.regions and not set(self.regions) & set(article.regions))

    def visible_from(self, article: Article) -> datetime:
        """When the embargo on ``article`` ends for this partner (never before publication)."""
        return article.published + timedelta(minutes=self.embargo_minutes)

    def terms(self, partners: PartnersConfig, site: SiteConfig) -> Terms:
        """The rights this partner's items carry: the partner's own, else the configured defaults."""
        return Terms(
            publisher=site.name,
            publisher_url=site.url,
            copyright_holder=partners.copyright_holder,
            copyright_notice=site.copyright,
            rights_text=self.rights_text if self.rights_text is not None else partners.rights_text,
            licence_url=self.licence_url if self.licence_url is not None else partners.licence_url,
            attribution=self.attribution if self.attribution is not None else partners.attribution,
            summary_only=self.summary_only,
            embargo_minutes=self.embargo_minutes,
            reuse_days=self.reuse_days,
        )


@dataclass(frozen=True)
class Terms:
    """What a partner may do with an item, carried in every ninjs item and Atom entry."""

    publisher: str
    publisher_url: str
    copyright_holder: str
    copyright_notice: str
    rights_text: str
    licence_url: str
    attribution: str
    summary_only: bool = False
    embargo_minutes: int = 0
    reuse_days: int | None = None

    @property
    def usage_terms(self) -> str:
        """One statement of rights, required attribution and licence, in the configured wording."""
        parts = [part.strip() for part in (self.rights_text, self.attribution) if part and part.strip()]
        sentences = [part if part.endswith((".", "!", "?")) else f"{part}." for part in parts]
        if self.licence_url:
            sentences.append(self.licence_url)
        return " ".join(sentences)
