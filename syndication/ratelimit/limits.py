"""What a rate limit is and what it answers: the values every store and feature shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from pyrate_limiter import Rate

# Long enough for any scope and key the features use (a partner id, a 64-digit client hash).
MAX_KEY_LENGTH = 200


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
