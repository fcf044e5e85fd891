"""One "machine" of the fault campaign (test_fault_campaign.py), run as its own process with its own host identity.

Usage:
  python fault_machine.py worker DB_URL EDITION RECIPIENTS BATCH_SIZE
      sends the edition (deliver, again and again) until nothing of its run is pending;
  python fault_machine.py scheduler DB_URL EDITION RECIPIENTS BATCH_SIZE START_ISO EPOCH
      a `syndication run` (leadership, APScheduler, edition_sends) whose slot send is that same deliver.

Messages go to :class:`SinkMessenger`, a provider standing in for SendGrid: one request per batch, accepted
messages recorded in the table ``fault_sink`` (committed before the answer, as a real provider has them before
we hear back), nothing to ask afterwards. So a SIGKILL between the provider's acceptance and the ledger's record
leaves a batch in doubt, never silently resent. The lease is 3 s (``SYNDICATION_WORKERS__LEASE_SECONDS``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import Column, Engine, MetaData, String, Table, insert

from syndication.clock import SystemClock
from syndication.config import load_settings
from syndication.delivery.claims import host_identity
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import SendReport, deliver
from syndication.mail.base import Batch, Receipt, SendObserver
from syndication.runtime import Runtime
from syndication.scheduler.jobs import SendOutcome
from syndication.scheduler.runner import run_scheduler
from syndication.scheduler.testing import FakeNewsroom
from syndication.store.db import open_engine
from tests.delivery.fakes import FakeMailer, FakeSubscribers, make_options
from tests.scheduler.helpers import DAILY, SUBSCRIBERS, with_editions

LEASE = timedelta(seconds=3)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
sink_metadata = MetaData()
fault_sink = Table(
    "fault_sink", sink_metadata,
    Column("edition", String(64), nullable=False), Column("email", String(320), nullable=False),
    Column("host", String(100), nullable=False),
)


class SinkMessenger:
    """A provider that takes one request per batch and cannot be asked later what it accepted."""

    name = "sink"
    receipts_per_message = False

    def __init__(self, engine: Engine, edition: str) -> None:
        self.engine = engine
        self.edition = edition

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]:
        if observer is not None:
            observer.handed()
        with self.engine.begin() as connection:
            connection.execute(insert(fault_sink), [
                {"edition": self.edition, "email": recipient.email, "host": host_identity()}
                for recipient in batch.recipients
            ])
        return [Receipt(recipient.email, f"sink-{batch.key}") for recipient in batch.recipients]

    def close(self) -> None:
        return None


class PacedClock:
    """Reads ``start`` at wall time ``epoch`` and runs on at the wall clock's pace."""

    def __init__(self, start: datetime, epoch: float) -> None:
        self.start = start
        self.epoch = epoch

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.epoch)


def send_once(engine: Engine, edition: str, recipients: int, batch_size: int, clock: object) -> SendReport:
    options = make_options(edition_id=edition, batch_size=batch_size, clock=clock, lease=LEASE)  # type: ignore[arg-type]
    return deliver(Ledger(engine), FakeMailer(edition), FakeSubscribers.generated(recipients),
                   SinkMessenger(engine, edition), options)


def worker(db_url: str, edition: str, recipients: int, batch_size: int) -> int:
    engine = open_engine(db_url, migrate=False)
    while True:
        report = send_once(engine, edition, recipients, batch_size, SystemClock())
        if not (report.pending or report.busy):
            return 0
        time.sleep(0.2)


def scheduler(db_url: str, edition: str, recipients: int, batch_size: int, start: str, epoch: float) -> int:
    env = {"SYNDICATION_SITE__VAR_DIR": str(Path.cwd() / "var"), "SYNDICATION_STORE__URL": db_url,
           "SYNDICATION_STORE__AUTO_MIGRATE": "false", "SYNDICATION_WORKERS__LEASE_SECONDS": "3",
           # A slot left unfinished (the dead leader's batches wait out their lease) is retried at each collect.
           "SYNDICATION_SCHEDULER__COLLECT_INTERVAL_SECONDS": "2"}
    settings = with_editions(load_settings(PROJECT_ROOT / "config.toml", env=env), DAILY)
    clock = PacedClock(datetime.fromisoformat(start), epoch)
    runtime = Runtime(settings=settings, clock=clock)
    jobs = FakeNewsroom(clock, ZoneInfo("Europe/Berlin"), SUBSCRIBERS).jobs()

    def send_edition(_edition_id: str, _slot: str, _stop: object) -> SendOutcome:
        report = send_once(runtime.engine, edition, recipients, batch_size, clock)
        return SendOutcome(sent=report.sent, failed=report.failed, pending=report.pending, in_doubt=report.in_doubt,
                           busy=report.busy)

    try:
        return run_scheduler(runtime, replace(jobs, send_edition=send_edition))
    finally:
        runtime.close()


def main() -> int:
    mode, db_url, edition, recipients, batch_size = sys.argv[1:6]
    if mode == "worker":
        return worker(db_url, edition, int(recipients), int(batch_size))
    return scheduler(db_url, edition, int(recipients), int(batch_size), sys.argv[6], float(sys.argv[7]))


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    sys.exit(main())
