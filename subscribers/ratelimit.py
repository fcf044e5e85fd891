"""Per-client rate limit for sign-ups, on the one shared limiter (:mod:`syndication.ratelimit`).

At most ``[subscribers] subscribe_rate_limit`` attempts per client in any
``subscribe_rate_window_seconds`` (a sliding window). Where the count lives is ``[cache] url``:
this process's memory by default, Redis or PostgreSQL when several server processes share it.

The client is identified by a keyed hash of its IP address; the address itself is never stored.
Behind a reverse proxy, list it in ``[serve] trusted_proxies`` so that the client address is the
reader's, not the proxy's; forwarded headers from anyone else are ignored.
"""

from __future__ import annotations

from datetime import timedelta

from subscribers.addresses import client_hasher
from syndication.ratelimit import Decision, Limit, Policy, RateLimits

SCOPE = "signup"


class SubscribeRateLimiter:
    """At most ``limit`` attempts per client within a sliding ``window``; a refused attempt does not count."""

    def __init__(self, limits: RateLimits, secret_key: str | None, *, limit: int, window: timedelta) -> None:
        self._limiter = limits.limiter(SCOPE, Limit(limit, window, Policy.SLIDING_WINDOW))
        self._hash = client_hasher(secret_key)

    def attempt(self, client: str) -> Decision:
        """One attempt by ``client`` now: allowed, or refused with the seconds until it may try again."""
        return self._limiter.hit(self._hash(client))
