"""The one rate limiter, on memory, Redis and PostgreSQL: same answers everywhere, shared where the store is."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from syndication.clock import Clock, FixedClock
from syndication.errors import ConfigError
from syndication.ratelimit import Decision, Limit, MemoryStore, Policy, ProjectClock, RateLimits

TOKENS = Limit(3, timedelta(minutes=1), Policy.TOKEN_BUCKET)
Factory = Callable[[Clock], RateLimits]
WINDOW = Limit(2, timedelta(seconds=600), Policy.SLIDING_WINDOW)


def test_token_bucket_bursts_then_refills(limits_factory: Factory) -> None:
    """A key spends its bucket at once, waits window/count for the next token, and never holds more than count."""
    clock = FixedClock()
    limiter = limits_factory(clock).limiter("api", TOKENS)
    assert [Decision(True)] * 3 + [Decision(False, 20)] == [limiter.hit("k") for _ in range(4)]
    clock.advance(timedelta(seconds=19))
    assert Decision(False, 1) == limiter.hit("k")
    clock.advance(timedelta(seconds=1))
    assert [True, False] == [limiter.hit("k").allowed, limiter.hit("k").allowed]
    clock.advance(timedelta(hours=1))
    assert [True, True, True, False] == [limiter.hit("k").allowed for _ in range(4)]


def test_sliding_window_counts_any_window(limits_factory: Factory) -> None:
    """At most count per window; the next attempt is allowed once the oldest has left it; refusals do not count."""
    clock = FixedClock()
    limiter = limits_factory(clock).limiter("signup", WINDOW)
    first = limiter.hit("k")
    clock.advance(timedelta(seconds=300))
    second = limiter.hit("k")
    refused = [limiter.hit("k") for _ in range(3)]
    assert [Decision(True), Decision(True)] + [Decision(False, 301)] * 3 == [first, second, *refused]
    clock.advance(timedelta(seconds=301))
    assert [True, False] == [limiter.hit("k").allowed, limiter.hit("k").allowed]
    clock.advance(timedelta(seconds=300))
    assert Decision(True) == limiter.hit("k")


def test_keys_and_scopes_are_separate(limits_factory: Factory) -> None:
    """One key using up its limit leaves other keys, and the same key in another scope, untouched."""
    limits = limits_factory(FixedClock())
    single = Limit(1, timedelta(minutes=1))
    one, other = limits.limiter("one", single), limits.limiter("other", single)
    assert [True, False, True, True] == [one.hit("a").allowed, one.hit("a").allowed, one.hit("b").allowed,
                                         other.hit("a").allowed]


@pytest.mark.parametrize("limit", [TOKENS, WINDOW], ids=["token-bucket", "sliding-window"])
@pytest.mark.parametrize("backend", ["redis", "postgres"])
def test_two_processes_share_one_limit(
    request: pytest.FixtureRequest, backend: str, limit: Limit
) -> None:
    """Two RateLimits on one Redis or PostgreSQL (as two processes have) enforce one limit for a key together."""
    url = request.getfixturevalue(f"{backend}_url")
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else "unused:"
    clock = FixedClock()
    first, second = (RateLimits.from_url(url, clock, prefix=prefix) for _ in range(2))
    try:
        answers = [limits.limiter("shared", limit).hit("k").allowed for limits in (first, second) * 3]
    finally:
        first.close()
        second.close()
    assert limit.count == answers.count(True)
    assert [True] * limit.count == answers[: limit.count]


@pytest.mark.parametrize("backend", ["redis", "postgres"])
def test_concurrent_hits_admit_exactly_the_limit(request: pytest.FixtureRequest, backend: str) -> None:
    """Twenty threads on two RateLimits hitting one key at once: exactly count pass (each check is atomic)."""
    url = request.getfixturevalue(f"{backend}_url")
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else "unused:"
    clock = FixedClock()
    stores = [RateLimits.from_url(url, clock, prefix=prefix) for _ in range(2)]
    limit = Limit(7, timedelta(minutes=1), Policy.TOKEN_BUCKET)
    limiters = [stores[i % 2].limiter("race", limit) for i in range(20)]
    start = threading.Barrier(20)
    answers: list[bool] = []

    def hit(index: int) -> None:
        start.wait()
        answers.append(limiters[index].hit("k").allowed)

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for limits in stores:
        limits.close()
    assert (20, 7) == (len(answers), answers.count(True))


def test_memory_is_per_process() -> None:
    """Without [cache] url each RateLimits (each process) counts on its own: the reason to set it."""
    clock = FixedClock()
    first, second = RateLimits.from_url("", clock), RateLimits.from_url(None, clock)
    limit = Limit(1, timedelta(minutes=1))
    assert [True, True] == [first.limiter("s", limit).hit("k").allowed, second.limiter("s", limit).hit("k").allowed]


def test_memory_forgets_keys_idle_for_their_window() -> None:
    """Keys unused for a whole window are dropped, so memory does not grow with every client ever seen."""
    clock = FixedClock()
    store = MemoryStore(ProjectClock(clock))
    limiter = RateLimits(store, clock).limiter("s", Limit(1, timedelta(minutes=1)))
    for number in range(50):
        limiter.hit(f"client-{number}")
    clock.advance(timedelta(minutes=2))
    limiter.hit("late")
    assert 1 == len(store)


def test_unreachable_redis_allows_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    """A Redis that is gone does not take the site down: the request is allowed and the outage logged."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limits = RateLimits.from_url(f"redis://127.0.0.1:{port}/0", FixedClock())
    with caplog.at_level(logging.ERROR, logger="syndication.ratelimit"):
        decision = limits.limiter("api", TOKENS).hit("k")
    limits.close()
    assert Decision(True) == decision
    assert ["rate limit store unavailable"] == [r.getMessage().split(" (")[0] for r in caplog.records]


@pytest.mark.parametrize("url", ["memcached://cache:11211", "http://user:geheim@cache.example"])
def test_unknown_cache_url_is_refused_naming_the_setting(url: str) -> None:
    """A URL the limiter cannot use is a configuration error naming [cache] url, without its password."""
    with pytest.raises(ConfigError, match=r"\[cache\] url") as raised:
        RateLimits.from_url(url, FixedClock())
    assert "geheim" not in str(raised.value)


def test_project_clock_gives_epoch_milliseconds() -> None:
    """The library gets the project's time as epoch milliseconds, whatever zone the clock's datetime is in."""
    moment = datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=UTC)
    assert 1774747800250 == ProjectClock(FixedClock(moment)).now()


def test_limit_and_key_are_checked() -> None:
    """A limit of nothing, or an empty key, is refused with a message saying what is wrong."""
    with pytest.raises(ValueError, match="count must be at least 1"):
        Limit(0, timedelta(minutes=1))
    with pytest.raises(ValueError, match="window must be at least 1 ms"):
        Limit(1, timedelta(0))
    with pytest.raises(ValueError, match="rate limit key"):
        RateLimits.from_url("", FixedClock()).limiter("s", TOKENS).hit("")
