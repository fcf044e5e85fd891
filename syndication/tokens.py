"""Signed tokens for subscriber links: one salt per purpose, bound to the subscriber.

Confirmation links expire (default 48 h); preference links expire after a year;
unsubscribe links never expire, because they must keep working for the life of a mail.
Form tokens (CSRF) are bound to a form and, where there is one, to the subscriber.

The signer reads "now" from the injected clock, so expiry is testable and follows the
runtime's clock rather than ``time.time()``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes

from syndication.clock import Clock, SystemClock
from syndication.config import SubscribersConfig
from syndication.errors import SyndicationError


class Purpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    # Hidden field of the pages' own forms (CSRF protection).
    FORM = "form"


class TokenInvalid(SyndicationError):
    """A token is tampered with, expired, or made for another purpose."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenClaims:
    subscriber_id: int
    email_digest: str
    # When the token was signed (UTC).
    issued: datetime | None = None

    def matches(self, email: str) -> bool:
        """Whether the token was made for this address (it stops working once the address changes)."""
        return self.email_digest == email_digest(email)


def email_digest(email: str) -> str:
    """A short digest of the address: a token stops working once the address changes."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


def clocked_serializer(secret_key: str, salt: str, clock: Clock) -> URLSafeTimedSerializer:
    """itsdangerous' URL-safe timed serializer, reading "now" from ``clock``, made for many tokens.

    A send signs two or three links per reader. itsdangerous makes a new signer per token, derives
    its key from the secret again, offers every payload to zlib, and goes through a dozen calls on
    the way: most of a personalised message's cost. ``dumps`` here writes the same token format in
    one step, with the signer's own key, digest and separator (tests compare it with itsdangerous'
    tokens); reading stays itsdangerous'.
    """

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    class ReusingSerializer(URLSafeTimedSerializer):
        def __init__(self) -> None:
            super().__init__(secret_key, salt=salt, signer=ClockedSigner)
            signer = self.make_signer()
            # Keyed once; each token copies it (a fresh HMAC re-hashes the key every time).
            self._mac = hmac.new(signer.derive_key(), digestmod=signer.digest_method().name)
            self._sep = want_bytes(signer.sep)
            self._json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
            self._stamp: tuple[int, bytes] = (-1, b"")

        def dumps(self, obj: object, salt: str | bytes | None = None) -> str:
            if salt is not None:
                return str(super().dumps(obj, salt))
            # Payloads are a few ids that zlib never shortens, so they are not offered to it; readers
            # take both forms.
            payload = base64_encode(self._json.encode(obj).encode("utf-8"))
            seconds = int(clock.now().timestamp())
            if self._stamp[0] != seconds:
                # A send signs thousands of links a second: encode the timestamp once per second.
                self._stamp = (seconds, base64_encode(int_to_bytes(seconds)))
            value = payload + self._sep + self._stamp[1]
            mac = self._mac.copy()
            mac.update(value)
            signature = base64_encode(mac.digest())
            return (value + self._sep + signature).decode("ascii")

    return ReusingSerializer()


class TokenSigner:
    def __init__(
        self,
        secret_key: str,
        *,
        max_age: dict[Purpose, int | None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._secret_key = secret_key
        self._max_age: dict[Purpose, int | None] = {
            Purpose.CONFIRM: 48 * 3600,
            Purpose.PREFERENCES: 365 * 24 * 3600,
            Purpose.UNSUBSCRIBE: None,
            Purpose.FORM: 24 * 3600,
        }
        if max_age:
            self._max_age.update(max_age)
        clock = clock or SystemClock()
        self._serializers = {
            purpose: clocked_serializer(secret_key, f"syndication.subscribers.{purpose.value}", clock)
            for purpose in Purpose
        }

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return self._serializers[purpose]

    def make(self, purpose: Purpose, subscriber_id: int, email: str) -> str:
        return self._serializer(purpose).dumps([subscriber_id, email_digest(email)])

    def make_each(self, purposes: Sequence[Purpose], subscriber_id: int, email: str) -> list[str]:
        """One token per purpose for the same subscriber (the address is digested once)."""
        claims = [subscriber_id, email_digest(email)]
        return [self._serializer(purpose).dumps(claims) for purpose in purposes]

    def read(self, purpose: Purpose, token: str) -> TokenClaims:
        """The claims of a valid token; raises TokenInvalid saying why otherwise."""
        try:
            payload, signed_at = self._serializer(purpose).loads(
                token, max_age=self._max_age[purpose], return_timestamp=True
            )
        except SignatureExpired:
            raise TokenInvalid("expired") from None
        except BadSignature:
            raise TokenInvalid("invalid") from None
        if not (
            isinstance(payload, list)
            and len(payload) == 2
            and isinstance(payload[0], int)
            and not isinstance(payload[0], bool)
        ):
            raise TokenInvalid("invalid")
        issued = signed_at.astimezone(UTC) if isinstance(signed_at, datetime) else None
        return TokenClaims(subscriber_id=payload[0], email_digest=str(payload[1]), issued=issued)

    def make_form_token(self, form: str, subscriber_id: int = 0) -> str:
        """A CSRF token for one of our forms, bound to the form and the subscriber (0: anonymous)."""
        return self.make(Purpose.FORM, subscriber_id, f"form:{form}")

    def check_form_token(self, form: str, token: str, subscriber_id: int = 0) -> None:
        """Raises TokenInvalid unless ``token`` was made by make_form_token for this form and subscriber."""
        claims = self.read(Purpose.FORM, token)
        if claims.subscriber_id != subscriber_id or not claims.matches(f"form:{form}"):
            raise TokenInvalid("invalid")


def signer_for(config: SubscribersConfig, secret_key: str, clock: Clock) -> TokenSigner:
    """The signer of subscriber links, with the configured expiries (pages, digests and CLI share it)."""
    return TokenSigner(
        secret_key,
        max_age={
            Purpose.CONFIRM: config.confirm_expiry_hours * 3600,
            Purpose.PREFERENCES: config.preferences_expiry_days * 24 * 3600,
        },
        clock=clock,
    )
