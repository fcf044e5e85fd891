"""Sections about running the service: partners, the scheduler, the HTTP server, the shared cache."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from syndication.config.base import Section
from syndication.errors import BadValue


class PartnersConfig(Section):
    rights_text: str = "Nutzung nur im Rahmen des Syndizierungsvertrags."
    licence_url: str = "http://localhost:8000/lizenz"
    attribution: str = "Quelle: Pfalz-Rundschau"
    copyright_holder: str = "Pfalz-Rundschau GmbH"
    rate_limit_per_minute: int = Field(default=60, ge=1)
    page_limit: int = Field(default=50, ge=1, le=500)
    # Long-poll (?wait=): how often the one shared check asks the database for new versions.
    longpoll_check_seconds: float = Field(default=0.5, gt=0, le=10)
    # Push (`partners push NAME URL`): time-out per POST, backoff with jitter, giving up after a day.
    push_timeout_seconds: float = Field(default=10, gt=0, le=120)
    push_backoff_base_seconds: float = Field(default=30, gt=0)
    push_backoff_max_seconds: float = Field(default=3600, gt=0)
    push_give_up_hours: float = Field(default=24, gt=0)
    # http:// push endpoints on loopback addresses (tests, a receiver on the same machine); otherwise https only.
    push_allow_loopback_http: bool = False


class SchedulerConfig(Section):
    collect_interval_minutes: float = Field(default=10, gt=0)
    misfire_grace_seconds: int = Field(default=7200, ge=1)
    # After this long without a successful collect, /healthz answers 503.
    collect_overdue_factor: float = Field(default=3.0, gt=1)
    # Overrides collect_interval_minutes when set (short intervals for demos and tests).
    collect_interval_seconds: float | None = Field(default=None, gt=0)
    # How often pending outgoing webhooks are posted.
    webhooks_interval_seconds: float = Field(default=30, gt=0)
    # How often partner versions are recorded and pushes posted (partners with a push endpoint).
    partner_push_interval_seconds: float = Field(default=15, gt=0)


class ServeConfig(Section):
    host: str = "127.0.0.1"
    port: int = 8000
    # Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed; empty: nobody's.
    trusted_proxies: tuple[str, ...] = ()

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, values: tuple[str, ...]) -> tuple[str, ...]:

        for value in values:
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise BadValue("an IP address or network such as '10.0.0.0/8', not %(value)r", value=value) from None
        return tuple(value.strip() for value in values)


class CacheConfig(Section):
    # Where state shared by server processes lives (rate limits): empty = this process's memory (one
    # `serve`, the SQLite default); redis://… or postgresql://… when several processes serve together.
    url: str = ""
    # Before every key in Redis, so that several sites (or tests) can share one Redis.
    prefix: str = Field(default="syndication:", min_length=1, max_length=50)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        scheme = value.strip().partition("://")[0].lower() if value.strip() else ""
        if scheme not in ("", "redis", "rediss", "unix", "postgresql", "postgresql+psycopg"):
            raise BadValue(
                "a redis://… or postgresql://… URL, or empty for this process's memory, not %(shown)r",
                shown=value.split("@")[-1][:60],
            )
        return value.strip()
