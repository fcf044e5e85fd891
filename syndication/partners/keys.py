"""Partner API keys: generated once, stored only as a keyed hash, compared in constant time.

A key looks like ``synd_<43 url-safe characters>`` (256 random bits). Its first
characters are stored in clear as a lookup prefix; the whole key is stored as
HMAC-SHA256 with a pepper derived from ``SYNDICATION_SECRET_KEY``, so a copy of the
database alone lets nobody check guesses. Changing the secret key therefore
invalidates every partner key (rotate them all after changing it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_MARKER = "synd_"
# Marker plus 8 random characters: 48 bits, enough to make prefix collisions rare.
PREFIX_LENGTH = len(KEY_MARKER) + 8
_PEPPER_CONTEXT = b"syndication partner api key v1"


def generate_key() -> str:
    """A new random API key (shown once to the operator, never stored)."""
    return KEY_MARKER + secrets.token_urlsafe(32)


def key_prefix(key: str) -> str:
    """The stored, non-secret part of ``key`` used to find its row."""
    return key[:PREFIX_LENGTH]


def looks_like_key(candidate: str) -> bool:
    """Whether ``candidate`` has the shape of one of our keys (cheap pre-check before the database)."""
    return candidate.startswith(KEY_MARKER) and 40 <= len(candidate) <= 100 and candidate.isascii()


class KeyHasher:
    """Hashes keys with a pepper derived from the application's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._pepper = hmac.new(secret_key.encode("utf-8"), _PEPPER_CONTEXT, hashlib.sha256).digest()

    def hash(self, key: str) -> str:
        return hmac.new(self._pepper, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def matches(self, key: str, stored_hash: str) -> bool:
        """Whether ``key`` hashes to ``stored_hash``; constant time in the compared values."""
        return hmac.compare_digest(self.hash(key), stored_hash)
