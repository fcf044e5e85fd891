"""What a receipt per message costs SMTP: per-message ledger rows vs one write per batch.

Sends the same edition to N generated subscribers over SMTP to aiosmtpd on 127.0.0.1 (in
its own process, so the server does not share our interpreter), with the real ledger (a
SQLite file in WAL mode, migrated by Alembic), twice per round, alternating the order:

* ``per message``: each accepted message's ledger row is updated in its own transaction
  before the next message starts (what ``digest send`` does: a crash leaves at most the one
  message in flight in doubt);
* ``per batch``: receipts are written once when the batch ends (the old way: a crash leaves
  the whole batch in doubt).

Usage:  .venv/bin/python benchmarks/smtp_receipts.py [--messages 3000] [--rounds 3] [--batch-size 100]
Prints messages per second for each and the overhead of per-message receipts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from delivery.fakes import FakeMailer, FakeSubscribers, make_options  # noqa: E402

from syndication.clock import FixedClock  # noqa: E402
from syndication.config import SmtpConfig  # noqa: E402
from syndication.delivery.ledger import Ledger  # noqa: E402
from syndication.delivery.send import deliver  # noqa: E402
from syndication.delivery.smtp import SmtpMessenger  # noqa: E402
from syndication.mail.base import Sender  # noqa: E402
from syndication.store.db import open_engine  # noqa: E402


class _Sink:
    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        return "250 2.0.0 Ok: queued"


def _serve(port: int, ready: multiprocessing.synchronize.Event, stop: multiprocessing.synchronize.Event) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class _BatchReceipts(SmtpMessenger):
    receipts_per_message = False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one(port: int, messages: int, batch_size: int, per_message: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/bench.db")
        kind = SmtpMessenger if per_message else _BatchReceipts
        messenger = kind(SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=10),
                         Sender("newsletter@pfalz-rundschau.example"), FixedClock())
        source = FakeSubscribers.generated(messages)
        started = time.perf_counter()
        report = deliver(Ledger(engine), FakeMailer(), source, messenger, make_options(batch_size=batch_size))
        elapsed = time.perf_counter() - started
        messenger.close()
        engine.dispose()
        assert report.sent == messages, report
        return messages / elapsed


def _receipt_cost(count: int = 5000) -> float:
    """Seconds one receipt write costs on its own (the ledger row update and its commit)."""
    from datetime import UTC, datetime

    from syndication.delivery.ledger import Worker

    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/receipts.db")
        ledger = Ledger(engine)
        now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
        run, _ = ledger.open_run("bench", "06:00", "smtp", Worker.current(), now)
        ledger.add_batches(run, 1, [("all", [(n, f"leser{n}@example.org") for n in range(1, count + 1)])])
        batch = ledger.next_pending(run, 0)
        assert batch is not None
        rows = ledger.pending_recipients(batch.id)
        writer = ledger.receipt_writer()
        started = time.perf_counter()
        for row in rows:
            writer.write(row.id, "2.0.0 Ok: queued", now)
        elapsed = time.perf_counter() - started
        writer.close()
        engine.dispose()
        return elapsed / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    port = _free_port()
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(port, ready, stop), daemon=True)
    server.start()
    ready.wait(10)
    rates: dict[bool, list[float]] = {True: [], False: []}
    try:
        for number in range(args.rounds):
            order = (True, False) if number % 2 == 0 else (False, True)
            for per_message in order:
                rates[per_message].append(_one(port, args.messages, args.batch_size, per_message))
    finally:
        stop.set()
        server.join(10)
    per_message, per_batch = statistics.median(rates[True]), statistics.median(rates[False])
    print(f"{args.messages} messages x {args.rounds} rounds, batch size {args.batch_size} (median messages/s)")
    print(f"  per-batch receipts:   {per_batch:8.0f} msg/s  {[round(r) for r in rates[False]]}")
    print(f"  per-message receipts: {per_message:8.0f} msg/s  {[round(r) for r in rates[True]]}")
    print(f"  cost of a receipt per message: {(1 - per_message / per_batch) * 100:.1f} % of throughput (end to end)")
    cost = _receipt_cost()
    print(f"  one receipt write alone: {cost * 1e6:.0f} µs = {cost * per_batch * 100:.1f} % of a message's time")


if __name__ == "__main__":
    main()
