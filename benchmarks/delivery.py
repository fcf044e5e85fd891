"""Delivery benchmark: an edition to 100,000 and 1,000,000 generated subscribers.

Backends: the fake SendGrid (a real HTTP server on 127.0.0.1, run in its own process so
that its JSON parsing does not share our interpreter) and the outbox (.eml files).
Each (backend, size) runs in a fresh subprocess so that peak memory (ru_maxrss) is its own.

What is real: the ledger (SQLite file, migrated by Alembic), planning, claims, retries
path, JSON payloads, HTTP on loopback, MIME building and atomic file writes for the outbox.
What is generated: the subscribers (a streaming generator with the real store's paging
shape) and the mailer (HMAC-signed links like the real one, without MJML: bodies are
compiled once per variant anyway and do not scale with subscribers). With ``--source store``
the readers come from the real store as a send selects them: the newsletter's subscribers
(``NewsletterRecipients``, active subscription, active and not suppressed), among a tenth as
many again who subscribe only to another newsletter and must not be sent to.

Usage:  .venv/bin/python benchmarks/delivery.py [--sizes 100000,1000000] [--outbox-sizes 10000,100000] [--brake]
        .venv/bin/python benchmarks/delivery.py --workers 1,2,4 --sizes 1000000 [--store-url postgresql://…]
        (N worker processes share one run through the ledger; throughput and peak memory per worker)
Figures are noisy: the machine has 2 cores and other work runs at the same time.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from subscribers.model import Frequency, Subscriber, SubscriberStatus  # noqa: E402
from syndication.clock import SystemClock  # noqa: E402
from syndication.mail.base import MessageBody, Recipient, Sender  # noqa: E402

VARIANTS = ("all", "m3", "m5")
SECRET = b"benchmark-secret-key-0123456789"
SITE = "https://www.pfalz-rundschau.example"
MAILTO = "unsubscribe@pfalz-rundschau.example"


class GeneratedSubscribers:
    """``RecipientsSource`` over n generated readers of the newsletter, paged by id, never all in memory."""

    def __init__(self, count: int) -> None:
        self.count = count

    def _make(self, number: int) -> Subscriber:
        return Subscriber(
            id=number, email=f"leser{number}@example.org", status=SubscriberStatus.ACTIVE,
            frequency=Frequency.DAILY, name=f"Leserin {number}",
        )

    def iter_active(
        self, frequency: Frequency, slot: str | None, first_slot: str, batch_size: int
    ) -> Iterator[list[Subscriber]]:
        for start in range(1, self.count + 1, batch_size):
            yield [self._make(n) for n in range(start, min(start + batch_size, self.count + 1))]

    def receivable(self, subscriber_ids: Sequence[int]) -> Mapping[int, Subscriber]:
        return {i: self._make(i) for i in subscriber_ids}


class SignedLinkMailer:
    """Shaped like EditionMailer: per-variant bodies with placeholders, signed per-subscriber links."""

    def __init__(self, edition_id: str) -> None:
        self.edition_id = edition_id
        self.marker = "%%k3v9q"
        paragraph = "<p>Auf Einladung beider Seiten trafen sich in Florida die Sondergesandten. " * 4 + "</p>"
        self._bodies = {
            key: MessageBody(
                subject=f"Der Morgen – 24. November 2026 ({key})",
                html=f"<html><body><p>{self.marker}:greeting%%</p>{paragraph * 40}"
                f"<a href=\"{self.marker}:unsubscribe%%\">Abmelden</a>"
                f"<a href=\"{self.marker}:preferences%%\">Einstellungen</a></body></html>",
                text=f"{self.marker}:greeting%%\n\n{'Florida-Gespräche konstruktiv. ' * 150}\n"
                f"Abmelden: {self.marker}:unsubscribe%%\n",
            )
            for key in VARIANTS
        }

    def _token(self, purpose: str, subscriber: Subscriber) -> str:
        payload = f"{purpose}.{subscriber.id}.{subscriber.email}".encode()
        return hmac.new(SECRET, payload, hashlib.sha256).hexdigest()

    def variant_key(self, subscriber: Subscriber) -> str | None:
        return VARIANTS[subscriber.id % len(VARIANTS)]

    def body(self, variant_key: str) -> MessageBody:
        return self._bodies[variant_key]

    def recipient(self, subscriber: Subscriber) -> Recipient:
        unsubscribe = f"{SITE}/unsubscribe?token={subscriber.id}.{self._token('u', subscriber)}"
        return Recipient(
            email=subscriber.email,
            message_id=f"<{self.edition_id}.{subscriber.id}@pfalz-rundschau.example>",
            name=subscriber.name,
            substitutions={
                f"{self.marker}:greeting%%": f"Guten Morgen, {subscriber.name}",
                f"{self.marker}:unsubscribe%%": unsubscribe,
                f"{self.marker}:preferences%%": f"{SITE}/preferences?token={self._token('p', subscriber)}",
            },
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>, <mailto:{MAILTO}?subject=unsubscribe>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            custom_args={"edition_id": self.edition_id, "subscriber_id": str(subscriber.id)},
        )

    def shared_headers(self) -> Mapping[str, str]:
        return {"List-Id": "Pfalz-Rundschau Newsletter <newsletter.pfalz-rundschau.example>"}


def _serve_fake(queue: multiprocessing.Queue, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    from syndication.delivery.testing import FakeSendGrid

    with FakeSendGrid(record_content=False) as fake:
        queue.put(fake.url)
        stop.wait()
        queue.put((sum(fake.counts.values()), len(fake.counts), max(fake.counts.values(), default=0)))


# The newsletter sent, and the one the other readers subscribe to instead.
NEWSLETTER = "daily"
OTHER_NEWSLETTER = "fck"


def _seed_store(engine: object, size: int) -> object:
    """Fill the real subscriber table (not timed): ``size`` active readers of NEWSLETTER, and after every tenth
    one a reader of OTHER_NEWSLETTER only, whom the send must leave out."""
    from datetime import UTC, datetime

    from subscribers.store import NewSubscriber, SubscriberStore

    store = SubscriberStore(engine, SECRET.decode())  # type: ignore[arg-type]
    now = datetime.now(UTC)
    for start in range(1, size + 1, 10_000):
        rows = []
        for n in range(start, min(start + 10_000, size + 1)):
            rows.append(NewSubscriber(f"leser{n}@example.org", name=f"Leserin {n}", newsletters=(NEWSLETTER,)))
            if n % 10 == 0:
                rows.append(NewSubscriber(f"fan{n}@example.org", name=f"Fan {n}", newsletters=(OTHER_NEWSLETTER,)))
        store.add_many(rows, now=now, status=SubscriberStatus.ACTIVE, consent_form="benchmark", wording_version="1")
    return store


def _store_readers(engine: object, size: int) -> object:
    """The real send path's ``RecipientsSource``: the newsletter's subscribers, selected by subscription."""
    from syndication.app.editions import NewsletterRecipients
    from syndication.config import NewsletterConfig

    newsletter = NewsletterConfig(name=NEWSLETTER, title="Der Morgen", slots=("06:00",))
    return NewsletterRecipients(_seed_store(engine, size), newsletter)  # type: ignore[arg-type]


def child(
    backend: str, size: int, url: str | None, workdir: Path, source_kind: str = "generated", brake: bool = False
) -> dict[str, object]:
    """One measured run; prints a JSON line."""
    import httpx

    from syndication.config import DeliveryConfig, SendgridConfig
    from syndication.delivery.ledger import Ledger
    from syndication.delivery.outbox import OutboxMessenger
    from syndication.delivery.retry import RetryPolicy
    from syndication.delivery.send import SendOptions, Throttle, deliver
    from syndication.delivery.sendgrid import SendGridMessenger
    from syndication.events.brake import CounterBrake
    from syndication.store.db import open_engine

    engine = open_engine(f"sqlite:///{workdir / 'bench.db'}")
    sender = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau", "leserbriefe@pfalz-rundschau.example")
    messenger: object
    if backend == "sendgrid":
        assert url is not None
        messenger = SendGridMessenger(
            SendgridConfig(api_url=url, timeout=60), "SG.test-key", sender,
            http_client=httpx.Client(timeout=60),
        )
    else:
        messenger = OutboxMessenger(workdir / "outbox", sender, SystemClock())
    delivery = DeliveryConfig()
    edition_id = "daily-2026-11-24"
    options = SendOptions(
        edition_id=edition_id, slot="06:00", first_slot="06:00", frequency=Frequency.DAILY,
        batch_size=delivery.batch_size, categories=("edition-daily", edition_id),
        policy=RetryPolicy.from_config(delivery), throttle=Throttle(None), clock=SystemClock(),
        # The complaint brake as a production send has it (on by default): asked before every batch.
        brake=CounterBrake(engine, complaint_brake=delivery.complaint_brake, bounce_brake=delivery.bounce_brake,
                           min_messages=delivery.brake_min_messages) if brake else None,
    )
    source: object = GeneratedSubscribers(size)
    if source_kind == "store":
        source = _store_readers(engine, size)
    started = time.perf_counter()
    report = deliver(Ledger(engine), SignedLinkMailer(edition_id), source, messenger, options)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    messenger.close()  # type: ignore[attr-defined]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "backend": backend, "source": source_kind, "brake": brake, "size": size, "sent": report.sent,
        "failed": report.failed,
        "seconds": round(seconds, 1), "per_second": round(report.sent / seconds), "peak_mb": round(peak_mb),
    }


def _run_child(backend: str, size: int, url: str | None, source_kind: str, brake: bool) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-delivery-{backend}-"))
    try:
        command = [
            sys.executable, __file__, "--child", backend, str(size), "--workdir", str(workdir), "--source", source_kind
        ]
        if url:
            command += ["--url", url]
        if brake:
            command.append("--brake")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def worker_child(size: int, url: str, store_url: str, plan_only: bool, edition_id: str) -> dict[str, object]:
    """One of N worker processes sending the same run through the shared ledger (prints a JSON line)."""
    import os
    import threading

    import httpx

    from syndication.config import DeliveryConfig, SendgridConfig
    from syndication.delivery.ledger import Ledger
    from syndication.delivery.retry import RetryPolicy
    from syndication.delivery.send import SendOptions, Throttle, deliver
    from syndication.delivery.sendgrid import SendGridMessenger
    from syndication.store.db import open_engine

    engine = open_engine(store_url, migrate=plan_only)
    sender = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau", "leserbriefe@pfalz-rundschau.example")
    messenger = SendGridMessenger(SendgridConfig(api_url=url, timeout=60), "SG.test-key", sender,
                                  http_client=httpx.Client(timeout=60))
    delivery = DeliveryConfig()
    stop = threading.Event()
    if plan_only:
        stop.set()
    options = SendOptions(
        edition_id=edition_id, slot="06:00", first_slot="06:00", frequency=Frequency.DAILY,
        batch_size=delivery.batch_size, categories=("edition-daily", edition_id),
        policy=RetryPolicy.from_config(delivery), throttle=Throttle(None), clock=SystemClock(), stop=stop,
    )
    started = time.perf_counter()
    report = deliver(Ledger(engine), SignedLinkMailer(edition_id), GeneratedSubscribers(size), messenger,  # type: ignore[arg-type]
                     options)
    seconds = time.perf_counter() - started
    messenger.close()
    return {"pid": os.getpid(), "sent_now": report.sent_now, "seconds": round(seconds, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def run_workers(size: int, counts: Sequence[int], store_url: str | None) -> None:
    """--workers: the same run sent by 1, 2, 4 … processes sharing the ledger; throughput and memory per worker."""
    rows = []
    for workers in counts:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-workers-{workers}-"))
        url_of_store = store_url or f"sqlite:///{workdir / 'bench.db'}"
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        stop = multiprocessing.Event()
        server = multiprocessing.Process(target=_serve_fake, args=(queue, stop), daemon=True)
        server.start()
        url = queue.get(timeout=30)
        # One edition per configuration: a shared --store-url keeps the earlier runs.
        base = [sys.executable, __file__, "--worker-child", str(size), "--url", url, "--store-url", url_of_store,
                "--edition-id", f"daily-2026-11-24-w{workers}"]
        try:
            # Planning is not timed: the run's batches are fixed once, then the workers share them.
            subprocess.run([*base, "--plan-only"], check=True, capture_output=True, text=True)
            started = time.perf_counter()
            children = [subprocess.Popen(base, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
            outputs = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
            seconds = time.perf_counter() - started
        finally:
            stop.set()
            accepted, distinct, most = queue.get(timeout=120)
            server.join(timeout=30)
            shutil.rmtree(workdir, ignore_errors=True)
        row = {"workers": workers, "size": size, "seconds": round(seconds, 1), "per_second": round(accepted / seconds),
               "exactly_once": accepted == distinct == size and most == 1,
               "sent_per_worker": [o["sent_now"] for o in outputs],
               "peak_mb_per_worker": [o["peak_mb"] for o in outputs]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(f"{'workers':>7} {'subscribers':>11} {'seconds':>8} {'msg/s':>8} {'speed-up':>8}  peak MB per worker")
    for row in rows:
        speed_up = row["per_second"] / rows[0]["per_second"]  # type: ignore[operator]
        print(f"{row['workers']:>7} {row['size']:>11,} {row['seconds']:>8} {row['per_second']:>8,} "
              f"{speed_up:>8.2f}  {row['peak_mb_per_worker']}")
    print("(two shared cores: the fake SendGrid and the database take their share; the speed-up is as measured)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", help="e.g. 1,2,4: worker processes sharing one run (with --sizes' first size)")
    parser.add_argument("--worker-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plan-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--edition-id", default="daily-2026-11-24", help=argparse.SUPPRESS)
    parser.add_argument("--store-url", help="--workers: the store (default: a SQLite file; postgresql://… for real)")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--outbox-sizes", default="10000,100000")
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "SIZE"))
    parser.add_argument("--url")
    parser.add_argument(
        "--source", choices=("generated", "store"), default="generated",
        help="generated readers, or the newsletter's readers from the real SubscriberStore, selected by "
        "subscription as a send does (filled first, seeding not timed)",
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--brake", action="store_true",
                        help="send with the complaint brake on, as production sends are by default (asked before "
                        "every batch; no complaints here, so it never pulls: what it costs)")
    args = parser.parse_args()
    if args.worker_child:
        print(json.dumps(worker_child(args.worker_child, args.url, args.store_url, args.plan_only, args.edition_id)))
        return
    if args.workers:
        size = int(args.sizes.split(",")[0])
        run_workers(size, [int(n) for n in args.workers.split(",")], args.store_url)
        return
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.url, args.workdir, args.source, args.brake)))
        return

    results = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        stop = multiprocessing.Event()
        server = multiprocessing.Process(target=_serve_fake, args=(queue, stop), daemon=True)
        server.start()
        url = queue.get(timeout=30)
        result = _run_child("sendgrid", size, url, args.source, args.brake)
        stop.set()
        accepted, distinct, most = queue.get(timeout=120)
        server.join(timeout=30)
        result["fake_accepted"] = accepted
        result["exactly_once"] = accepted == distinct == size and most == 1
        results.append(result)
        print(json.dumps(result), flush=True)
    for size in (int(s) for s in args.outbox_sizes.split(",") if s):
        result = _run_child("outbox", size, None, args.source, args.brake)
        results.append(result)
        print(json.dumps(result), flush=True)

    print()
    print(f"{'backend':<9} {'source':<10} {'brake':<6} {'subscribers':>11} {'seconds':>8} {'msg/s':>8} {'peak MB':>8}")
    for r in results:
        print(f"{r['backend']:<9} {r['source']:<10} {'on' if r['brake'] else 'off':<6} {r['size']:>11,} "
              f"{r['seconds']:>8} {r['per_second']:>8,} {r['peak_mb']:>8}")
    sendgrid = [r for r in results if r["backend"] == "sendgrid"]
    if len(sendgrid) >= 2:
        small, big = sendgrid[0], sendgrid[-1]
        print(f"sendgrid: {big['size']:,} in {big['seconds']} s (goal < 60 s); "
              f"peak memory ratio {big['size']:,}/{small['size']:,} = {big['peak_mb'] / small['peak_mb']:.2f} "
              f"(goal ≈ 1, < 250 MB)")


if __name__ == "__main__":
    main()
