"""Fixtures for digest tests: a runtime on the test database, articles and subscribers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from subscribers.model import Subscriber, SubscriberStatus
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.digest.editions import Edition
from syndication.model import Article
from syndication.runtime import Runtime
from syndication.testing import make_article


@pytest.fixture
def runtime(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    """A runtime whose engine is the test's migrated SQLite database."""
    created = Runtime(settings=settings, secrets=Secrets.from_env(), clock=clock)
    created.__dict__["engine"] = engine
    return created


def make_edition(articles: Sequence[Article], edition_id: str = "daily-2026-11-24") -> Edition:
    """An edition (not stored) holding ``articles`` in the given order."""
    return Edition(
        id=edition_id,
        name="daily",
        title="Der Morgen",
        edition_date=date(2026, 11, 24),
        built_at=datetime(2026, 11, 24, 5, 0, tzinfo=UTC),
        article_ids=tuple(a.id for a in articles),
        previous_watermark=0,
        watermark=len(articles),
        new_article_count=len(articles),
    )


def subscriber(number: int = 1, **overrides: object) -> Subscriber:
    base = Subscriber(
        id=number, email=f"leser{number}@example.org", status=SubscriberStatus.ACTIVE, name=None
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def sample_articles(count: int) -> list[Article]:
    """Reference-shaped articles in two categories and two regions."""
    result = []
    for number in range(1, count + 1):
        if number % 3 == 0:
            result.append(make_article(number, categories=("Sport",), regions=("Mainz",)))
        else:
            result.append(make_article(number))
    return result


@pytest.fixture
def any_runtime(settings: Settings, any_engine: Engine, clock: FixedClock) -> Runtime:
    """A runtime on SQLite and, where reachable, on PostgreSQL."""
    created = Runtime(settings=settings, secrets=Secrets.from_env(), clock=clock)
    created.__dict__["engine"] = any_engine
    return created
