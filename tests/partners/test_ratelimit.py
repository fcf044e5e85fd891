"""The per-key token bucket."""

from __future__ import annotations

from syndication.partners.ratelimit import Decision, TokenBucketLimiter


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refused_with_retry_after() -> None:
    """A key may spend its whole bucket at once; the next request waits for one token."""
    clock = Seconds()
    limiter = TokenBucketLimiter(per_minute=3, now=clock)
    assert [Decision(True)] * 3 + [Decision(False, 20)] == [limiter.take("a") for _ in range(4)]


def test_tokens_come_back_over_time() -> None:
    """After 60/limit seconds one more request is allowed, and the bucket never exceeds its size."""
    clock = Seconds()
    limiter = TokenBucketLimiter(per_minute=3, now=clock)
    for _ in range(3):
        limiter.take("a")
    clock.now += 20
    assert [True, False] == [limiter.take("a").allowed, limiter.take("a").allowed]
    clock.now += 3600
    assert [True, True, True, False] == [limiter.take("a").allowed for _ in range(4)]


def test_keys_have_their_own_buckets() -> None:
    """One partner using up its bucket does not slow down another."""
    limiter = TokenBucketLimiter(per_minute=1, now=Seconds())
    assert [True, False, True] == [limiter.take(1).allowed, limiter.take(1).allowed, limiter.take(2).allowed]
