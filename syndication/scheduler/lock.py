"""One scheduler per database: a lock the operating system or the database server drops
when the holding process dies, so a crash never leaves it behind.

- SQLite: ``flock`` on a lock file next to the database file (``<db>.scheduler.lock``).
- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a dedicated connection, held for
  the life of the process. The key is derived from the database and schema names, so two
  deployments in different schemas of one database do not block each other.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text

from syndication.errors import ConfigError, LockHeld

LOCK_NAME = "syndication.scheduler"


class SchedulerLock(Protocol):
    def release(self) -> None: ...

    def alive(self) -> bool:
        """Whether the lock is still held (a PostgreSQL session can be lost under us)."""
        ...

    @property
    def description(self) -> str: ...


class FileLock:
    """An exclusive ``flock`` on ``path``; the file keeps the holder's pid for the message."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @property
    def description(self) -> str:
        return f"lock file {self.path}"

    def acquire(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise LockHeld(
                f"another `syndication run` (pid {holder}) already schedules this database "
                f"({self.description}); stop it first, or point this one at another store.url"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def alive(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is None:
            return
        # The file stays: removing it would let a third process lock a new inode while a
        # second one still waits on the old one.
        fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None


def advisory_key(database: str, schema: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from the database and schema names."""
    digest = hashlib.sha256(f"{LOCK_NAME}:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a connection kept open until release()."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._key: int | None = None
        self._where = ""

    @property
    def description(self) -> str:
        return f"PostgreSQL advisory lock on {self._where}"

    def acquire(self) -> AdvisoryLock:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
            self._where = f"{database}/{schema}"
            key = advisory_key(database, schema)
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            raise LockHeld(
                f"another `syndication run` already schedules this database ({self.description}); "
                "stop it first, or point this one at another store.url"
            )
        self._connection = connection
        self._key = key
        return self

    def alive(self) -> bool:
        """The session still exists (a server restart or network cut ends it, and the lock with it)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1")).scalar_one()
        except Exception:  # any failure means the session, and so the lock, may be gone
            return False
        return True

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except Exception:  # the session is gone already, and its lock with it
            pass
        finally:
            # Invalidating ends the session rather than returning it to the pool: that drops
            # the session lock even if the unlock above failed.
            connection.invalidate()
            connection.close()


class LockGuard:
    """``with acquire_lock(engine): ...`` holds the lock for the block."""

    def __init__(self, lock: SchedulerLock) -> None:
        self.lock = lock

    def __enter__(self) -> SchedulerLock:
        return self.lock

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.lock.release()


def sqlite_lock_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve().with_name(Path(database).name + ".scheduler.lock")


def acquire_lock(engine: Engine) -> LockGuard:
    """Take the scheduler lock for ``engine``'s database or raise LockHeld at once."""
    if engine.dialect.name == "postgresql":
        return LockGuard(AdvisoryLock(engine).acquire())
    if engine.dialect.name == "sqlite":
        path = sqlite_lock_path(engine)
        if path is None:
            # An in-memory database belongs to this process alone: nothing to share.
            return LockGuard(_NoLock())
        return LockGuard(FileLock(path).acquire())
    raise ConfigError(f"store.url: no scheduler lock for {engine.dialect.name} databases; use SQLite or PostgreSQL")


class _NoLock:
    description = "no lock (in-memory database)"

    def alive(self) -> bool:
        return True

    def release(self) -> None:
        return None
