"""The partner API's limit: a token bucket per key, [partners] rate_limit_per_minute deep."""

from __future__ import annotations

from datetime import timedelta

from syndication.clock import FixedClock
from syndication.config import PartnersConfig
from syndication.partners.ratelimit import partner_limiter
from syndication.ratelimit import Decision, RateLimiter, RateLimits


def limiter(per_minute: int, clock: FixedClock) -> RateLimiter:
    return partner_limiter(RateLimits.from_url("", clock), PartnersConfig(rate_limit_per_minute=per_minute))


def test_burst_then_refused_with_retry_after() -> None:
    """A key may spend its whole bucket at once; the next request waits for one token."""
    partners = limiter(3, FixedClock())
    assert [Decision(True)] * 3 + [Decision(False, 20)] == [partners.hit("a") for _ in range(4)]


def test_tokens_come_back_over_time() -> None:
    """After 60/limit seconds one more request is allowed, and the bucket never exceeds its size."""
    clock = FixedClock()
    partners = limiter(3, clock)
    for _ in range(3):
        partners.hit("a")
    clock.advance(timedelta(seconds=20))
    assert [True, False] == [partners.hit("a").allowed, partners.hit("a").allowed]
    clock.advance(timedelta(seconds=3600))
    assert [True, True, True, False] == [partners.hit("a").allowed for _ in range(4)]


def test_keys_have_their_own_buckets() -> None:
    """One partner using up its bucket does not slow down another."""
    partners = limiter(1, FixedClock())
    assert [True, False, True] == [partners.hit("1").allowed, partners.hit("1").allowed, partners.hit("2").allowed]
