"""A sender process that dies hard part-way; the next run completes without duplicates."""

from __future__ import annotations

import email
import subprocess
import sys
from collections import Counter
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.delivery.base import Sender
from syndication.delivery.ledger import Ledger
from syndication.delivery.outbox import OutboxMessenger
from syndication.delivery.send import deliver

from .fakes import FakeMailer, FakeSubscribers, make_options

SCRIPT = Path(__file__).with_name("crash_sender.py")


def _recipients_in(outbox: Path) -> Counter[str]:
    return Counter(
        email.message_from_bytes(path.read_bytes(), policy=default)["To"].addresses[0].addr_spec
        for path in outbox.glob("*.eml")
    )


@pytest.mark.parametrize(
    ("die_at", "mode", "exit_code"),
    [(30, "exit", 70), (30, "kill", -9), (35, "kill", -9)],
    ids=["os-exit-after-batch-3", "sigkill-after-batch-3", "sigkill-inside-batch-4"],
)
def test_killed_sender_resumes_and_everyone_gets_one_message(
    engine: Engine, settings: Settings, tmp_path: Path, die_at: int, mode: str, exit_code: int
) -> None:
    """10 batches of 10; the process dies after 30 (or 35) messages; the second run sends exactly the rest."""
    outbox = tmp_path / "outbox"
    crashed = subprocess.run(
        [sys.executable, str(SCRIPT), settings.store_url, str(outbox), "100", str(die_at), mode],
        capture_output=True, text=True, timeout=120,
    )
    assert exit_code == crashed.returncode, crashed.stderr
    assert die_at == sum(_recipients_in(outbox).values())
    messenger = OutboxMessenger(outbox, Sender("newsletter@pfalz-rundschau.example"), FixedClock())
    report = deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(100), messenger, make_options())
    messenger.close()
    assert {f"leser{n}@example.org": 1 for n in range(1, 101)} == dict(_recipients_in(outbox))
    assert (100, 100 - die_at, 0, 0) == (report.sent, report.sent_now, report.failed, report.in_doubt)
