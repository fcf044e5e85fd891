"""[workers] queue on PostgreSQL end to end: `run --once` defers the slot's send, `syndication worker` processes
send it and settle the slot; the same job run again, two workers at once, and a worker SIGKILLed mid-send whose
job another worker takes up: every reader gets exactly one message."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from machine import wait_until
from sqlalchemy import text

from subscribers.model import SubscriberStatus
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import load_settings
from syndication.errors import EXIT_OK
from syndication.runtime import Runtime
from syndication.scheduler.bound import real_jobs
from syndication.scheduler.ledger import SendKey, SendLedger, SendStatus
from syndication.scheduler.runner import run_once
from tests.cli.site import Site, make_site

RUN = "from syndication.cli import main; main()"
BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime(2026, 11, 24, 6, 30, tzinfo=BERLIN)
KEY = SendKey("daily", MORNING.date(), "06:00")


def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str, readers: int, extra: str = "") -> Site:
    """A site whose store is PostgreSQL with the queue on, ``readers`` subscribers of the 06:00 slot."""
    site = make_site(tmp_path, monkeypatch, store_url=postgres_url,
                     extra=f"\n[delivery]\nbatch_size = 5\n{extra}\n[workers]\nqueue = true\nlease_seconds = 3\n")
    runtime = _runtime(site)
    try:
        store = App(runtime).subscriber_store()
        for number in range(readers):
            store.add(f"leser{number}@example.org", now=MORNING, status=SubscriberStatus.ACTIVE)
    finally:
        runtime.close()
    return site


def _runtime(site: Site, **workers: object) -> Runtime:
    settings = load_settings(site.config, env=site.env)
    if workers:
        settings = settings.model_copy(update={"workers": settings.workers.model_copy(update=workers)})
    return Runtime(settings=settings, clock=FixedClock(MORNING))


def _recipients(outbox: Path) -> Counter[str]:
    return Counter(
        email.message_from_bytes(path.read_bytes(), policy=default)["To"].addresses[0].addr_spec
        for path in outbox.rglob("*.eml")
    )


def _worker(site: Site, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, "--config", str(site.config), "worker", *options],
        cwd=site.root, env={**os.environ, **site.env}, stdout=subprocess.DEVNULL,
        stderr=(site.root / f"worker-{time.monotonic_ns()}.log").open("wb"), start_new_session=True, close_fds=True,
    )


def _stop(workers: list[subprocess.Popen[bytes]], timeout: float = 180) -> list[int]:
    codes = []
    try:
        for worker in workers:
            worker.wait(timeout)
            codes.append(worker.returncode)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
    return codes


def _jobs(runtime: Runtime, task: str) -> list[tuple[int, str]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, status FROM procrastinate_jobs WHERE task_name = :task ORDER BY id"),
                                  {"task": task})
        return [(row.id, row.status) for row in rows]



@pytest.mark.slow
@pytest.mark.postgres
def test_the_scheduler_defers_workers_send_once_each_and_settle_the_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """`run --once` at 06:30 builds the edition and defers two send jobs ([workers] send_jobs = 2) without
    sending; two workers run them at once; each of 40 readers gets one message and the slot is settled sent;
    the same job run once more sends nothing."""
    from syndication.scheduler.queue import SEND_TASK, Deferrer, queue_app

    site = _site(tmp_path, monkeypatch, postgres_url, readers=40)
    runtime = _runtime(site, send_jobs=2)
    try:
        code = run_once(runtime, real_jobs(runtime, Deferrer(runtime)))
        sent_by_scheduler = _recipients(tmp_path / "outbox")
        deferred = _jobs(runtime, SEND_TASK)
        queued = SendLedger(runtime.engine).get(KEY)
        codes = _stop([_worker(site, "--burst"), _worker(site, "--burst")])
        settled = SendLedger(runtime.engine).get(KEY)
        assert queued is not None and queued.edition_id is not None
        queue_app(runtime).tasks[SEND_TASK](edition_id=queued.edition_id, slot="06:00", edition_name="daily",
                                            edition_date=KEY.edition_date.isoformat())
        after_rerun = SendLedger(runtime.engine).get(KEY)
    finally:
        runtime.close()
    assert EXIT_OK == code
    assert Counter() == sent_by_scheduler
    assert 2 == len(deferred) and SendStatus.QUEUED == queued.status
    assert [0, 0] == codes
    assert {f"leser{number}@example.org": 1 for number in range(40)} == dict(_recipients(tmp_path / "outbox"))
    assert settled is not None and (SendStatus.SENT, 40) == (settled.status, settled.sent)
    assert after_rerun == settled


@pytest.mark.slow
@pytest.mark.postgres
def test_a_killed_workers_job_is_taken_up_by_another_and_nobody_gets_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """A worker SIGKILLed mid-send leaves its job running in procrastinate's table; a second worker puts it back
    a lease after the dead one's heartbeat (procrastinate's stalled-job retry), runs it, and the ledger has it
    resume where the first stopped: every reader has one message, the slot is settled sent, one job in all."""
    from syndication.scheduler.queue import SEND_TASK, Deferrer

    site = _site(tmp_path, monkeypatch, postgres_url, readers=40, extra="rate_per_second = 10\n")
    runtime = _runtime(site)
    outbox = tmp_path / "outbox"
    try:
        assert EXIT_OK == run_once(runtime, real_jobs(runtime, Deferrer(runtime)))
        first = _worker(site, "--queue", "send")
        try:
            assert wait_until(lambda: _recipients(outbox), 120), "the first worker sent nothing"
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        left_doing = _jobs(runtime, SEND_TASK)
        sent_by_first = sum(_recipients(outbox).values())
        second = _worker(site, "--queue", "send")
        try:
            settled = wait_until(
                lambda: (lambda record: record if record and record.status == SendStatus.SENT else None)(
                    SendLedger(runtime.engine).get(KEY)), 120)
        finally:
            second.send_signal(signal.SIGTERM)
            _stop([second], timeout=30)
        jobs = _jobs(runtime, SEND_TASK)
    finally:
        runtime.close()
    assert 1 == len(left_doing) and "doing" == left_doing[0][1]
    assert 0 < sent_by_first < 40
    assert settled is not None
    assert {f"leser{number}@example.org": 1 for number in range(40)} == dict(_recipients(outbox))
    assert [(left_doing[0][0], "succeeded")] == jobs
