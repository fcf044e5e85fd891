"""Three `run` processes on one PostgreSQL store: one leads; SIGKILL it and another leads within the lease
and fires the slot that falls due, once; kill that one too and the third fires nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text

from syndication.clock import SystemClock
from syndication.scheduler.leadership import Leader, LeaderLease
from syndication.scheduler.tables import edition_sends
from syndication.store.db import open_engine

SCRIPT = Path(__file__).with_name("leader_process.py")
BERLIN = ZoneInfo("Europe/Berlin")
LEASE = timedelta(seconds=3)
# The processes' clocks start 20 s before the 06:00 slot.
START = datetime(2026, 11, 24, 5, 59, 40, tzinfo=BERLIN)


def wait_until(condition: Callable[[], object], timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return None


def _pid(leader: Leader | None) -> int | None:
    if leader is None or leader.holder is None:
        return None
    return int(leader.holder.split("/")[1])


def _sends(workdir: Path) -> list[tuple[str, int]]:
    log = workdir / "sends.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [(slot, int(pid)) for slot, _, pid in (line.split() for line in lines)]


@pytest.mark.slow
@pytest.mark.postgres
def test_the_leader_is_killed_and_another_fires_the_slot_once(postgres_url: str, tmp_path: Path) -> None:
    """SIGKILL the leader before 06:00: a standby leads within the lease and sends 06:00 once; killing that
    leader too, the third leads and sends nothing again."""
    engine: Engine = open_engine(postgres_url)  # migrated once here, before the processes start
    lease = LeaderLease(engine, "observer", SystemClock(), LEASE)
    epoch = time.time()
    processes = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), postgres_url, str(tmp_path), START.isoformat(), str(epoch)],
            stdout=subprocess.DEVNULL, stderr=(tmp_path / f"process-{n}.log").open("w"),
            start_new_session=True, close_fds=True,
        )
        for n in range(3)
    ]
    pids = {process.pid for process in processes}
    try:
        first = wait_until(lambda: lease.current() if _pid(lease.current()) in pids else None)
        assert isinstance(first, Leader)
        first_pid = _pid(first)
        os.killpg(first_pid, signal.SIGKILL)  # type: ignore[arg-type]
        killed_at = lease.current()
        second = wait_until(lambda: (lambda now: now if _pid(now) not in (None, first_pid) else None)(lease.current()))
        assert isinstance(second, Leader) and isinstance(killed_at, Leader)
        second_pid = _pid(second)
        sent = wait_until(lambda: _sends(tmp_path))
        time.sleep(2 * LEASE.total_seconds() / 3)
        sends_after_first_failover = _sends(tmp_path)
        os.killpg(second_pid, signal.SIGKILL)  # type: ignore[arg-type]
        third = wait_until(lambda: (lambda now: now if _pid(now) in pids - {first_pid, second_pid} else None)(
            lease.current()))
        time.sleep(2 * LEASE.total_seconds() / 3)
        sends_at_end = _sends(tmp_path)
        with engine.connect() as connection:
            rows = connection.execute(select(edition_sends.c.slot, edition_sends.c.status, edition_sends.c.attempts))
            slots = sorted(tuple(row) for row in rows)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        engine.dispose()
    assert sent
    assert [("06:00", second_pid)] == sends_after_first_failover == sends_at_end
    assert [("06:00", "sent", 1)] == slots
    assert isinstance(third, Leader)
    # The standby took over at most a lease (plus one try's wait and process start slack) after the
    # dead leader's last renewal.
    assert second.taken_at - killed_at.renewed_at <= LEASE + LEASE / 3 + timedelta(seconds=2)


def _slot_statuses(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return sorted((row.slot, row.status) for row in connection.execute(
            select(edition_sends.c.slot, edition_sends.c.status)))


@pytest.mark.slow
@pytest.mark.postgres
def test_with_the_queue_the_leaders_defer_the_slot_once_across_a_failover(postgres_url: str, tmp_path: Path) -> None:
    """[workers] queue: three `run` processes; the leader defers 06:00 (one job, nothing sent) and is SIGKILLed;
    the next leader finds the slot queued and defers nothing: one job in procrastinate's table, one deferral."""
    engine: Engine = open_engine(postgres_url)
    lease = LeaderLease(engine, "observer", SystemClock(), LEASE)
    epoch = time.time() + 5  # the clocks read 05:59:57 once the processes are up; 06:00 three seconds later
    start = datetime(2026, 11, 24, 5, 59, 57, tzinfo=BERLIN)
    processes = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), postgres_url, str(tmp_path), start.isoformat(), str(epoch), "queue"],
            stdout=subprocess.DEVNULL, stderr=(tmp_path / f"process-{n}.log").open("w"),
            start_new_session=True, close_fds=True,
        )
        for n in range(3)
    ]
    pids = {process.pid for process in processes}
    deferrals = tmp_path / "deferrals.log"
    try:
        first = wait_until(lambda: lease.current() if _pid(lease.current()) in pids else None)
        assert isinstance(first, Leader)
        assert wait_until(lambda: _slot_statuses(engine) == [("06:00", "queued")], 120)
        first_pid = _pid(first)
        os.killpg(first_pid, signal.SIGKILL)  # type: ignore[arg-type]
        second = wait_until(lambda: (lambda now: now if _pid(now) not in (None, first_pid) else None)(lease.current()))
        time.sleep(2 * LEASE.total_seconds())  # the new leader's start-up catch-up and a few lease checks
        with engine.connect() as connection:
            jobs = connection.execute(text("SELECT task_name, status FROM procrastinate_jobs "
                                           "WHERE task_name = 'syndication.send_edition'")).all()
        slots = _slot_statuses(engine)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        engine.dispose()
    assert isinstance(second, Leader)
    assert [("syndication.send_edition", "todo")] == [tuple(job) for job in jobs]
    assert [("06:00", "queued")] == slots
    assert [f"06:00 1 {first_pid}"] == deferrals.read_text(encoding="utf-8").splitlines()
    assert not (tmp_path / "sends.log").exists()
