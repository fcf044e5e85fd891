"""All settings (the sections together) and the secrets, which come from the environment only."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from syndication.config.base import Section
from syndication.config.content import (
    AnatomyConfig,
    CollectConfig,
    DigestConfig,
    FeedsConfig,
    SiteConfig,
    SourceConfig,
    StoreConfig,
    _default_sources,
)
from syndication.config.mail import (
    DeliveryConfig,
    InboundConfig,
    SubscribersConfig,
    TrackingConfig,
    WebhookConfig,
)
from syndication.config.newsletters import CalendarConfig, NewsletterConfig, from_edition
from syndication.config.serving import CacheConfig, PartnersConfig, SchedulerConfig, ServeConfig
from syndication.config.workers import LoggingConfig, PublishConfig, WorkersConfig
from syndication.errors import BadValue, ConfigError
from syndication.local_key import local_secret_key

log = logging.getLogger("syndication.config")


class Settings(Section):
    site: SiteConfig = SiteConfig()
    store: StoreConfig = StoreConfig()
    sources: tuple[SourceConfig, ...] = Field(default_factory=_default_sources)
    anatomy: AnatomyConfig = AnatomyConfig()
    collect: CollectConfig = CollectConfig()
    feeds: FeedsConfig = FeedsConfig()
    digest: DigestConfig = DigestConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    tracking: TrackingConfig = TrackingConfig()
    subscribers: SubscribersConfig = SubscribersConfig()
    partners: PartnersConfig = PartnersConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    serve: ServeConfig = ServeConfig()
    cache: CacheConfig = CacheConfig()
    inbound: InboundConfig = InboundConfig()
    workers: WorkersConfig = WorkersConfig()
    logging: LoggingConfig = LoggingConfig()
    publish: PublishConfig = PublishConfig()
    webhooks: tuple[WebhookConfig, ...] = ()
    newsletters: tuple[NewsletterConfig, ...] = ()
    calendar: CalendarConfig = CalendarConfig()
    # Where the config file was found; relative paths are resolved against its folder.
    base_dir: Path = Path(".")

    @field_validator("webhooks")
    @classmethod
    def _unique_webhooks(cls, value: tuple[WebhookConfig, ...]) -> tuple[WebhookConfig, ...]:
        names = [hook.name for hook in value]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise BadValue("webhook names used once each; %(doubled)s more than once", doubled=', '.join(doubled))
        return value

    @model_validator(mode="after")
    def _editions_are_newsletters(self) -> Settings:
        """``digest.editions`` becomes the newsletters: ``[[newsletters]]`` and any ``[[digest.editions]]``
        (read as newsletters, deprecated), or the default daily and weekly editions when neither is set.

        Every feature that walks ``digest.editions`` (scheduler, archive, sign-up) thus sees the newsletters.
        """
        legacy = "editions" in self.digest.model_fields_set
        if legacy:
            log.warning("[[digest.editions]] is deprecated: configure them as [[newsletters]] "
                        "(read as newsletters for now)")
        editions = self.digest.editions if (legacy or not self.newsletters) else ()
        merged = (*self.newsletters, *(e if isinstance(e, NewsletterConfig) else from_edition(e) for e in editions))
        names = [newsletter.name for newsletter in merged]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise BadValue("newsletters: names used once each; %(doubled)s more than once", doubled=', '.join(doubled))
        # Frozen model: the merged tuple replaces the configured one once, while validating.
        object.__setattr__(self, "digest", self.digest.model_copy(update={"editions": merged}))
        return self

    @property
    def all_newsletters(self) -> tuple[NewsletterConfig, ...]:
        """Every newsletter, ``[[digest.editions]]`` included (as read)."""
        # A settings copy made with model_copy (tests) is not validated again: convert what it holds.
        return tuple(e if isinstance(e, NewsletterConfig) else from_edition(e) for e in self.digest.editions)

    def newsletter(self, name: str) -> NewsletterConfig:
        """The newsletter ``name``; ConfigError naming the key and the configured names when there is none."""
        for newsletter in self.all_newsletters:
            if newsletter.name == name:
                return newsletter
        known = ", ".join(n.name for n in self.all_newsletters)
        raise ConfigError("newsletters: no newsletter named %(name)r; configured: %(known)s", name=name, known=known)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def store_url(self) -> str:
        if self.store.url:
            return self.store.url
        return f"sqlite:///{self.resolve(self.site.var_dir) / 'syndication.db'}"

    @property
    def public_dir(self) -> Path:
        return self.resolve(self.site.public_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.resolve(self.site.outbox_dir)

    def edition(self, name: str) -> NewsletterConfig:
        """The newsletter (edition kind) ``name``; ``[[digest.editions]]`` are newsletters too."""
        for edition in self.all_newsletters:
            if edition.name == name:
                return edition
        known = ", ".join(e.name for e in self.digest.editions)
        raise ConfigError("digest.editions: no edition named %(name)r; configured: %(known)s", name=name, known=known)


class Secrets(BaseModel):
    """Secrets, read only from the environment."""

    model_config = ConfigDict(frozen=True)

    # repr=False: a Runtime printed in a traceback, a test failure or a log line shows no secret.
    secret_key: str | None = Field(default=None, repr=False)
    sendgrid_api_key: str | None = Field(default=None, repr=False)
    smtp_username: str | None = Field(default=None, repr=False)
    smtp_password: str | None = Field(default=None, repr=False)
    imap_username: str | None = Field(default=None, repr=False)
    imap_password: str | None = Field(default=None, repr=False)
    # PEM, or its body without the armour lines (one-line environment values).
    dkim_private_key: str | None = Field(default=None, repr=False)
    # Bearer token Prometheus sends for GET /metrics; unset, only this machine may scrape it.
    metrics_token: str | None = Field(default=None, repr=False)
    # Environment variable → value, for the SYNDICATION_WEBHOOK_<NAME>_SECRET variables.
    webhook_secrets: dict[str, str] = Field(default_factory=dict, repr=False)
    # Where a laptop install keeps its generated key when SYNDICATION_SECRET_KEY is unset (see for_settings).
    local_key_dir: Path | None = Field(default=None, repr=False)

    @classmethod
    def for_settings(cls, settings: Settings, env: Mapping[str, str] | None = None) -> Secrets:
        """Secrets from the environment; a local install (SQLite, no https) may fall back to a key in var_dir."""
        secrets = cls.from_env(env)
        store_url = settings.store_url.lower()
        production = store_url.startswith(("postgres", "postgresql")) or settings.site.url.lower().startswith(
            "https:"
        )
        if secrets.secret_key or production:
            return secrets
        return secrets.model_copy(update={"local_key_dir": settings.resolve(settings.site.var_dir)})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            secret_key=env.get("SYNDICATION_SECRET_KEY"),
            sendgrid_api_key=env.get("SENDGRID_API_KEY"),
            smtp_username=env.get("SYNDICATION_SMTP_USERNAME"),
            smtp_password=env.get("SYNDICATION_SMTP_PASSWORD"),
            imap_username=env.get("SYNDICATION_IMAP_USERNAME"),
            imap_password=env.get("SYNDICATION_IMAP_PASSWORD"),
            dkim_private_key=env.get("SYNDICATION_DKIM_PRIVATE_KEY"),
            metrics_token=env.get("SYNDICATION_METRICS_TOKEN") or None,
            webhook_secrets={
                name: value for name, value in env.items()
                if name.startswith("SYNDICATION_WEBHOOK_") and name.endswith("_SECRET") and value
            },
        )

    def require_secret_key(self) -> str:
        if not self.secret_key and self.local_key_dir is not None:
            return local_secret_key(self.local_key_dir)
        if not self.secret_key:
            raise ConfigError(
                "SYNDICATION_SECRET_KEY is not set: signed links need a secret key from the environment "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if len(self.secret_key) < 16:
            raise ConfigError("SYNDICATION_SECRET_KEY is too short: use at least 16 characters")
        return self.secret_key
