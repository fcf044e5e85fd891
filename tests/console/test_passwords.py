"""The optional password (argon2) and TOTP second factor of console accounts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.console import routes
from syndication.console.accounts import AccountStore, Role, TotpUnreadable
from syndication.console.passwords import current_code, hash_password, new_totp_secret
from syndication.console.tables import console_accounts
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
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


def test_a_totp_secret_is_stored_sealed(accounts: AccountStore, engine: Engine) -> None:
    """The database holds the second factor sealed, never in clear; the store gives it back in clear."""
    account = accounts.add("chefin@example.org", Role.ADMIN, "en")
    secret = new_totp_secret()
    accounts.set_secret(account.id, totp_secret=secret)
    with engine.connect() as connection:
        row = connection.execute(select(console_accounts).where(console_accounts.c.id == account.id)).one()
    assert (None, False, secret) == (row.totp_secret, secret in row.totp_sealed, accounts.secrets_of(account.id)[1])
    assert accounts.get(account.id).has_totp  # type: ignore[union-attr]


def _store_in_clear(engine: Engine, account_id: int, secret: str) -> None:
    """As a version before sealing stored a second factor."""
    with engine.begin() as connection:
        connection.execute(update(console_accounts).where(console_accounts.c.id == account_id)
                           .values(totp_secret=secret, totp_sealed=None))


def _columns(engine: Engine, account_id: int) -> tuple[str | None, bool]:
    with engine.connect() as connection:
        row = connection.execute(select(console_accounts).where(console_accounts.c.id == account_id)).one()
    return row.totp_secret, row.totp_sealed is not None


def test_a_secret_stored_in_clear_still_works_and_is_sealed_when_read(
    client: TestClient, accounts: AccountStore, engine: Engine, clock: FixedClock
) -> None:
    """An older version's second factor signs in as before, and is sealed by the first read."""
    account = accounts.add("chefin@example.org", Role.ADMIN, "en")
    accounts.set_secret(account.id, password_hash=hash_password(PASSWORD))
    secret = new_totp_secret()
    _store_in_clear(engine, account.id, secret)
    assert accounts.get(account.id).has_totp  # type: ignore[union-attr]
    assert 303 == _try(client, "chefin@example.org", PASSWORD, current_code(secret, clock))
    assert (None, True) == _columns(engine, account.id)
    assert secret == accounts.secrets_of(account.id)[1]


def test_the_console_seals_every_secret_in_clear_when_it_starts(
    runtime: Runtime, accounts: AccountStore, engine: Engine
) -> None:
    """Building the console's routes seals the second factors stored in clear, read or not."""
    first, second = (accounts.add(f"{name}@example.org", Role.EDITOR, "en") for name in ("eins", "zwei"))
    secrets = {first.id: new_totp_secret(), second.id: new_totp_secret()}
    for account_id, secret in secrets.items():
        _store_in_clear(engine, account_id, secret)
    limits = RateLimits.from_url(None, runtime.clock)
    routes(runtime, limits)
    limits.close()
    assert [(None, True), (None, True)] == [_columns(engine, account_id) for account_id in secrets]
    assert secrets == {account_id: accounts.secrets_of(account_id)[1] for account_id in secrets}


def test_a_seal_made_with_another_secret_key_refuses_sign_in_and_says_why(
    client: TestClient, runtime: Runtime, engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """After SYNDICATION_SECRET_KEY changed, the second factor cannot be read: refused, logged without the address."""
    before = AccountStore(engine, clock, lambda: "an-older-secret-key-0123456789")
    account = before.add("chefin@example.org", Role.ADMIN, "en")
    secret = new_totp_secret()
    before.set_secret(account.id, password_hash=hash_password(PASSWORD), totp_secret=secret)
    with caplog.at_level(logging.WARNING):
        answer = _try(client, "chefin@example.org", PASSWORD, current_code(secret, clock))
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert 400 == answer
    assert [f"console account {account.id}: its TOTP secret cannot be read, as SYNDICATION_SECRET_KEY changed "
            "since it was set (set it again: syndication admin totp EMAIL)"] == warnings
    with pytest.raises(TotpUnreadable):
        AccountStore(engine, clock, runtime.secrets.require_secret_key).secrets_of(account.id)
