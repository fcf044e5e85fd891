"""Long-poll benchmark: many partners wait on ``/partners/v1/items?wait=30`` of one ``syndication serve``.

    .venv/bin/python benchmarks/partners_longpoll.py [--partners 500] [--rounds 3]

Makes a fresh SQLite store with ``--partners`` partners, starts ``syndication serve`` (one process, as the
docs' systemd unit does) on loopback and lets every partner long-poll from the end of the log with one
asyncio client. Each round a new article is stored and its version recorded (as a collect does, from this
process: ``serve`` learns of it through its one shared check of the log's head), and the time until each
partner has it is measured. Every partner then polls again from its new cursor, as partners do.

Prints, per round, how many partners got the article and the latency (median, 99th percentile, worst) from
the start of the write; the serve process's memory (RSS) and threads idle, with everybody waiting, after each
round; and the same latency with one partner waiting as the baseline of the same run. Goals: all partners
within 2 s, memory flat across rounds, no thread per waiting partner.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from syndication.clock import SystemClock
from syndication.config import load_settings
from syndication.partners.paging import encode_cursor
from syndication.partners.store import PartnerStore
from syndication.partners.versions import VersionLog
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine
from syndication.testing import make_article

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from machine import free_port  # noqa: E402

SECRET = "benchmark-secret-key-0123456789abcdef"
ITEMS = "/partners/v1/items"


def environment(folder: Path) -> dict[str, str]:
    return {
        "SYNDICATION_SITE__PUBLIC_DIR": str(folder / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(folder / "outbox"),
        "SYNDICATION_SITE__VAR_DIR": str(folder / "var"),
        "SYNDICATION_SECRET_KEY": SECRET,
        "SYNDICATION_PARTNERS__RATE_LIMIT_PER_MINUTE": "1000000",
        "SYNDICATION_PARTNERS__LONGPOLL_CHECK_SECONDS": "0.25",
    }


@contextmanager
def serve(folder: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """``syndication serve`` in its own process group; yields its base URL and process id."""
    port = free_port()
    with (folder / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "syndication", "--config", str(PROJECT_ROOT / "config.toml"), "serve",
             "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
            start_new_session=True, close_fds=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit(f"serve exited: {(folder / 'serve.log').read_text()[-2000:]}")
            try:
                httpx.get(f"{base_url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("serve did not answer") from None
                time.sleep(0.1)
        yield base_url, process.pid
    finally:
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def process_figures(pid: int) -> tuple[float, int]:
    """(RSS in MB, threads) of ``pid``."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


class Writer:
    """Stores a new article and records its version, as a collect with the partners' listener does."""

    def __init__(self, engine_url: str) -> None:
        self.engine = open_engine(engine_url)
        self.store = ArticleStore(self.engine)
        self.log = VersionLog(self.engine, SystemClock())
        self.number = 1000

    def publish(self) -> None:
        self.number += 1
        now = datetime.now(UTC)
        article = replace(make_article(self.number), published=now - timedelta(minutes=1), updated=now)
        self.store.upsert(article, now)
        self.log.sync()

    def head(self) -> int:
        return self.log.head()


async def one_round(client: httpx.AsyncClient, keys: list[str], cursors: list[str], writer: Writer,
                    pid: int, settle: float) -> tuple[list[float], float, int]:
    """Everybody waits; one article is written; (latencies, RSS while waiting, threads while waiting)."""
    arrived: list[float] = []
    started = 0
    start_write = 0.0

    async def poll(index: int) -> None:
        nonlocal started
        started += 1
        answer = await client.get(ITEMS, params={"since": cursors[index], "wait": "30"},
                                  headers={"Authorization": f"Bearer {keys[index]}"})
        page = answer.json()
        if page["items"]:
            arrived.append(time.monotonic() - start_write)
        cursors[index] = page["next"]

    tasks = [asyncio.create_task(poll(index)) for index in range(len(keys))]
    while started < len(keys):
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle)  # every request parked in serve
    rss, threads = process_figures(pid)
    start_write = time.monotonic()
    await asyncio.to_thread(writer.publish)
    await asyncio.gather(*tasks)
    return arrived, rss, threads


def describe(latencies: list[float]) -> str:
    if not latencies:
        return "nobody got it"
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"median {statistics.median(ordered) * 1000:6.0f} ms, p99 {p99 * 1000:6.0f} ms, "
            f"worst {ordered[-1] * 1000:6.0f} ms")


async def run(base_url: str, pid: int, keys: list[str], writer: Writer, rounds: int, settle: float) -> None:
    start = encode_cursor(writer.head())
    # A new connection per poll: serve closes idle keep-alive connections after 5 s (uvicorn's default).
    limits = httpx.Limits(max_connections=len(keys) + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        idle_rss, idle_threads = process_figures(pid)
        print(f"serve idle:          RSS {idle_rss:6.1f} MB, {idle_threads} threads")
        baseline, _, _ = await one_round(client, keys[:1], [start], writer, pid, settle=1.0)
        print(f"baseline, 1 waiting: {describe(baseline)}")
        cursors = [encode_cursor(writer.head())] * len(keys)
        peak = 0.0
        for number in range(1, rounds + 1):
            latencies, rss, threads = await one_round(client, keys, cursors, writer, pid, settle=settle)
            after_rss, _ = process_figures(pid)
            peak = max(peak, rss, after_rss)
            within = sum(1 for latency in latencies if latency <= 2.0)
            print(f"round {number}: {len(latencies)}/{len(keys)} got the article, {within} within 2 s; "
                  f"{describe(latencies)}")
            print(f"         serve with {len(keys)} waiting: RSS {rss:6.1f} MB, {threads} threads; "
                  f"after the round: RSS {after_rss:6.1f} MB")
        if baseline:
            print(f"ratio worst latency {len(keys)} waiting / 1 waiting: {max(latencies) / max(baseline):.1f}x "
                  f"(last round)")
        print(f"memory: idle {idle_rss:.1f} MB, peak {peak:.1f} MB (+{peak - idle_rss:.1f} MB for {len(keys)} "
              f"waiting partners = {(peak - idle_rss) * 1024 / len(keys):.0f} KB each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settle", type=float, default=8.0,
                        help="Seconds between sending the polls and writing the article (all must be parked).")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="longpoll-") as temporary:
        folder = Path(temporary)
        env = environment(folder)
        settings = load_settings(PROJECT_ROOT / "config.toml", env=env)
        writer = Writer(settings.store_url)
        partners = PartnerStore(writer.engine, SECRET)
        began = time.monotonic()
        now = datetime.now(UTC)
        keys = [partners.add(f"Partner {number:04d}", now).key for number in range(arguments.partners)]
        for _ in range(20):
            writer.publish()
        print(f"{arguments.partners} partners and 20 articles in {time.monotonic() - began:.1f} s; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        with serve(folder, env) as (base_url, pid):
            asyncio.run(run(base_url, pid, keys, writer, arguments.rounds, arguments.settle))
        writer.engine.dispose()


if __name__ == "__main__":
    main()
