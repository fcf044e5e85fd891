"""Signed subscriber tokens: purpose, binding to the address, expiry on the injected clock."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from syndication.clock import FixedClock
from syndication.tokens import KeyedHmac, Purpose, TokenInvalid, TokenSigner, email_digest

KEY = "test-secret-key-0123456789abcdef"


def test_round_trip_gives_subscriber_and_issue_time(clock: FixedClock) -> None:
    """A fresh token reads back as its subscriber, bound to the address, stamped with the clock's time."""
    signer = TokenSigner(KEY, clock=clock)
    claims = signer.read(Purpose.PREFERENCES, signer.make(Purpose.PREFERENCES, 7, "Anna@example.org"))
    assert (7, True, False, clock.now()) == (
        claims.subscriber_id, claims.matches("anna@example.org"), claims.matches("other@example.org"), claims.issued,
    )


def test_confirmation_expires_by_the_clock(clock: FixedClock) -> None:
    """A confirmation token is valid up to its max age and expired one second later."""
    signer = TokenSigner(KEY, max_age={Purpose.CONFIRM: 3600}, clock=clock)
    token = signer.make(Purpose.CONFIRM, 1, "a@example.org")
    clock.advance(timedelta(seconds=3600))
    signer.read(Purpose.CONFIRM, token)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenInvalid) as raised:
        signer.read(Purpose.CONFIRM, token)
    assert "expired" == raised.value.reason


def test_unsubscribe_tokens_never_expire(clock: FixedClock) -> None:
    """The unsubscribe link keeps working for the life of a mail (years later)."""
    signer = TokenSigner(KEY, clock=clock)
    token = signer.make(Purpose.UNSUBSCRIBE, 1, "a@example.org")
    clock.advance(timedelta(days=3650))
    assert 1 == signer.read(Purpose.UNSUBSCRIBE, token).subscriber_id


@pytest.mark.parametrize(
    "mangle",
    [
        # The signature's last base64 character carries unused bits, so change the one before it.
        lambda t: t[:-2] + ("x" if t[-2] != "x" else "y") + t[-1],
        lambda t: t[:5] + ("B" if t[5] != "B" else "C") + t[6:],
        lambda t: t.split(".")[0],
        lambda t: "",
    ],
)
def test_tampered_tokens_are_invalid(clock: FixedClock, mangle: object) -> None:
    """Any change to a token makes it invalid."""
    signer = TokenSigner(KEY, clock=clock)
    token = signer.make(Purpose.CONFIRM, 1, "a@example.org")
    with pytest.raises(TokenInvalid):
        signer.read(Purpose.CONFIRM, mangle(token))  # type: ignore[operator]


def test_wrong_purpose_or_key_is_invalid(clock: FixedClock) -> None:
    """A token signed for one purpose, or with another key, is refused for any other."""
    signer = TokenSigner(KEY, clock=clock)
    token = signer.make(Purpose.UNSUBSCRIBE, 1, "a@example.org")
    with pytest.raises(TokenInvalid):
        signer.read(Purpose.CONFIRM, token)
    with pytest.raises(TokenInvalid):
        TokenSigner("another-key-0123456789abcdef", clock=clock).read(Purpose.UNSUBSCRIBE, token)


def test_form_tokens_are_bound_to_form_and_subscriber(clock: FixedClock) -> None:
    """A CSRF token of one form or subscriber does not pass for another."""
    signer = TokenSigner(KEY, clock=clock)
    token = signer.make_form_token("preferences", 5)
    signer.check_form_token("preferences", token, 5)
    with pytest.raises(TokenInvalid):
        signer.check_form_token("preferences", token, 6)
    with pytest.raises(TokenInvalid):
        signer.check_form_token("unsubscribe", token, 5)


@settings(max_examples=200, deadline=None)
@given(
    subscriber_id=st.integers(min_value=0, max_value=2**53),
    email=st.emails(),
    seconds=st.integers(min_value=0, max_value=2**37),
    purpose=st.sampled_from(list(Purpose)),
)
def test_tokens_are_itsdangerous_own(subscriber_id: int, email: str, seconds: int, purpose: Purpose) -> None:
    """Tokens equal a fresh itsdangerous serializer's (for payloads zlib does not shorten), which reads them."""
    clock = FixedClock(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))

    class FixedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    fresh = URLSafeTimedSerializer(
        "a-secret-key-of-enough-length", salt=f"syndication.subscribers.{purpose.value}", signer=FixedSigner
    )
    token = TokenSigner("a-secret-key-of-enough-length", clock=clock).make(purpose, subscriber_id, email)
    expected = fresh.dumps([subscriber_id, email_digest(email)])
    if not expected.startswith("."):
        assert expected == token
    assert [subscriber_id, email_digest(email)] == fresh.loads(token)


@settings(max_examples=100, deadline=None)
@given(subscriber_id=st.integers(min_value=0, max_value=2**53), email=st.emails(),
       seconds=st.integers(min_value=0, max_value=2**37))
def test_tokens_made_together_equal_tokens_made_one_by_one(subscriber_id: int, email: str, seconds: int) -> None:
    """make_each gives for each purpose the token make gives, and each reads back for its purpose."""
    clock = FixedClock(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))
    signer = TokenSigner(KEY, clock=clock)
    purposes = [Purpose.UNSUBSCRIBE, Purpose.PREFERENCES, Purpose.CONFIRM]
    tokens = signer.make_each(purposes, subscriber_id, email)
    assert [signer.make(purpose, subscriber_id, email) for purpose in purposes] == tokens
    assert [subscriber_id] * 3 == [signer.read(p, t).subscriber_id for p, t in zip(purposes, tokens, strict=True)]


@settings(max_examples=200, deadline=None)
@given(key=st.binary(max_size=200), message=st.binary(max_size=300), digest=st.sampled_from(["sha1", "sha256"]))
def test_keyed_hmac_is_rfc_2104s(key: bytes, message: bytes, digest: str) -> None:
    """KeyedHmac gives the hmac module's digest for any key (longer than a block too) and message."""
    assert hmac.new(key, message, digest).digest() == KeyedHmac(key, digest).digest(message)
