"""Migration 0021_partner_endpoint_stop keeps every push endpoint going, as before it.

The database is built up to the revision before it, given a partner with an endpoint, then upgraded; on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert

from syndication.partners.endpoints import endpoints_by_partner, has_endpoints
from syndication.partners.store import PartnerStore
from syndication.partners.tables import partner_endpoints
from syndication.store.db import upgrade

from .helpers import TEST_SECRET

WHEN = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.fixture
def old_engine(unmigrated_engine: Engine) -> Engine:
    """An engine on a database migrated only up to the revision before endpoints could be stopped."""
    upgrade(unmigrated_engine, "0020_console_totp_sealed")
    return unmigrated_engine


def test_an_endpoint_registered_before_the_upgrade_still_gets_pushes(old_engine: Engine) -> None:
    """After the upgrade the endpoint is there, not stopped, and counts as one to push to."""
    partner = PartnerStore(old_engine, TEST_SECRET).add("Rheinpfalz", WHEN).partner
    with old_engine.begin() as connection:
        # Only the columns the old table has (the insert names no others).
        connection.execute(insert(partner_endpoints).values(
            partner_id=partner.id, url="https://partner.example/ninjs",
            secret="sealed, not read here", created_at=WHEN, secret_created_at=WHEN,
            cursor=0, generation=0))
    upgrade(old_engine)
    endpoint = endpoints_by_partner(old_engine)[partner.id]
    assert ("https://partner.example/ninjs", None, True) == (endpoint.url, endpoint.stopped_at,
                                                             has_endpoints(old_engine))
