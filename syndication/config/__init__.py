"""Configuration: config.toml + ``SYNDICATION_<SECTION>__<KEY>`` overrides → frozen typed settings.

This package is the only reader of configuration. It is read once, at start-up, and the
typed sections are passed down explicitly. Secrets never come from the file: they are
read from the environment by :class:`Secrets`. The sections live in groups (``content``,
``mail``, ``serving``); everything is imported from here.
"""

from __future__ import annotations

from syndication.config.base import Section
from syndication.config.content import (
    AnatomyConfig,
    CollectConfig,
    DigestConfig,
    EditionConfig,
    FeedsConfig,
    SiteConfig,
    SourceConfig,
    StoreConfig,
)
from syndication.config.loading import CONFIG_ENV, DEFAULT_CONFIG_FILE, ENV_PREFIX, apply_env_overrides, load_settings
from syndication.config.mail import (
    WEBHOOK_EVENTS,
    DeliveryConfig,
    DkimConfig,
    InboundConfig,
    SendgridConfig,
    SmtpConfig,
    SubscribersConfig,
    TrackingConfig,
    WebhookConfig,
)
from syndication.config.newsletters import ArticleFilter, CalendarConfig, NewsletterConfig
from syndication.config.serving import CacheConfig, PartnersConfig, SchedulerConfig, ServeConfig
from syndication.config.settings import Secrets, Settings
from syndication.config.workers import LoggingConfig, PublishConfig, WorkersConfig

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "WEBHOOK_EVENTS",
    "AnatomyConfig",
    "ArticleFilter",
    "CacheConfig",
    "CalendarConfig",
    "CollectConfig",
    "DeliveryConfig",
    "DigestConfig",
    "DkimConfig",
    "EditionConfig",
    "FeedsConfig",
    "InboundConfig",
    "LoggingConfig",
    "NewsletterConfig",
    "PartnersConfig",
    "PublishConfig",
    "SchedulerConfig",
    "Secrets",
    "Section",
    "SendgridConfig",
    "ServeConfig",
    "Settings",
    "SiteConfig",
    "SmtpConfig",
    "SourceConfig",
    "StoreConfig",
    "SubscribersConfig",
    "TrackingConfig",
    "WebhookConfig",
    "WorkersConfig",
    "apply_env_overrides",
    "load_settings",
]
