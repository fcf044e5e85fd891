"""One rate limiter for every feature: at most so many requests per key over a window.

Built on pyrate-limiter: its algorithms decide (``TokenBucket``: a burst of ``count``, refilled
evenly over ``window``; ``SlidingWindowLog``: at most ``count`` in any ``window``) and its buckets
keep the state. Features see only :class:`RateLimiter` (``hit(key) -> Decision``); the composition
builds one :class:`RateLimits` per process from ``[cache] url``, which says where the state lives:

- empty: this process's memory. Right for one ``serve`` process (the SQLite default); several
  processes would each enforce the limit on their own.
- ``redis://…`` (``rediss://``, ``unix://``): Redis, through the library's ``RedisStateStore`` and
  ``RedisBucket`` (each check one atomic Lua script), so every process shares one limit.
- ``postgresql://…``: PostgreSQL (the store's database will do): tables ``ratelimit_state`` and
  ``ratelimit_hits``, created on first use, each check one transaction under a per-key advisory lock
  (:mod:`syndication.ratelimit.postgres`).

Time: every check is stamped by the project's :class:`~syndication.clock.Clock` (through
:class:`ProjectClock`), on every backend, so tests move time with a ``FixedClock`` and nothing
depends on the wall clock. The library could read the server's clock instead (``PostgresClock``);
we do not, so that one clock source serves every backend. Processes sharing Redis or PostgreSQL
must therefore keep their clocks synchronised (NTP): a skew of a second moves a window by a second.

Failure: when Redis or PostgreSQL cannot be reached, the request is allowed and the outage
logged. A limiter is a brake against abuse; its store being down must not take the site down.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import redis
from pyrate_limiter import (
    AbstractBucket,
    AbstractClock,
    InMemoryBucket,
    InMemoryStateStore,
    RateItem,
    RedisBucket,
    RedisStateStore,
    SlidingWindowLog,
    StateBucket,
    TokenBucket,
)
from pyrate_limiter import Decision as BucketDecision
from pyrate_limiter.buckets.redis_bucket import LuaScript

from syndication.clock import Clock
from syndication.config import CacheConfig
from syndication.errors import ConfigError
from syndication.ratelimit.limits import MAX_KEY_LENGTH, Decision, Limit, Policy
from syndication.ratelimit.postgres import SqlStore

__all__ = ["MAX_KEY_LENGTH", "Decision", "Limit", "MemoryStore", "Policy", "ProjectClock", "RateLimiter",
           "RateLimits", "RedisStore", "SqlStore"]

log = logging.getLogger(__name__)

REDIS_SCHEMES = ("redis", "rediss", "unix")
POSTGRES_SCHEMES = ("postgresql", "postgresql+psycopg")
DEFAULT_PREFIX = "syndication:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RateLimiter(Protocol):
    """What a feature uses: one request of ``key`` now, allowed or not."""

    def hit(self, key: str) -> Decision: ...


class ProjectClock(AbstractClock):
    """The project's clock in the library's terms: epoch milliseconds."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> int:
        return (self.clock.now() - _EPOCH) // timedelta(milliseconds=1)


class Store(Protocol):
    """Where buckets keep their state (memory, Redis, PostgreSQL)."""

    # Errors meaning "the store cannot be reached": the request is allowed and the outage logged.
    unavailable: tuple[type[BaseException], ...]

    def put(self, scope: str, key: str, limit: Limit, item: RateItem) -> BucketDecision: ...

    def close(self) -> None: ...


class KeyedLimiter:
    """One limit for every key of a scope (``partners``, ``signup``), on a shared store."""

    def __init__(self, scope: str, limit: Limit, store: Store, clock: AbstractClock) -> None:
        self.scope = scope
        self.limit = limit
        self.store = store
        self.clock = clock

    def hit(self, key: str) -> Decision:
        if not key or len(self.scope) + len(key) + 1 > MAX_KEY_LENGTH:
            raise ValueError(f"a rate limit key of 1 to {MAX_KEY_LENGTH} characters with its scope, not {key[:20]!r}")
        now = self.clock.now()
        assert isinstance(now, int)
        try:
            decision = self.store.put(self.scope, key, self.limit, RateItem(self.scope, now))
        except self.store.unavailable as exc:
            log.error("rate limit store unavailable (%s: %s); %s request allowed", type(exc).__name__, exc, self.scope)
            return Decision(True)
        if decision.allowed:
            return Decision(True)
        wait_ms = decision.retry_after_ms if decision.retry_after_ms is not None else self.limit.window_ms
        return Decision(False, max(1, math.ceil(wait_ms / 1000)))


def bucket_for(limit: Limit, *, clock: AbstractClock) -> AbstractBucket:
    """A bucket in this process's memory for one key."""
    if limit.policy is Policy.TOKEN_BUCKET:
        return StateBucket(limit.rates, TokenBucket(), InMemoryStateStore(), clock=clock)
    return InMemoryBucket(limit.rates, SlidingWindowLog())


class MemoryStore:
    """Buckets in this process's memory; a key idle for its whole window is forgotten (it is as new)."""

    unavailable: tuple[type[BaseException], ...] = ()

    def __init__(self, clock: AbstractClock) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[AbstractBucket, int]] = {}
        self._lock = threading.Lock()
        self._swept = 0

    def put(self, scope: str, key: str, limit: Limit, item: RateItem) -> BucketDecision:
        now = item.timestamp
        with self._lock:
            if now - self._swept >= 60_000:
                self._sweep(now)
            known = self._buckets.get((scope, key))
            bucket = known[0] if known is not None else bucket_for(limit, clock=self._clock)
            self._buckets[(scope, key)] = (bucket, now + limit.window_ms)
            bucket.leak(now)
            decision = bucket.put_decision(item)
            assert isinstance(decision, BucketDecision)
            return decision

    def _sweep(self, now: int) -> None:
        self._swept = now
        for name in [name for name, (_, idle_after) in self._buckets.items() if idle_after < now]:
            del self._buckets[name]

    def __len__(self) -> int:
        return len(self._buckets)

    def close(self) -> None:
        with self._lock:
            self._buckets.clear()


class RedisStore:
    """State in Redis: a hash per token-bucket key, a sorted set per sliding-window key, each expiring."""

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX) -> None:
        # Short timeouts: a request waits at most this long for a Redis that is gone.
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.unavailable = (redis.ConnectionError, redis.TimeoutError)
        self._no_script = redis.exceptions.NoScriptError
        self._log_script: str | None = None

    def put(self, scope: str, key: str, limit: Limit, item: RateItem) -> BucketDecision:
        name = f"{self.prefix}ratelimit:{scope}:{key}"
        if limit.policy is Policy.TOKEN_BUCKET:
            decision = StateBucket(limit.rates, TokenBucket(), RedisStateStore(self.client, name)).put_decision(item)
        else:
            decision = self._put_log(name, limit, item)
        assert isinstance(decision, BucketDecision)
        return decision

    def _put_log(self, name: str, limit: Limit, item: RateItem) -> BucketDecision:
        # Entries older than the window go first; "(" keeps one exactly at its start (still counted).
        self.client.zremrangebyscore(name, "-inf", f"({item.timestamp - limit.window_ms}")
        try:
            decision = self._log_bucket(name, limit).put_decision(item)
        except self._no_script:
            # Redis restarted (it keeps no scripts): load the script again, once.
            self._log_script = None
            decision = self._log_bucket(name, limit).put_decision(item)
        self.client.pexpire(name, limit.window_ms + 1000)
        assert isinstance(decision, BucketDecision)
        return decision

    def _log_bucket(self, name: str, limit: Limit) -> RedisBucket:
        if self._log_script is None:
            self._log_script = self.client.script_load(LuaScript.PUT_ITEM)
        return RedisBucket(limit.rates, self.client, name, self._log_script, SlidingWindowLog())

    def close(self) -> None:
        self.client.close()


class RateLimits:
    """Every limiter of one process, on the store ``[cache] url`` names. Built once, by the composition."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = ProjectClock(clock)

    @classmethod
    def from_url(cls, url: str | None, clock: Clock, *, prefix: str = DEFAULT_PREFIX) -> RateLimits:
        scheme = cache_scheme(url)
        if scheme in REDIS_SCHEMES:
            return cls(RedisStore(str(url), prefix=prefix), clock)
        if scheme in POSTGRES_SCHEMES:
            return cls(SqlStore.from_url(str(url)), clock)
        return cls(MemoryStore(ProjectClock(clock)), clock)

    @classmethod
    def from_config(cls, config: CacheConfig, clock: Clock, *, store_url: str | None = None) -> RateLimits:
        """The process's rate limits as ``[cache]`` says.

        Without a ``[cache] url`` on a PostgreSQL store, the limits live in the store's database: several
        ``serve`` processes on one PostgreSQL share them without a setting (as sign-up limits always did).
        On SQLite, the one-process default, they live in the process's memory.
        """
        url = config.url
        if not url and store_url and urlsplit(store_url).scheme in POSTGRES_SCHEMES:
            url = store_url
        return cls.from_url(url, clock, prefix=config.prefix)

    def limiter(self, scope: str, limit: Limit) -> RateLimiter:
        return KeyedLimiter(scope, limit, self.store, self.clock)

    def close(self) -> None:
        self.store.close()


def cache_scheme(url: str | None) -> str:
    """The scheme of a ``[cache] url`` ("" for memory); anything else is refused naming the setting."""
    if not url or not url.strip():
        return ""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in REDIS_SCHEMES + POSTGRES_SCHEMES:
        shown = url.split("@")[-1][:60]
        raise ConfigError(
            "[cache] url: a redis://… or postgresql://… URL, or empty for this process's memory, not %(shown)r",
            shown=shown,
        )
    return scheme
