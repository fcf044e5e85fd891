"""`syndication store copy --to URL`: a SQLite store with articles, subscribers and a send ledger into PostgreSQL,
every table and row, and sequences that go on past the highest id ever handed out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, func, insert, select

import syndication.tables  # noqa: F401 - every table in schema.metadata
from syndication.cli.store import copy_store
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import deliver
from syndication.delivery.tables import delivery_batches, delivery_recipients
from syndication.delivery.testing import RecordingMessenger
from syndication.errors import UsageError
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine
from syndication.store.schema import metadata
from syndication.testing import make_article
from tests.cli.site import make_site
from tests.delivery.fakes import FakeMailer, FakeSubscribers, make_options

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def _fill(engine: Engine) -> None:
    """Articles, a sent edition run and a deleted last batch (its id must not come back)."""
    articles = ArticleStore(engine)
    for number in range(1, 6):
        articles.upsert(make_article(number), NOW)
    deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(45), RecordingMessenger(), make_options())
    with engine.begin() as connection:
        last = connection.execute(select(func.max(delivery_batches.c.id))).scalar_one()
        connection.execute(delete(delivery_recipients).where(delivery_recipients.c.batch_id == last))
        connection.execute(delete(delivery_batches).where(delivery_batches.c.id == last))


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in metadata.sorted_tables}


@pytest.mark.postgres
def test_every_table_is_copied_and_ids_go_on_past_the_highest(engine: Engine, postgres_url: str) -> None:
    """Same rows in every table; the next batch id on PostgreSQL is past the deleted one, as on SQLite."""
    _fill(engine)
    target = open_engine(postgres_url)
    try:
        copied = copy_store(engine, target, echo=lambda _line: None)
        with engine.begin() as connection:
            next_on_sqlite = connection.execute(
                insert(delivery_batches).values(run_id=1, number=99, variant="x", size=0, status="pending", attempts=0)
            ).inserted_primary_key[0]
        with target.begin() as connection:
            next_on_postgres = connection.execute(
                insert(delivery_batches).values(run_id=1, number=99, variant="x", size=0, status="pending", attempts=0)
            ).inserted_primary_key[0]
        source_counts, target_counts = _counts(engine), _counts(target)
        sent = Ledger(target).sent_to("daily-2026-11-24")
    finally:
        target.dispose()
    assert source_counts == target_counts
    assert (4, 5, 40) == (copied["delivery_batches"], copied["articles"], len(sent))
    assert next_on_sqlite == next_on_postgres == 6


@pytest.mark.postgres
def test_a_store_with_rows_is_not_a_target(engine: Engine, postgres_url: str) -> None:
    """Copying into a database that has data already is refused, and nothing is added to it."""
    _fill(engine)
    target = open_engine(postgres_url)
    try:
        ArticleStore(target).upsert(make_article(9), NOW)
        with pytest.raises(UsageError):
            copy_store(engine, target, echo=lambda _line: None)
        articles = _counts(target)["articles"]
    finally:
        target.dispose()
    assert 1 == articles


@pytest.mark.postgres
def test_the_command_copies_the_configured_store(tmp_path, monkeypatch, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    """`store copy --to URL` on a site's SQLite store: exit 0, the rows are in PostgreSQL."""
    site = make_site(tmp_path, monkeypatch)
    assert 0 == site.invoke("collect").exit_code
    result = site.invoke("store", "copy", "--to", postgres_url)
    target = open_engine(postgres_url)
    try:
        articles = _counts(target)["articles"]
    finally:
        target.dispose()
    assert 0 == result.exit_code, result.output
    assert "copied" in result.output
    assert articles > 0
