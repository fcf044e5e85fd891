"""Run by test_crash.py in a subprocess: sends and dies hard part-way.

Usage: python crash_sender.py DB_URL OUTBOX_DIR SUBSCRIBERS DIE_AT_MESSAGE MODE
MODE "exit" ends with os._exit (no cleanup, no finally), "kill" with SIGKILL.

Or:    python crash_sender.py serve
a fork server for the fault campaign: it imports everything once, then for each JSON line on
stdin (a send: backend, database, edition, …) forks a child that runs the send, prints
``PID <pid>`` and, once the child is gone (finished or SIGKILLed by the test), ``EXIT <status>``.
Forking keeps each send's start-up to milliseconds, so the campaign fits the test budget.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delivery.fakes import FakeMailer, FakeSubscribers, make_options
from syndication.clock import FixedClock
from syndication.config import SendgridConfig, SmtpConfig
from syndication.delivery.ledger import Ledger
from syndication.delivery.outbox import OutboxMessenger
from syndication.delivery.send import deliver
from syndication.delivery.sendgrid import SendGridMessenger
from syndication.delivery.smtp import SmtpMessenger
from syndication.mail.base import Messenger, Sender
from syndication.store.db import open_engine

SENDER = Sender("newsletter@pfalz-rundschau.example")


class DyingOutbox(OutboxMessenger):
    """Writes messages until the given count, then the process dies on the spot."""

    def __init__(self, directory: Path, die_at: int, mode: str) -> None:
        super().__init__(directory, SENDER, FixedClock())
        self.written = 0
        self.die_at = die_at
        self.mode = mode

    def _place(self, stem: str, data: bytes) -> str:
        if self.written == self.die_at:
            if self.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(70)
        self.written += 1
        return super()._place(stem, data)


def messenger_for(job: dict[str, object], clock: FixedClock) -> Messenger:
    backend = job["backend"]
    if backend == "outbox":
        return OutboxMessenger(Path(str(job["outbox"])), SENDER, clock)
    if backend == "smtp":
        config = SmtpConfig(host="127.0.0.1", port=int(str(job["port"])), security="none", timeout=10)
        return SmtpMessenger(config, SENDER, clock)
    return SendGridMessenger(SendgridConfig(api_url=str(job["url"]), timeout=10), str(job["api_key"]), SENDER)


def run_job(job: dict[str, object]) -> None:
    """One send of ``job`` (what `digest send` does, with a generated list and mailer)."""
    engine = open_engine(str(job["db"]), migrate=False)
    clock = FixedClock(datetime.fromisoformat(str(job["now"])))
    messenger = messenger_for(job, clock)
    edition = str(job["edition"])
    options = make_options(edition_id=edition, batch_size=int(str(job["batch_size"])), clock=clock)
    deliver(Ledger(engine), FakeMailer(edition), FakeSubscribers.generated(int(str(job["count"]))), messenger,
            options)
    messenger.close()


def serve() -> None:
    print("READY", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run_job(job)
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        print(f"PID {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"EXIT {os.waitstatus_to_exitcode(status)}", flush=True)


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve()
        return
    url, outbox, count, die_at, mode = sys.argv[1:6]
    engine = open_engine(url)
    messenger = DyingOutbox(Path(outbox), int(die_at), mode)
    deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(int(count)), messenger, make_options())
    sys.exit(0)


if __name__ == "__main__":
    main()
