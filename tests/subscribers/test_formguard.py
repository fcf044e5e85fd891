"""SubscribeFormGuard and same_origin: browser-bound, expiring, single-use form tokens (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from subscribers.formguard import SubscribeFormGuard, own_origins, same_origin
from subscribers.tables import used_form_tokens
from syndication.clock import FixedClock
from syndication.tokens import TokenInvalid

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture
def guard(any_engine: Engine, clock: FixedClock) -> SubscribeFormGuard:
    return SubscribeFormGuard(any_engine, SECRET, clock)


def reason(guard: SubscribeFormGuard, cookie: str | None, token: str) -> str:
    try:
        guard.check(cookie, token)
    except TokenInvalid as exc:
        return exc.reason
    return "accepted"


def test_a_token_is_accepted_once_with_its_cookie(guard: SubscribeFormGuard) -> None:
    """First use passes; the second is 'used'; another browser's cookie or none is 'invalid'."""
    issued = guard.issue(None)
    other = guard.issue(None)
    assert ["invalid", "invalid", "accepted", "used"] == [
        reason(guard, other.cookie, issued.token),
        reason(guard, None, issued.token),
        reason(guard, issued.cookie, issued.token),
        reason(guard, issued.cookie, issued.token),
    ]


def test_the_cookie_is_kept_until_half_its_life_then_renewed(guard: SubscribeFormGuard, clock: FixedClock) -> None:
    """A browser keeps its cookie for an hour (tokens of two tabs agree), then gets a new one."""
    first = guard.issue(None)
    clock.advance(timedelta(minutes=59))
    second = guard.issue(first.cookie)
    clock.advance(timedelta(minutes=2))
    third = guard.issue(first.cookie)
    assert (True, False, True) == (first.set_cookie, second.set_cookie, third.set_cookie)
    assert (first.cookie, "accepted", "accepted") == (
        second.cookie, reason(guard, first.cookie, first.token), reason(guard, first.cookie, second.token)
    )


def test_tokens_expire_and_used_ones_are_pruned(guard: SubscribeFormGuard, any_engine: Engine,
                                                clock: FixedClock) -> None:
    """After two hours a token is 'expired'; records of used tokens go once they would have expired."""
    used = guard.issue(None)
    guard.check(used.cookie, used.token)
    late = guard.issue(None)
    clock.advance(timedelta(hours=2, seconds=1))
    fresh = guard.issue(None)
    assert ("expired", "accepted") == (reason(guard, late.cookie, late.token), reason(guard, fresh.cookie, fresh.token))
    with any_engine.connect() as connection:
        assert 1 == connection.execute(select(func.count()).select_from(used_form_tokens)).scalar_one()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, True),
        ({"sec-fetch-site": "same-origin", "origin": "null"}, True),
        ({"sec-fetch-site": "none"}, True),
        ({"origin": "https://news.example"}, True),
        ({"origin": "null"}, True),
        ({"sec-fetch-site": "cross-site", "origin": "https://news.example"}, False),
        ({"sec-fetch-site": "same-site"}, False),
        ({"origin": "https://evil.example"}, False),
        ({"origin": "https://news.example.evil.example"}, False),
    ],
)
def test_same_origin(headers: dict[str, str], expected: bool) -> None:
    """Sec-Fetch-Site decides where sent; otherwise a foreign Origin is refused."""
    assert expected == same_origin(headers, own_origins("https://news.example/", "http://127.0.0.1:8000"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("https://www.Partner.example", "https://www.partner.example"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("", None),
        ("javascript:alert(1)", None),
        ("https://x.example/path", None),
        ("https://user@x.example", None),
        ("https://a b.example", None),
    ],
)
def test_web_origin(header: str, expected: str | None) -> None:
    """Only a plain http(s) origin from the Origin header goes into a consent record or is compared."""
    from subscribers.formguard import web_origin

    assert expected == web_origin(header)


def test_embed_origins_must_be_origins() -> None:
    """[subscribers] embed_origins refuses a bare host name or a URL with a path, naming the value."""
    from pydantic import ValidationError

    from syndication.config import SubscribersConfig

    cleaned = SubscribersConfig(embed_origins=("https://www.partner.example/",)).embed_origins
    assert ("https://www.partner.example",) == cleaned
    for wrong in ("www.partner.example", "https://www.partner.example/newsletter"):
        with pytest.raises(ValidationError, match=wrong):
            SubscribersConfig(embed_origins=(wrong,))
