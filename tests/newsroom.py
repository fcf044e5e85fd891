"""A runtime on a test's engine with chosen newsletters and articles: the set-up the newsletter tests share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Engine

from syndication.clock import Clock
from syndication.config import NewsletterConfig, Secrets, Settings
from syndication.model import Article
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore


def with_newsletters(settings: Settings, newsletters: Sequence[NewsletterConfig]) -> Settings:
    """``settings`` with exactly ``newsletters`` configured."""
    return settings.model_copy(update={"digest": settings.digest.model_copy(update={"editions": tuple(newsletters)})})


def newsroom_runtime(
    settings: Settings, engine: Engine, clock: Clock, newsletters: Sequence[NewsletterConfig],
    articles: Iterable[Article] = (),
) -> Runtime:
    """A runtime on ``engine`` (SQLite or PostgreSQL) with ``newsletters`` configured and ``articles`` stored."""
    runtime = Runtime(settings=with_newsletters(settings, newsletters), secrets=Secrets.from_env(), clock=clock)
    runtime.__dict__["engine"] = engine
    for article in articles:
        ArticleStore(engine).upsert(article, clock.now())
    return runtime
