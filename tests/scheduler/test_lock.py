"""One scheduler per database: the lock refuses a second holder and dies with its process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from syndication.errors import EXIT_USAGE, LockHeld
from syndication.scheduler.lock import acquire_lock, advisory_key, sqlite_lock_path
from syndication.store.db import open_engine

HOLDER = """
import sys, time
from syndication.store.db import open_engine
from syndication.scheduler.lock import acquire_lock
engine = open_engine(sys.argv[1], migrate=False)
with acquire_lock(engine):
    print("locked", flush=True)
    time.sleep(60)
"""


def hold_in_subprocess(url: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert "locked" == process.stdout.readline().strip()
    return process


def second_holder_refused(engine: Engine) -> bool:
    try:
        with acquire_lock(engine):
            return False
    except LockHeld:
        return True


def test_sqlite_lock_refuses_a_second_holder(engine: Engine) -> None:
    """While one holder has the lock, a second acquire raises LockHeld (exit code 2) at once."""
    with acquire_lock(engine), pytest.raises(LockHeld) as refused:
        acquire_lock(engine)
    assert EXIT_USAGE == refused.value.exit_code
    assert "another `syndication run`" in str(refused.value)


def test_sqlite_lock_is_free_after_release(engine: Engine) -> None:
    """After the holder leaves its block, the lock can be taken again; the file sits next to the database."""
    with acquire_lock(engine):
        pass
    path = sqlite_lock_path(engine)
    assert (False, True) == (second_holder_refused(engine), path.parent == Path(engine.url.database).resolve().parent)


def test_sqlite_lock_dies_with_a_killed_process(engine: Engine) -> None:
    """A holder killed with SIGKILL leaves no lock behind; while it lived, the lock was refused."""
    process = hold_in_subprocess(str(engine.url))
    refused_while_alive = second_holder_refused(engine)
    process.kill()
    process.wait()
    assert (True, False) == (refused_while_alive, second_holder_refused(engine))


def test_postgres_lock_refuses_a_second_holder(postgres_url: str) -> None:
    """Two engines on the same PostgreSQL schema: the advisory lock admits one at a time."""
    first = open_engine(postgres_url)
    second = open_engine(postgres_url, migrate=False)
    try:
        with acquire_lock(first):
            refused = second_holder_refused(second)
        assert (True, False) == (refused, second_holder_refused(second))
    finally:
        first.dispose()
        second.dispose()


def test_postgres_lock_dies_with_a_killed_process(postgres_url: str) -> None:
    """The session lock of a killed holder is dropped by the server."""
    engine = open_engine(postgres_url)
    try:
        process = hold_in_subprocess(postgres_url)
        refused_while_alive = second_holder_refused(engine)
        process.kill()
        process.wait()
        assert (True, True) == (refused_while_alive, _eventually_free(engine))
    finally:
        engine.dispose()


def _eventually_free(engine: Engine) -> bool:
    """The server notices the dead client's closed socket within moments."""
    for _ in range(50):
        if not second_holder_refused(engine):
            return True
        time.sleep(0.1)
    return False


def test_advisory_key_differs_per_schema() -> None:
    """Deployments in different schemas of one database get different lock keys."""
    assert advisory_key("test", "public") != advisory_key("test", "tenant_b")


def test_postgres_lock_notices_a_lost_session(postgres_url: str) -> None:
    """When the server ends the lock's session, alive() says so (the scheduler then stops)."""
    from sqlalchemy import text

    from syndication.scheduler.lock import AdvisoryLock

    engine = open_engine(postgres_url)
    try:
        lock = AdvisoryLock(engine).acquire()
        alive_before = lock.alive()
        backend = lock._connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        alive_after = lock.alive()
        lock.release()
        assert (True, False, False) == (alive_before, alive_after, second_holder_refused(engine))
    finally:
        engine.dispose()
