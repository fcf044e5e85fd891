"""Where the limits live without a ``[cache] url``: the store's PostgreSQL database, or this process's memory."""

from __future__ import annotations

from datetime import timedelta

from syndication.clock import FixedClock
from syndication.config import CacheConfig
from syndication.ratelimit import Limit, MemoryStore, RateLimits

SINGLE = Limit(1, timedelta(minutes=1))


def test_postgresql_store_shares_limits_without_a_cache_url(postgres_url: str) -> None:
    """Two processes' limits on one PostgreSQL store share one count although [cache] url is empty."""
    clock = FixedClock()
    first = RateLimits.from_config(CacheConfig(), clock, store_url=postgres_url)
    second = RateLimits.from_config(CacheConfig(), clock, store_url=postgres_url)
    try:
        allowed = [first.limiter("api", SINGLE).hit("k").allowed, second.limiter("api", SINGLE).hit("k").allowed]
    finally:
        first.close()
        second.close()
    assert [True, False] == allowed


def test_sqlite_store_keeps_limits_in_memory() -> None:
    """On SQLite, the one-process default, the limits live in the process's memory."""
    limits = RateLimits.from_config(CacheConfig(), FixedClock(), store_url="sqlite:///var/syndication.db")
    assert isinstance(limits.store, MemoryStore)
