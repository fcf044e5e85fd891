"""The migrations build exactly the schema the code's table definitions describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

import syndication.tables  # noqa: F401 - registers every table on the metadata
from syndication.store.db import current_revision, upgrade
from syndication.store.schema import metadata


def test_migrated_database_matches_table_definitions(any_engine: Engine) -> None:
    """Alembic finds no difference between the migrated database and the metadata."""
    with any_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [] == differences


def test_upgrade_is_idempotent(engine: Engine) -> None:
    """Upgrading an up-to-date database changes nothing."""
    before = current_revision(engine)
    upgrade(engine)
    assert before == current_revision(engine)
