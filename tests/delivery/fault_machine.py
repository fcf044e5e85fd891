"""One "machine" of the fault campaign (test_fault_campaign.py), run as its own process with its own host identity.

Usage:
  python fault_machine.py worker DB_URL RECIPIENTS BATCH_SIZE
      `syndication worker --queue send`: the real procrastinate worker (its heartbeat, the stalled-job retry,
      the send task that loops until the run is settled and settles the slot), named after the host identity;
  python fault_machine.py scheduler DB_URL RECIPIENTS BATCH_SIZE START_ISO EPOCH
      `syndication run` with [workers] queue on: leadership, APScheduler, edition_sends, and the real Deferrer
      that defers the slot's send job for the workers.

What the send job runs is ``send_edition``'s core, :func:`deliver` on the shared ledger, with RECIPIENTS generated
subscribers (in memory, the same list on every machine) instead of the subscriber store and edition mailer, and
:class:`SinkMessenger` instead of SendGrid: one request per batch, accepted messages recorded in the table
``fault_sink`` (committed before the answer, as a real provider has them before we hear back), nothing to ask
afterwards. So a SIGKILL between the provider's acceptance and the ledger's record leaves a batch in doubt, never
silently resent. The lease is :data:`LEASE` (``SYNDICATION_WORKERS__LEASE_SECONDS``).
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, text

from syndication.config import Settings, load_settings
from syndication.delivery.claims import host_identity
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import SendReport, deliver
from syndication.mail.base import Batch, Receipt, SendObserver
from syndication.runtime import Runtime
from syndication.scheduler.runner import run_scheduler
from syndication.scheduler.testing import FakeNewsroom
from tests.delivery.fakes import FakeMailer, FakeSubscribers, make_options
from tests.scheduler.helpers import DAILY, SUBSCRIBERS, with_editions

# Short, so that a run's failover costs seconds; [workers] lease_seconds allows 3 s and up.
LEASE = timedelta(seconds=5)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
sink_metadata = MetaData()
fault_sink = Table(
    "fault_sink", sink_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("edition", String(64), nullable=False), Column("email", String(320), nullable=False),
    Column("host", String(100), nullable=False),
    # By the database's clock, which the campaign also reads when it kills: failover times need one clock.
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
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
        host = host_identity()
        # COPY: the provider's side of the test should cost the machines little of the two cores.
        with self.engine.begin() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy("COPY fault_sink (edition, email, host) FROM STDIN") as copy:
                for recipient in batch.recipients:
                    copy.write_row((self.edition, recipient.email, host))
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


@functools.cache
def subscribers(count: int) -> FakeSubscribers:
    """The machines' shared subscriber list (built once a process: 200,000 take a second)."""
    return FakeSubscribers.generated(count)


def sink_send(recipients: int, batch_size: int):  # type: ignore[no-untyped-def]
    """The send job's ``send_edition``: deliver the edition to the generated subscribers through the sink."""

    def send(runtime: Runtime, edition_id: str, slot: str) -> SendReport:
        options = make_options(edition_id=edition_id, slot=slot, batch_size=batch_size, clock=runtime.clock,  # type: ignore[arg-type]
                               lease=timedelta(seconds=runtime.settings.workers.lease_seconds))
        return deliver(Ledger(runtime.engine), FakeMailer(edition_id), subscribers(recipients),
                       SinkMessenger(runtime.engine, edition_id), options)

    return send


def settings_for(db_url: str, **extra: str) -> Settings:
    env = {"SYNDICATION_SITE__VAR_DIR": str(Path.cwd() / "var"), "SYNDICATION_STORE__URL": db_url,
           "SYNDICATION_STORE__AUTO_MIGRATE": "false", "SYNDICATION_WORKERS__QUEUE": "true",
           "SYNDICATION_WORKERS__LEASE_SECONDS": str(int(LEASE.total_seconds())), **extra}
    return with_editions(load_settings(PROJECT_ROOT / "config.toml", env=env), DAILY)


def worker(db_url: str, recipients: int, batch_size: int) -> int:
    from syndication.clock import SystemClock
    from syndication.scheduler.queue import run_worker

    runtime = Runtime(settings=settings_for(db_url), clock=SystemClock())
    try:
        run_worker(runtime, ["send"], send_edition=sink_send(recipients, batch_size))
    finally:
        runtime.close()
    return 0


def scheduler(db_url: str, start: str, epoch: float) -> int:
    from syndication.scheduler.queue import Deferrer

    # A slot whose queued send is settled late is looked at again at each collect.
    settings = settings_for(db_url, SYNDICATION_SCHEDULER__COLLECT_INTERVAL_SECONDS="2")
    clock = PacedClock(datetime.fromisoformat(start), epoch)
    runtime = Runtime(settings=settings, clock=clock)
    jobs = FakeNewsroom(clock, ZoneInfo("Europe/Berlin"), SUBSCRIBERS).jobs()
    try:
        return run_scheduler(runtime, replace(jobs, queue_send=Deferrer(runtime).send))
    finally:
        runtime.close()


def main() -> int:
    mode, db_url, recipients, batch_size = sys.argv[1:5]
    if mode == "worker":
        return worker(db_url, int(recipients), int(batch_size))
    return scheduler(db_url, sys.argv[5], float(sys.argv[6]))


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    # Started in a UTS namespace of its own (test_fault_campaign's _start): this machine's host name, which its
    # claims and leadership carry as a real machine's would.
    hostname = os.environ.pop("SYNDICATION_FAULT_HOSTNAME", None)
    if hostname:
        socket.sethostname(hostname)
    sys.exit(main())
