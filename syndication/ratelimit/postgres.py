"""Rate limit state in PostgreSQL: pyrate-limiter's two storage contracts on two tables of our own.

The library's ``PostgresBucket`` is not used: it keeps a table per bucket (here a table per client
address) and refuses a request outright when another process holds that table's lock, so two
processes' simultaneous requests would get false 429s. Here each check is one transaction under a
per-key advisory lock, and the tables are created on first use (the cache may be its own database).
"""

from __future__ import annotations

import threading
import zlib

from pyrate_limiter import (
    AbstractBucket,
    LogAlgorithm,
    Rate,
    RateItem,
    SlidingWindowLog,
    StateAlgorithm,
    StateBucket,
    StateStore,
    TokenBucket,
)
from pyrate_limiter import Decision as BucketDecision
from pyrate_limiter.abstracts.algorithm import State
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

from syndication.ratelimit.limits import MAX_KEY_LENGTH, Limit, Policy
from syndication.store.db import open_engine

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
