"""The one database: SQLite file by default, PostgreSQL by URL."""

from syndication.store.db import open_engine, upgrade

__all__ = ["open_engine", "upgrade"]
