"""The optional password (argon2) and TOTP second factor of console accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.console.accounts import AccountStore, Role
from syndication.console.passwords import current_code, hash_password, new_totp_secret
from tests.console.conftest import csrf_of

PASSWORD = "richtig-langes-passwort"


def _try(client: TestClient, email: str, password: str, code: str = "") -> int:
    csrf = csrf_of(client.get("/admin/sign-in").text)
    return client.post("/admin/sign-in/password", data={"csrf": csrf, "email": email, "password": password,
                                                        "code": code}).status_code


def test_the_password_signs_in_and_a_wrong_one_does_not(client: TestClient, accounts: AccountStore) -> None:
    """The stored argon2 hash accepts the password and nothing else; an account without one is refused."""
    account = accounts.add("redaktion@example.org", Role.EDITOR, "en")
    accounts.set_secret(account.id, password_hash=hash_password(PASSWORD))
    assert accounts.secrets_of(account.id)[0].startswith("$argon2id$")
    assert 400 == _try(client, "redaktion@example.org", "falsch-falsch-falsch")
    assert 400 == _try(client, "fremd@example.org", PASSWORD)
    assert 303 == _try(client, "Redaktion@example.org", PASSWORD)
    assert 200 == client.get("/admin/").status_code


def test_an_account_with_totp_needs_the_current_code(
    client: TestClient, accounts: AccountStore, clock: FixedClock
) -> None:
    """With a second factor, the password alone or an old code is refused; the current code signs in."""
    account = accounts.add("chefin@example.org", Role.ADMIN, "en")
    secret = new_totp_secret()
    accounts.set_secret(account.id, password_hash=hash_password(PASSWORD), totp_secret=secret)
    old = current_code(secret, clock)
    clock.advance(timedelta(minutes=5))
    assert 400 == _try(client, "chefin@example.org", PASSWORD)
    assert 400 == _try(client, "chefin@example.org", PASSWORD, old)
    assert 303 == _try(client, "chefin@example.org", PASSWORD, current_code(secret, clock))


def test_password_sign_in_is_rate_limited(client: TestClient, accounts: AccountStore) -> None:
    """Guessing passwords hits the same limit as links: the eleventh try in 15 minutes gets 429."""
    accounts.add("redaktion@example.org", Role.EDITOR, "en")
    answers = [_try(client, "redaktion@example.org", f"guess-number-{n:04d}") for n in range(11)]
    assert [400] * 10 + [429] == answers


def test_a_short_password_is_refused() -> None:
    """Fewer than twelve characters is not a console password."""
    with pytest.raises(ValueError, match="at least 12"):
        hash_password("kurz")
