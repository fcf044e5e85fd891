"""A sender process that dies hard part-way; the next run completes without duplicates."""

from __future__ import annotations

import contextlib
import email
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.policy import default
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.delivery.doubt import doubts
from syndication.delivery.ledger import Ledger
from syndication.delivery.outbox import OutboxMessenger
from syndication.delivery.send import deliver
from syndication.delivery.testing import FakeSendGrid, WebhookPoster
from syndication.mail.base import Sender
from syndication.runtime import Runtime
from syndication.store.db import open_engine
from syndication.testing import live_server
from syndication.web import create_app

from .fakes import FakeMailer, FakeSubscribers, make_options
from .test_smtp import Collecting, smtp_server  # noqa: F401 - the aiosmtpd fixture

SECRET = "test-secret-key-0123456789abcdef"


def public_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    der = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")

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


# -- the fault campaign: SIGKILL at random moments, per backend -----------------------------------

KILLS = 20
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
_OUTBOX_ID = re.compile(r"^(?P<edition>[a-z0-9-]+)\.(?P<subscriber>\d+)_pfalz-rundschau\.example(?:-\d+)?\.eml$")
_SMTP_ID = re.compile(rb"Message-ID: <(?P<edition>[a-z0-9-]+)\.(?P<subscriber>\d+)@", re.IGNORECASE)


class ForkServer:
    """crash_sender.py in ``serve`` mode: each send is a forked child the test may SIGKILL."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        assert "READY" == self.process.stdout.readline().strip()

    def send(self, job: dict[str, object], kill_after: float | None) -> bool:
        """Run one send; SIGKILL it after ``kill_after`` seconds. True if it was killed."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        pid = int(self.process.stdout.readline().split()[1])
        if kill_after is not None:
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        status = int(self.process.stdout.readline().split()[1])
        assert status in (0, -signal.SIGKILL), f"the send failed with {status}"
        return status == -signal.SIGKILL

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass
class Campaign:
    """Counts of one backend's campaign."""

    kills: int = 0
    duplicates: int = 0
    skipped: int = 0
    unreported: list[tuple[str, int]] = field(default_factory=list)


def _campaign(
    engine: Engine, server: ForkServer, job: dict[str, object], received: Callable[[str], Counter[int]],
    *, count: int, settle_wait: Callable[[], None] = lambda: None,
) -> tuple[Campaign, list[str]]:
    """Rounds of (send killed at a random moment, plain rerun) on fresh editions until KILLS kills."""
    chooser = random.Random(20)
    campaign = Campaign()
    editions: list[str] = []
    # How long a whole send takes here and now: the kills fall inside that window.
    durations = []
    for calibration in (f"crash-{job['backend']}-0a", f"crash-{job['backend']}-0b"):
        started = time.monotonic()
        server.send({**job, "edition": calibration}, None)
        durations.append(time.monotonic() - started)
        editions.append(calibration)
    duration = 0.9 * min(durations)
    number = 0
    while campaign.kills < KILLS and number < 3 * KILLS:
        number += 1
        edition = f"crash-{job['backend']}-{number}"
        editions.append(edition)
        killed = server.send({**job, "edition": edition}, chooser.uniform(0.0, duration))
        campaign.kills += killed
        settle_wait()
        server.send({**job, "edition": edition}, None)
        settle_wait()
        got = received(edition)
        duplicates = {s for s, n in got.items() if n > 1}
        skipped = {s for s in range(1, count + 1) if got[s] == 0}
        campaign.duplicates += sum(got[s] - 1 for s in duplicates)
        campaign.skipped += len(skipped)
        in_doubt = {d.subscriber_id for d in doubts(engine, edition)}
        campaign.unreported += [(edition, s) for s in sorted((duplicates | skipped) - in_doubt)]
    return campaign, editions


def _migrated(settings: Settings) -> str:
    open_engine(settings.store_url).dispose()
    return settings.store_url


def _check(campaign: Campaign) -> None:
    print(f"\n{campaign}")  # shown with -s: the campaign's figures
    assert KILLS == campaign.kills
    assert [] == campaign.unreported
    assert campaign.duplicates + campaign.skipped <= campaign.kills


@pytest.mark.slow
def test_fault_campaign_outbox(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """20 SIGKILLs at random moments, each followed by a plain rerun: exact, nothing duplicated or skipped."""
    server = ForkServer()
    root = tmp_path / "outboxes"

    def received(edition: str) -> Counter[int]:
        names = (match for path in (root / edition).glob("*.eml") if (match := _OUTBOX_ID.match(path.name)))
        return Counter(int(match["subscriber"]) for match in names if match["edition"] == edition)

    job = {"backend": "outbox", "db": _migrated(settings), "count": 40, "batch_size": 10, "now": NOW.isoformat()}
    try:
        campaign, _ = _campaign(engine, _PerEditionOutbox(server, root), job, received, count=40)
    finally:
        server.close()
    _check(campaign)
    assert (0, 0) == (campaign.duplicates, campaign.skipped)


class _PerEditionOutbox:
    """Sends each edition to an outbox folder of its own (so files are counted per edition)."""

    def __init__(self, server: ForkServer, root: Path) -> None:
        self.server = server
        self.root = root

    def send(self, job: dict[str, object], kill_after: float | None) -> bool:
        return self.server.send({**job, "outbox": str(self.root / str(job["edition"]))}, kill_after)


@pytest.mark.slow
def test_fault_campaign_smtp(
    engine: Engine, settings: Settings, smtp_server: tuple[Collecting, int]  # noqa: F811
) -> None:
    """SMTP to aiosmtpd: duplicates + skipped ≤ kills, each one listed by `digest doubt`."""
    handler, port = smtp_server
    server = ForkServer()

    def received(edition: str) -> Counter[int]:
        found = (_SMTP_ID.search(raw) for _, _, raw in list(handler.envelopes))
        return Counter(int(m["subscriber"]) for m in found if m is not None and m["edition"].decode() == edition)

    job = {"backend": "smtp", "db": _migrated(settings), "port": port, "count": 30, "batch_size": 10,
           "now": NOW.isoformat()}
    try:
        campaign, _ = _campaign(engine, server, job, received, count=30)
    finally:
        server.close()
    _check(campaign)


@pytest.mark.slow
def test_fault_campaign_sendgrid(settings: Settings, tmp_path: Path) -> None:
    """SendGrid (fake, posting "processed" events to the real webhook): ≤ kills, and with the events 0 in doubt."""
    key = ec.generate_private_key(ec.SECP256R1())
    configured = settings.model_copy(update={"subscribers": settings.subscribers.model_copy(
        update={"sendgrid_webhook_public_key": public_key_b64(key)})})
    runtime = Runtime(settings=configured, secrets=Secrets(secret_key=SECRET), clock=FixedClock(NOW))
    engine = runtime.engine
    server = ForkServer()
    count = 40
    with live_server(create_app(runtime)) as base_url, FakeSendGrid() as fake:
        fake.event_sink = WebhookPoster(f"{base_url}/webhooks/sendgrid", key, now=lambda: NOW.timestamp())

        def quiet() -> None:
            deadline = time.monotonic() + 10
            while fake.active and time.monotonic() < deadline:
                time.sleep(0.005)

        def received(edition: str) -> Counter[int]:
            return Counter(int(m.custom_args["subscriber_id"]) for m in list(fake.accepted)
                           if m.custom_args.get("edition_id") == edition)

        job = {"backend": "sendgrid", "db": configured.store_url, "url": fake.url, "api_key": fake.api_key,
               "count": count, "batch_size": 10, "now": NOW.isoformat()}
        try:
            campaign, editions = _campaign(engine, server, job, received, count=count, settle_wait=quiet)
            # Later, past [delivery] in_doubt_wait: what no event vouched for is sent once more.
            later = (NOW + timedelta(minutes=31)).isoformat()
            for edition in editions:
                server.send({**job, "edition": edition, "now": later}, None)
            quiet()
        finally:
            server.close()
        remaining = [(edition, d.subscriber_id) for edition in editions for d in doubts(engine, edition)]
        exact = {edition: dict(received(edition)) == dict.fromkeys(range(1, count + 1), 1) for edition in editions}
    runtime.close()
    _check(campaign)
    assert ([], []) == (remaining, [edition for edition, ok in exact.items() if not ok])
