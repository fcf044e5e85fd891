"""Migration 0020_console_totp_sealed keeps every account and its second factor, stored in clear before it.

The database is built up to the revision before it, filled, then upgraded; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select

from syndication.clock import FixedClock
from syndication.console.accounts import AccountStore
from syndication.console.passwords import new_totp_secret
from syndication.console.tables import console_accounts
from syndication.store.db import upgrade

WHEN = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
KEY = "test-secret-key-0123456789abcdef"


@pytest.fixture
def old_engine(unmigrated_engine: Engine) -> Engine:
    """An engine on a database migrated only up to the revision before sealed TOTP secrets."""
    upgrade(unmigrated_engine, "0019_reader_zones")
    return unmigrated_engine


def test_accounts_keep_their_second_factor_across_the_upgrade(old_engine: Engine) -> None:
    """A secret stored in clear before the upgrade is still the account's, and is sealed once read."""
    secret = new_totp_secret()
    with old_engine.begin() as connection:
        # Only the columns the old table has (the insert names no others).
        connection.execute(insert(console_accounts).values(
            email="chefin@example.org", role="admin", language="de", totp_secret=secret, created_at=WHEN))
    upgrade(old_engine)
    accounts = AccountStore(old_engine, FixedClock(WHEN), lambda: KEY)
    account = accounts.by_email("chefin@example.org")
    assert account is not None and account.has_totp
    assert secret == accounts.secrets_of(account.id)[1]
    with old_engine.connect() as connection:
        row = connection.execute(select(console_accounts.c.totp_secret, console_accounts.c.totp_sealed)).one()
    assert (None, True) == (row.totp_secret, row.totp_sealed is not None and secret not in row.totp_sealed)
