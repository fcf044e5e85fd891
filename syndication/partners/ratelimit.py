"""The partner API's rate limit: a token bucket per partner key, on the one shared limiter.

Each key may burst up to ``[partners] rate_limit_per_minute`` requests and then gets one more
every ``60 / rate_limit_per_minute`` seconds. Where the buckets live is ``[cache] url``
(:mod:`syndication.ratelimit`): with Redis or PostgreSQL every ``serve`` process enforces one limit.
"""

from __future__ import annotations

from datetime import timedelta

from syndication.config import PartnersConfig
from syndication.ratelimit import Limit, Policy, RateLimiter, RateLimits

SCOPE = "partners"


def partner_limit(config: PartnersConfig) -> Limit:
    return Limit(config.rate_limit_per_minute, timedelta(minutes=1), Policy.TOKEN_BUCKET)


def partner_limiter(limits: RateLimits, config: PartnersConfig) -> RateLimiter:
    """Keys of this limiter are partner ids (as text)."""
    return limits.limiter(SCOPE, partner_limit(config))
