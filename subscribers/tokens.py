"""Signed tokens for subscriber links: one salt per purpose, bound to the subscriber.

Confirmation links expire (default 48 h); preference links expire after a year;
unsubscribe links never expire, because they must keep working for the life of a mail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from syndication.errors import SyndicationError


class Purpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"


class TokenInvalid(SyndicationError):
    """A token is tampered with, expired, or made for another purpose."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenClaims:
    subscriber_id: int
    email_digest: str


def email_digest(email: str) -> str:
    """A short digest of the address: a token stops working once the address changes."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


class TokenSigner:
    def __init__(self, secret_key: str, *, max_age: dict[Purpose, int | None] | None = None) -> None:
        self._secret_key = secret_key
        self._max_age: dict[Purpose, int | None] = {
            Purpose.CONFIRM: 48 * 3600,
            Purpose.PREFERENCES: 365 * 24 * 3600,
            Purpose.UNSUBSCRIBE: None,
        }
        if max_age:
            self._max_age.update(max_age)

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret_key, salt=f"syndication.subscribers.{purpose.value}")

    def make(self, purpose: Purpose, subscriber_id: int, email: str) -> str:
        return self._serializer(purpose).dumps([subscriber_id, email_digest(email)])

    def read(self, purpose: Purpose, token: str) -> TokenClaims:
        """The claims of a valid token; raises TokenInvalid saying why otherwise."""
        try:
            payload = self._serializer(purpose).loads(token, max_age=self._max_age[purpose])
        except SignatureExpired:
            raise TokenInvalid("expired") from None
        except BadSignature:
            raise TokenInvalid("invalid") from None
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
            raise TokenInvalid("invalid")
        return TokenClaims(subscriber_id=payload[0], email_digest=str(payload[1]))
