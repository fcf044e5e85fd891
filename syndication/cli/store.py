"""`syndication store copy --to URL`: the whole store into another database (SQLite → PostgreSQL).

The target is migrated to the same schema first and must be empty. Every table is copied in
foreign-key order, page by page (a million recipients never sit in memory), in one transaction:
a failed copy leaves the target as empty as it was. Afterwards each PostgreSQL sequence is set
past the highest id ever handed out (SQLite's ``sqlite_sequence`` included, so an id deleted in
the source is not handed out again), and the row counts of source and target are compared.
"""

from __future__ import annotations

import click
from sqlalchemy import Connection, Engine, Integer, Table, func, inspect, select, text

import syndication.tables  # noqa: F401 - every table in schema.metadata
from syndication.cli.words import _, ngettext, number
from syndication.errors import EXIT_SOME_FAILED, UsageError
from syndication.runtime import Runtime
from syndication.store.db import open_engine
from syndication.store.schema import metadata

PAGE_ROWS = 5000


def _serial_column(table: Table) -> str | None:
    """The table's integer primary key that the database numbers (its sequence), if any."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and isinstance(keys[0].type, Integer) and keys[0].autoincrement in (True, "auto"):
        return keys[0].name
    return None


def _sqlite_sequences(connection: Connection) -> dict[str, int]:
    if connection.dialect.name != "sqlite":
        return {}
    if not inspect(connection).has_table("sqlite_sequence"):
        return {}
    return {name: int(seq) for name, seq in connection.execute(text("SELECT name, seq FROM sqlite_sequence"))}


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def copy_store(source: Engine, target: Engine, echo: object = print) -> dict[str, int]:
    """Copy every table of ``source`` into the empty, migrated ``target``; {table: rows}."""
    tables = [table for table in metadata.sorted_tables if inspect(source).has_table(table.name)]
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        occupied = [table.name for table in tables if _count(writing, table)]
        if occupied:
            raise UsageError(_("the target store is not empty (%(tables)s have rows); copy only into a new, empty "
                               "database", tables=", ".join(occupied[:5])))
        sequences = _sqlite_sequences(reading)
        for table in tables:
            rows = 0
            result = reading.execution_options(yield_per=PAGE_ROWS).execute(select(table))
            for page in result.mappings().partitions(PAGE_ROWS):
                writing.execute(table.insert(), [dict(row) for row in page])
                rows += len(page)
            copied[table.name] = rows
            echo(ngettext("%(table)s: %(num)s row", "%(table)s: %(num)s rows", rows, table=table.name))  # type: ignore[operator]
            serial = _serial_column(table)
            if serial is not None and writing.dialect.name == "postgresql":
                highest = max(sequences.get(table.name, 0),
                              int(writing.execute(select(func.coalesce(func.max(table.c[serial]), 0))).scalar_one()))
                writing.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, :column), :next, false)"),
                    {"table": table.name, "column": serial, "next": highest + 1},
                )
        differing = [name for name, rows in copied.items() if _count(writing, metadata.tables[name]) != rows]
        if differing:
            raise UsageError(_("row counts differ after the copy in %(tables)s; nothing was kept",
                               tables=", ".join(differing)))
    return copied


@click.group("store")
def store_group() -> None:
    """The store itself: copy it into another database."""


@store_group.command("copy")
@click.option("--to", "target_url", required=True, metavar="URL",
              help="The new database, e.g. postgresql://user@host/syndication (empty; its schema is created).")
@click.pass_obj
def copy_command(runtime: Runtime, target_url: str) -> int:
    """Copy the whole configured store (e.g. SQLite) into the empty database at URL (e.g. PostgreSQL).

    Stop `syndication run` and `serve` first; afterwards point [store] url at URL.
    """
    if target_url == runtime.settings.store_url:
        raise UsageError(_("--to names the configured store itself"))
    target = open_engine(target_url)
    try:
        copied = copy_store(runtime.engine, target, echo=lambda line: click.echo(line, err=True))
    finally:
        target.dispose()
    click.echo(ngettext("copied %(rows)s rows in %(num)s table; now set [store] url to the new database",
                        "copied %(rows)s rows in %(num)s tables; now set [store] url to the new database",
                        len(copied), rows=number(sum(copied.values()))))
    return 0 if copied else EXIT_SOME_FAILED


def register(cli: click.Group) -> None:
    cli.add_command(store_group)
