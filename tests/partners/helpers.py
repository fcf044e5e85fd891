"""Helpers shared by the partner tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from syndication.app.partners import partner_routes
from syndication.clock import Clock
from syndication.config import PartnersConfig, Settings, SiteConfig
from syndication.model import Article
from syndication.partners.model import Partner, Terms
from syndication.partners.versions import VersionLog
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore, Outcome
from syndication.testing import live_server

NINJS_SCHEMA = Path(__file__).resolve().parent.parent / "data" / "ninjs" / "ninjs-schema_3.1.json"
TEST_SECRET = "test-secret-key-0123456789abcdef"


def ninjs_validator() -> Draft202012Validator:
    """The IPTC ninjs 3.1 schema with format checks (uri, date-time) switched on."""
    schema = json.loads(NINJS_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(validator: Draft202012Validator, item: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(item)]


def default_terms(**overrides: Any) -> Terms:
    """Terms as a partner without own rights gets them from the default configuration."""
    partner = Partner(id=1, name="Test", key_prefix="synd_test", **overrides)
    return partner.terms(PartnersConfig(), SiteConfig())


def with_rate_limit(settings: Settings, per_minute: int) -> Settings:
    return settings.model_copy(
        update={"partners": settings.partners.model_copy(update={"rate_limit_per_minute": per_minute})}
    )


TRANSPORTS = ("in-process", "loopback")


@contextmanager
def partner_client(runtime: Runtime, transport: str) -> Iterator[httpx.Client]:
    """An HTTP client for the partner routes: in process, or over real HTTP on 127.0.0.1 (uvicorn)."""
    limits = RateLimits.from_config(runtime.settings.cache, runtime.clock)
    app = Starlette(routes=partner_routes(runtime, limits))
    if transport == "in-process":
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield client
        return
    with live_server(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


class CollectingStore(ArticleStore):
    """The article store as collect uses it: after every write the partners' version log hears of it
    (as collect's ``ChangeListener`` does), so that the cursor shows what was written."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        super().__init__(engine)
        self.versions = VersionLog(engine, clock)

    def upsert(self, article: Article, now: datetime, fingerprint: str | None = None) -> Outcome:
        outcome = super().upsert(article, now, fingerprint)
        self.versions.sync()
        return outcome

    def upsert_many(self, items: Iterable[tuple[Article, str | None]], now: datetime) -> dict[str, Outcome]:
        outcomes = super().upsert_many(items, now)
        self.versions.sync()
        return outcomes

    def retract(self, article_ids: Iterable[str], now: datetime) -> list[str]:
        changed = super().retract(article_ids, now)
        self.versions.sync()
        return changed
