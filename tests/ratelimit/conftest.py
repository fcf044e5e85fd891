"""Stores for the rate limiter tests: memory, a real Redis (127.0.0.1:6379) and a real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from syndication.clock import Clock
from syndication.ratelimit import RateLimits

REDIS_ENV = "SYNDICATION_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"

Factory = Callable[[Clock], RateLimits]


@pytest.fixture
def redis_url() -> str:
    """The test Redis (``SYNDICATION_TEST_REDIS_URL``, else 127.0.0.1:6379); skipped when it does not answer."""
    url = os.environ.get(REDIS_ENV, REDIS_DEFAULT)
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {url} ({exc}); start one or set {REDIS_ENV}")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for name in client.scan_iter(match=f"{prefix}*"):
        client.delete(name)
    client.close()


@pytest.fixture(params=["memory", "redis", "postgres"])
def limits_factory(request: pytest.FixtureRequest) -> Iterator[Factory]:
    """Builds RateLimits on one store, once per backend; every RateLimits built shares that store."""
    built: list[RateLimits] = []
    if request.param == "memory":
        url = ""
        prefix = "unused:"
    elif request.param == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
    else:
        url = request.getfixturevalue("postgres_url")
        prefix = "unused:"

    def factory(clock: Clock) -> RateLimits:
        limits = RateLimits.from_url(url, clock, prefix=prefix)
        built.append(limits)
        return limits

    yield factory
    for limits in built:
        limits.close()
