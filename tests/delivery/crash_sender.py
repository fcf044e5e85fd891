"""Run by test_crash.py in a subprocess: sends to the outbox and dies hard part-way.

Usage: python crash_sender.py DB_URL OUTBOX_DIR SUBSCRIBERS DIE_AT_MESSAGE MODE
MODE "exit" ends with os._exit (no cleanup, no finally), "kill" with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delivery.fakes import FakeMailer, FakeSubscribers, make_options
from syndication.clock import FixedClock
from syndication.delivery.base import Sender
from syndication.delivery.ledger import Ledger
from syndication.delivery.outbox import OutboxMessenger
from syndication.delivery.send import deliver
from syndication.store.db import open_engine


class DyingOutbox(OutboxMessenger):
    """Writes messages until the given count, then the process dies on the spot."""

    def __init__(self, directory: Path, die_at: int, mode: str) -> None:
        super().__init__(directory, Sender("newsletter@pfalz-rundschau.example"), FixedClock())
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


def main() -> None:
    url, outbox, count, die_at, mode = sys.argv[1:6]
    engine = open_engine(url)
    messenger = DyingOutbox(Path(outbox), int(die_at), mode)
    deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(int(count)), messenger, make_options())
    sys.exit(0)


if __name__ == "__main__":
    main()
