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
  (:class:`SqlStore`). The library's own ``PostgresBucket`` is not used: it keeps a table per bucket
  (here a table per client address) and refuses a request outright when another process holds that
  table's lock, so two processes' simultaneous requests would get false 429s.

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
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

import redis
from pyrate_limiter import (
    AbstractBucket,
    AbstractClock,
    InMemoryBucket,
    InMemoryStateStore,
    LogAlgorithm,
    Rate,
    RateItem,
    RedisBucket,
    RedisStateStore,
    SlidingWindowLog,
    StateAlgorithm,
    StateBucket,
    StateStore,
    TokenBucket,
)
from pyrate_limiter import Decision as BucketDecision
from pyrate_limiter.abstracts.algorithm import State
from pyrate_limiter.buckets.redis_bucket import LuaScript
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from syndication.clock import Clock
from syndication.errors import ConfigError
from syndication.store.db import open_engine

log = logging.getLogger(__name__)

REDIS_SCHEMES = ("redis", "rediss", "unix")
POSTGRES_SCHEMES = ("postgresql", "postgresql+psycopg")
DEFAULT_PREFIX = "syndication:ratelimit:"
# Long enough for any scope and key the features use (a partner id, a 64-digit client hash).
MAX_KEY_LENGTH = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Policy(StrEnum):
    """How ``count`` per ``window`` is counted."""

    # A burst of ``count`` at once, then one more every ``window / count`` (APIs: smooth for clients).
    TOKEN_BUCKET = "token bucket"
    # At most ``count`` in any ``window``, the next one when the oldest leaves it (abuse brakes).
    SLIDING_WINDOW = "sliding window"


@dataclass(frozen=True)
class Limit:
    count: int
    window: timedelta
    policy: Policy = Policy.SLIDING_WINDOW

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a rate limit's count must be at least 1, not {self.count}")
        if self.window < timedelta(milliseconds=1):
            raise ValueError(f"a rate limit's window must be at least 1 ms, not {self.window}")

    @property
    def window_ms(self) -> int:
        return self.window // timedelta(milliseconds=1)

    @property
    def rates(self) -> list[Rate]:
        return [Rate(self.count, self.window_ms)]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Whole seconds until a request of this key would be allowed (0 when allowed).
    retry_after_seconds: int = 0


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
        name = f"{self.prefix}{scope}:{key}"
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


_metadata = MetaData()
# Token buckets: a few numbers per key (the library's state, as text), until the bucket is full again.
state_table = Table(
    "ratelimit_state",
    _metadata,
    Column("scope", String(50), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("state", String(200), nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_ratelimit_state_expires", "scope", "expires_ms"),
)
# Sliding windows: one row per counted request, until it leaves the window.
hits_table = Table(
    "ratelimit_hits",
    _metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("scope", String(50), nullable=False),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_ratelimit_hits_key", "scope", "key", "at_ms"),
    Index("ix_ratelimit_hits_at", "scope", "at_ms"),
)
# The first of the two advisory-lock keys: PostgreSQL keeps two-key locks apart from one-key ones,
# so these never meet the application's other advisory locks.
_LOCK_CLASS = 0x52415445  # "RATE"


def _lock_key(text_: str) -> int:
    value = zlib.crc32(text_.encode("utf-8"))
    return value - 2**32 if value >= 2**31 else value


def _lock(connection: Connection, scope: str, key: str) -> None:
    # One check at a time per key, across processes; released when the transaction ends.
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:class, :key)"), {"class": _LOCK_CLASS, "key": _lock_key(f"{scope}:{key}")}
    )


class SqlStateStore(StateStore):
    """The library's constant-state contract (``check`` atomic) on PostgreSQL: one row per key."""

    def __init__(self, engine: Engine, scope: str, key: str, ttl_ms: int) -> None:
        self.engine = engine
        self.scope = scope
        self.key = key
        self.ttl_ms = ttl_ms

    def _where(self) -> ColumnElement[bool]:
        return (state_table.c.scope == self.scope) & (state_table.c.key == self.key)

    def _load(self, connection: Connection, algorithm: StateAlgorithm, rates: list[Rate], now: int) -> State:
        row = connection.execute(select(state_table.c.state, state_table.c.expires_ms).where(self._where())).first()
        if row is None or row.expires_ms <= now:
            return algorithm.initial(rates)
        return algorithm.decode(row.state.split(","))

    def check(self, algorithm: StateAlgorithm, rates: list[Rate], now: int, weight: int) -> BucketDecision:
        with self.engine.begin() as connection:
            _lock(connection, self.scope, self.key)
            state = self._load(connection, algorithm, rates, now)
            new_state, decision = algorithm.step(rates, state, now, weight)
            if decision.allowed:
                values = {"state": ",".join(str(value) for value in new_state), "expires_ms": now + self.ttl_ms}
                connection.execute(
                    pg_insert(state_table)
                    .values(scope=self.scope, key=self.key, **values)
                    .on_conflict_do_update(index_elements=["scope", "key"], set_=values)
                )
            # Keys whose bucket is full again are as new: the table stays as small as the traffic.
            connection.execute(
                delete(state_table).where(state_table.c.scope == self.scope, state_table.c.expires_ms <= now)
            )
            return decision

    def read(self, algorithm: StateAlgorithm, rates: list[Rate]) -> State:
        with self.engine.connect() as connection:
            return self._load(connection, algorithm, rates, 0)

    def reset(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(state_table).where(self._where()))


class SqlLogBucket(AbstractBucket):
    """The library's log contract (a timestamp per counted request) on PostgreSQL, for one key."""

    is_async = False

    def __init__(self, engine: Engine, scope: str, key: str, rates: list[Rate], algorithm: LogAlgorithm) -> None:
        self.engine = engine
        self.scope = scope
        self.key = key
        self._algorithm = algorithm
        self.rates = rates

    def _of_key(self) -> ColumnElement[bool]:
        return (hits_table.c.scope == self.scope) & (hits_table.c.key == self.key)

    def put(self, item: RateItem) -> bool:
        now = item.timestamp
        with self.engine.begin() as connection:
            _lock(connection, self.scope, self.key)
            # Old entries of every key of the scope go here, so the table stays as small as the window.
            connection.execute(
                delete(hits_table).where(
                    hits_table.c.scope == self.scope, hits_table.c.at_ms < self._algorithm.leak_bound(self.rates, now)
                )
            )
            counts = [
                connection.execute(
                    select(func.count())
                    .select_from(hits_table)
                    .where(self._of_key(), hits_table.c.at_ms >= self._algorithm.window_start(rate, now))
                ).scalar_one()
                for rate in self.rates
            ]

            def peek_timestamp(offset: int) -> int | None:
                return connection.execute(
                    select(hits_table.c.at_ms).where(self._of_key())
                    .order_by(hits_table.c.at_ms.desc()).offset(offset).limit(1)
                ).scalar()

            decision = self._algorithm.decide(self.rates, counts, item.weight, now, peek_timestamp)
            if decision.allowed:
                connection.execute(
                    insert(hits_table), [{"scope": self.scope, "key": self.key, "at_ms": now}] * item.weight
                )
            return self._record(item, decision)

    def leak(self, current_timestamp: int | None = None) -> int:
        assert current_timestamp is not None
        bound = self._algorithm.leak_bound(self.rates, current_timestamp)
        with self.engine.begin() as connection:
            return connection.execute(delete(hits_table).where(self._of_key(), hits_table.c.at_ms < bound)).rowcount

    def flush(self) -> None:
        self.failing_rate = None
        self._last_wait = None
        with self.engine.begin() as connection:
            connection.execute(delete(hits_table).where(self._of_key()))

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(hits_table).where(self._of_key())).scalar_one()

    def peek(self, index: int) -> RateItem | None:
        with self.engine.connect() as connection:
            at_ms = connection.execute(
                select(hits_table.c.at_ms).where(self._of_key())
                .order_by(hits_table.c.at_ms.desc()).offset(index).limit(1)
            ).scalar()
        return None if at_ms is None else RateItem(self.scope, at_ms)


class SqlStore:
    """State in PostgreSQL (the store's database will do), in two tables of its own, created on first use."""

    unavailable: tuple[type[BaseException], ...] = (DBAPIError,)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._created = False
        self._create_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        return cls(open_engine(url, migrate=False))

    def _create(self) -> None:
        with self._create_lock:
            if self._created:
                return
            with self.engine.begin() as connection:
                # Two processes starting together must not both create the tables.
                _lock(connection, "tables", "create")
                _metadata.create_all(connection, checkfirst=True)
            self._created = True

    def put(self, scope: str, key: str, limit: Limit, item: RateItem) -> BucketDecision:
        self._create()
        if limit.policy is Policy.TOKEN_BUCKET:
            # The state means something until the bucket is full again: one window.
            store = SqlStateStore(self.engine, scope, key, limit.window_ms)
            decision = StateBucket(limit.rates, TokenBucket(), store).put_decision(item)
        else:
            decision = SqlLogBucket(self.engine, scope, key, limit.rates, SlidingWindowLog()).put_decision(item)
        assert isinstance(decision, BucketDecision)
        return decision

    def close(self) -> None:
        self.engine.dispose()


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
            f"[cache] url: a redis://… or postgresql://… URL, or empty for this process's memory, not {shown!r}"
        )
    return scheme
