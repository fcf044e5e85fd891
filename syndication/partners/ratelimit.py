"""A token bucket per API key, in the memory of one process.

Each key may burst up to ``per_minute`` requests and then gets one more every
``60 / per_minute`` seconds. Several server processes each keep their own buckets, so
the effective limit is per process (documented in the README, "Rate limits and logging").
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Whole seconds until the next request would be allowed (0 when allowed).
    retry_after: int = 0


class TokenBucketLimiter:
    """Thread-safe token buckets keyed by any hashable (the partner id)."""

    def __init__(self, per_minute: int, now: Callable[[], float]) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self._now = now
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object) -> Decision:
        """Spend one token of ``key``'s bucket if there is one."""
        with self._lock:
            moment = self._now()
            tokens, last = self._buckets.get(key, (self.capacity, moment))
            tokens = min(self.capacity, tokens + max(0.0, moment - last) * self.refill_per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, moment)
                return Decision(True)
            self._buckets[key] = (tokens, moment)
            wait = (1.0 - tokens) / self.refill_per_second
            return Decision(False, max(1, math.ceil(wait)))
