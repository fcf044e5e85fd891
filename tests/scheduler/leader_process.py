"""Run by test_failover.py as one of several `syndication run` processes on one PostgreSQL store.

Usage: python leader_process.py STORE_URL WORKDIR START_ISO EPOCH [queue]

The real scheduler (leadership, APScheduler, edition_sends) with the fake newsroom's jobs; every
send appends ``<slot> <edition id> <pid>`` to WORKDIR/sends.log. The clock reads START_ISO at
wall time EPOCH and runs at the wall clock's pace, so that all processes agree on "now" while
the test starts the schedule just before a slot. With ``queue``, [workers] queue is on: the slot's send is
deferred to procrastinate (the real Deferrer) instead, and each deferral appends ``<slot> <jobs deferred> <pid>``
to WORKDIR/deferrals.log.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from syndication.config import load_settings
from syndication.runtime import Runtime
from syndication.scheduler.jobs import SendOutcome
from syndication.scheduler.ledger import SendKey
from syndication.scheduler.runner import run_scheduler
from syndication.scheduler.testing import FakeNewsroom
from tests.scheduler.helpers import DAILY, SUBSCRIBERS, with_editions

BERLIN = ZoneInfo("Europe/Berlin")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3


class PacedClock:
    """Reads ``start`` at wall time ``epoch`` and runs on from there at the wall clock's pace."""

    def __init__(self, start: datetime, epoch: float) -> None:
        self.start = start
        self.epoch = epoch

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.epoch)


def main() -> int:
    store_url, workdir, start, epoch = sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    queue = sys.argv[5:6] == ["queue"]
    env = {"SYNDICATION_SITE__VAR_DIR": str(workdir / "var"), "SYNDICATION_SITE__PUBLIC_DIR": str(workdir / "public"),
           "SYNDICATION_STORE__URL": store_url, "SYNDICATION_WORKERS__LEASE_SECONDS": str(LEASE_SECONDS),
           "SYNDICATION_WORKERS__QUEUE": str(queue).lower()}
    settings = with_editions(load_settings(PROJECT_ROOT / "config.toml", env=env), DAILY)
    clock = PacedClock(datetime.fromisoformat(start), epoch)
    runtime = Runtime(settings=settings, clock=clock)
    newsroom = FakeNewsroom(clock, BERLIN, SUBSCRIBERS)
    jobs = newsroom.jobs()
    log = workdir / "sends.log"

    def send_edition(edition_id: str, slot: str, stop: object) -> SendOutcome:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{slot} {edition_id} {os.getpid()}\n")
        return jobs.send_edition(edition_id, slot, stop)  # type: ignore[arg-type]

    chosen = replace(jobs, send_edition=send_edition)
    if queue:
        from syndication.scheduler.queue import Deferrer

        deferrer = Deferrer(runtime)

        def queue_send(key: SendKey, edition_id: str) -> int:
            deferred = deferrer.send(key, edition_id)
            with open(workdir / "deferrals.log", "a", encoding="utf-8") as handle:
                handle.write(f"{key.slot} {deferred} {os.getpid()}\n")
            return deferred

        chosen = replace(chosen, queue_send=queue_send)
    try:
        return run_scheduler(runtime, chosen)
    finally:
        runtime.close()


if __name__ == "__main__":
    sys.exit(main())
