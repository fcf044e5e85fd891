"""Signed tokens for subscriber links: one salt per purpose, bound to the subscriber.

Confirmation links expire (default 48 h); preference links expire after a year;
unsubscribe links never expire, because they must keep working for the life of a mail.
Form tokens (CSRF) are bound to a form and, where there is one, to the subscriber.

The signer reads "now" from the injected clock, so expiry is testable and follows the
runtime's clock rather than ``time.time()``.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import int_to_bytes, want_bytes

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


# RFC 2104's pads, applied to every byte of the key block.
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


class KeyedHmac:
    """HMAC (RFC 2104) with one key for many short messages: the key's two padded blocks are hashed once.

    Each digest copies the two prepared hashes. Written by hand because ``hmac.HMAC.copy()`` goes
    through three Python calls per message, which cost more than the hashing of a token (tests
    compare the result with ``hmac`` and itsdangerous).
    """

    def __init__(self, key: bytes, digest: str = "sha256") -> None:
        block_size = hashlib.new(digest).block_size
        if len(key) > block_size:
            key = hashlib.new(digest, key).digest()
        key = key.ljust(block_size, b"\0")
        self._inner = hashlib.new(digest, key.translate(_INNER_PAD))
        self._outer = hashlib.new(digest, key.translate(_OUTER_PAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


# The URL-safe base64 alphabet of itsdangerous (RFC 4648 §5), from the standard one.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _base64(data: bytes) -> bytes:
    """itsdangerous' ``base64_encode``: URL-safe base64 without padding (binascii directly: one call, not four)."""
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


class ClockedSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer, reading "now" from a clock, made for many tokens.

    A send signs two or three links per reader. itsdangerous makes a new signer per token, derives
    its key from the secret again, offers every payload to zlib, and goes through a dozen calls on
    the way: most of a personalised message's cost. ``dumps`` here writes the same token format in
    one step, with the signer's own key, digest and separator (tests compare it with itsdangerous'
    tokens); reading stays itsdangerous'.
    """

    def __init__(self, secret_key: str, salt: str, clock: Clock) -> None:
        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        super().__init__(secret_key, salt=salt, signer=ClockedSigner)
        self._clock = clock
        signer = self.make_signer()
        # Keyed once (a fresh HMAC re-hashes the key every time).
        self._mac = KeyedHmac(signer.derive_key(), signer.digest_method().name)
        self.separator = want_bytes(signer.sep)
        self._json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        self._stamp: tuple[int, bytes] = (-1, b"")

    def dumps(self, obj: object, salt: str | bytes | None = None) -> str:
        if salt is not None:
            return str(super().dumps(obj, salt))
        # Payloads are a few ids that zlib never shortens, so they are not offered to it; readers
        # take both forms.
        return self.sign_payload(_base64(self._json.encode(obj).encode("utf-8")))

    def timestamp(self) -> bytes:
        """Now, as the token's timestamp field (encoded once per second: a send signs thousands a second)."""
        seconds = int(self._clock.now().timestamp())
        if self._stamp[0] != seconds:
            self._stamp = (seconds, _base64(int_to_bytes(seconds)))
        return self._stamp[1]

    def sign_payload(self, payload: bytes) -> str:
        """The token of an encoded ``payload`` (base64 of its JSON), signed now."""
        return self.sign_value(payload + self.separator + self.timestamp())

    def sign_value(self, value: bytes) -> str:
        """The token of ``value``: an encoded payload and timestamp, joined by the separator."""
        return (value + self.separator + _base64(self._mac.digest(value))).decode("ascii")


def clocked_serializer(secret_key: str, salt: str, clock: Clock) -> ClockedSerializer:
    """A :class:`ClockedSerializer`: itsdangerous' token format, "now" from ``clock``, made for many tokens."""
    return ClockedSerializer(secret_key, salt, clock)


def _claims_payload(subscriber_id: int, digest: str) -> bytes:
    """``[subscriber_id, digest]`` as the serializer's compact JSON, base64-encoded."""
    if type(subscriber_id) is int:
        # The digest is hex: nothing in it needs escaping.
        return _base64(f'[{subscriber_id},"{digest}"]'.encode("ascii"))
    return _base64(json.dumps([subscriber_id, digest], ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


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
        self._makers: dict[tuple[Purpose, ...], Callable[[int, str], list[str]]] = {}

    def _serializer(self, purpose: Purpose) -> ClockedSerializer:
        return self._serializers[purpose]

    def make(self, purpose: Purpose, subscriber_id: int, email: str) -> str:
        return self._serializer(purpose).sign_payload(_claims_payload(subscriber_id, email_digest(email)))

    def make_each(self, purposes: Sequence[Purpose], subscriber_id: int, email: str) -> list[str]:
        """One token per purpose for the same subscriber (the address digested and the claims encoded once)."""
        if not purposes:
            return []
        return self.maker(tuple(purposes))(subscriber_id, email)

    def maker(self, purposes: tuple[Purpose, ...]) -> Callable[[int, str], list[str]]:
        """``make_each`` for these purposes, as a function with everything it needs at hand (a send's per-reader step).

        The purposes' serializers share the separator and the clock: only the signatures differ.
        """
        made = self._makers.get(purposes)
        if made is not None:
            return made
        serializers = [self._serializers[purpose] for purpose in purposes]
        first = serializers[0]
        separator = first.separator
        timestamp = first.timestamp
        macs = [serializer._mac.digest for serializer in serializers]

        def make(subscriber_id: int, email: str) -> list[str]:
            value = _claims_payload(subscriber_id, email_digest(email)) + separator + timestamp()
            signed = value + separator
            return [(signed + _base64(mac(value))).decode("ascii") for mac in macs]

        self._makers[purposes] = make
        return make

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
