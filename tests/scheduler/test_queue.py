"""The job queue on PostgreSQL: `syndication worker send` queues an edition's send, two `syndication worker`
processes share it through the ledger, and every subscriber gets one message; a job run twice sends nothing twice."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path

import pytest

from subscribers.model import SubscriberStatus
from syndication.app import App
from syndication.app.editions import build_edition
from syndication.clock import FixedClock
from syndication.config import load_settings
from syndication.delivery.ledger import Ledger
from syndication.errors import ConfigError
from syndication.runtime import Runtime
from syndication.scheduler.queue import conninfo
from tests.cli.site import Site, make_site

RUN = "from syndication.cli import main; main()"
SUBSCRIBERS = 40


def _recipients(outbox: Path) -> Counter[str]:
    return Counter(
        email.message_from_bytes(path.read_bytes(), policy=default)["To"].addresses[0].addr_spec
        for path in outbox.rglob("*.eml")
    )


def _site_with_edition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> tuple[Site, str]:
    site = make_site(tmp_path, monkeypatch, store_url=postgres_url,
                     extra='\n[delivery]\nbatch_size = 5\n')
    assert 0 == site.invoke("collect").exit_code
    runtime = Runtime(settings=load_settings(site.config, env=site.env),
                      clock=FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC)))
    try:
        store = App(runtime).subscriber_store()
        for number in range(SUBSCRIBERS):
            store.add(f"leser{number}@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE)
        edition = build_edition(runtime, "daily", publish=False)
        assert edition is not None
    finally:
        runtime.close()
    return site, edition.id


def _workers(site: Site, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, **site.env}
    return [
        subprocess.Popen([sys.executable, "-c", RUN, "--config", str(site.config), "worker", "--burst"],
                         cwd=site.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True, close_fds=True)
        for _ in range(count)
    ]


def _finish(workers: list[subprocess.Popen[bytes]]) -> list[int]:
    codes = []
    try:
        for worker in workers:
            worker.wait(180)
            codes.append(worker.returncode)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
    return codes


def test_the_queue_needs_postgresql() -> None:
    """A SQLite store has no job queue: a configuration error says so."""
    with pytest.raises(ConfigError):
        conninfo("sqlite:////var/lib/syndication/syndication.db")


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_share_a_queued_send_and_each_reader_gets_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """Two send jobs, two worker processes: 40 subscribers in batches of 5, each gets exactly one message."""
    site, edition_id = _site_with_edition(tmp_path, monkeypatch, postgres_url)
    queued = site.invoke("worker", "send", edition_id, "--copies", "2")
    codes = _finish(_workers(site, 2))
    received = _recipients(tmp_path / "outbox")
    engine_runtime = Runtime(settings=load_settings(site.config, env=site.env))
    try:
        run = Ledger(engine_runtime.engine).get_run(edition_id, "06:00")
        counts = Ledger(engine_runtime.engine).counts(run) if run is not None else None
    finally:
        engine_runtime.close()
    assert 0 == queued.exit_code, queued.output
    assert [0, 0] == codes
    assert {f"leser{number}@example.org": 1 for number in range(SUBSCRIBERS)} == dict(received)
    assert counts is not None and (SUBSCRIBERS, 0) == (counts.sent, counts.pending)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_send_job_run_again_sends_nothing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """The same send queued a second time after it went out: the worker finds everyone sent; no second copy."""
    site, edition_id = _site_with_edition(tmp_path, monkeypatch, postgres_url)
    site.invoke("worker", "send", edition_id)
    first = _finish(_workers(site, 1))
    site.invoke("worker", "send", edition_id)
    second = _finish(_workers(site, 1))
    assert ([0], [0]) == (first, second)
    assert {f"leser{number}@example.org": 1 for number in range(SUBSCRIBERS)} == dict(_recipients(tmp_path / "outbox"))
