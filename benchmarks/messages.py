"""Benchmark: complete personalised messages per second on one core (issue 19, goal 2).

Each subscriber's message is made as a send makes it: ``EditionMailer.recipient`` (greeting, the
signed unsubscribe and preference links, the signed List-Unsubscribe mailto) and
``recipient_problem`` for every reader, then batches of ``[delivery] batch_size`` recipients of one
variant through the backends' own ``prepared`` step, the one their ``send`` uses:

- SMTP: ``SmtpMessenger.prepared``: the complete RFC 5322 bytes (CRLF) and the envelope sender,
  a signed VERP address (``bounce_address`` set; no DKIM key configured);
- SMTP DATA: the same, but the bytes ``send`` writes after DATA (``Prepared.wire``: dot-stuffed,
  ended by CRLF.CRLF), made from the body's chunks stuffed once per batch;
- outbox: ``OutboxMessenger.prepared``: the bytes (LF) and the subject of the index line.

What ``send`` does after that (the SMTP dialogue, writing the file) is not counted. The shared
body is encoded once per variant and the personal parts are spliced in (``syndication.mail.wire``).
Baselines measured in the same run:

- compiling Jinja + MJML per subscriber (the naive way; a sample, extrapolated);
- building every message with the ``email`` package (``build_message(...).as_bytes()``, a sample).

For SendGrid the body is shared per request of up to 1,000 recipients; the figure is the bytes
of the request body per recipient, without and with the shared content.

    .venv/bin/python benchmarks/messages.py [--subscribers 20000] [--sample 300] [--articles 20] [--rounds 3]

Rates are CPU time of this process (``time.process_time``), so that other work on the machine
moves them less; wall time is printed beside them. Each spliced figure is the median of
``--rounds`` runs (all are printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from digest import _articles, _subscriber  # the same articles and readers as benchmarks/digest.py

from syndication.clock import FixedClock
from syndication.config import Secrets, load_settings
from syndication.delivery.outbox import OutboxMessenger
from syndication.delivery.sendgrid import MAX_PERSONALIZATIONS, SendGridMessenger
from syndication.delivery.smtp import SmtpMessenger, dot_stuffed
from syndication.digest.compose import render_digest
from syndication.digest.editions import Edition
from syndication.digest.personalize import EditionMailer
from syndication.mail.base import Batch, Refusal, clean_batch_headers, clean_recipient, recipient_problem
from syndication.mail.mime import SMTP_POLICY, build_message
from syndication.subscriber import Subscriber

SECRET = "benchmark-secret-key-0123456789"
NOW = datetime(2026, 11, 24, 5, tzinfo=UTC)
BOUNCES = "bounces@pfalz-rundschau.example"


def _timed(work: Callable[[], int]) -> tuple[int, float, float]:
    """(messages, CPU seconds, wall seconds) of ``work``."""
    cpu, wall = time.process_time(), time.perf_counter()
    count = work()
    return count, time.process_time() - cpu, time.perf_counter() - wall


def _request_body(payload: dict[str, object]) -> bytes:
    """The request body as the SendGrid backend sends it (compact UTF-8 JSON)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=300, help="subscribers for each baseline sample")
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each spliced path (the best is the figure)")
    options = parser.parse_args()

    settings = load_settings(Path(__file__).resolve().parent.parent / "config.toml", env={})
    articles = _articles(options.articles)
    edition = Edition(
        id="daily-2026-11-24", name="daily", title="Der Morgen", edition_date=NOW.date(), built_at=NOW,
        article_ids=tuple(a.id for a in articles), previous_watermark=0, watermark=len(articles),
        new_article_count=len(articles),
    )
    mailer = EditionMailer(edition, articles, settings, SECRET, FixedClock(NOW))
    readers = [(reader, key) for reader in map(_subscriber, range(1, options.subscribers + 1))
               if (key := mailer.variant_key(reader)) is not None]
    sender = mailer.sender()
    batches = {key: clean_batch_headers(Batch(key, mailer.body(key), (mailer.recipient(reader),),
                                              mailer.shared_headers()))
               for reader, key in readers}
    print(f"edition: {len(articles)} articles, {len(batches)} variants, {len(readers):,} readers")

    batch_size = settings.delivery.batch_size
    by_variant: dict[str, list[Subscriber]] = {}
    for reader, key in readers:
        by_variant.setdefault(key, []).append(reader)
    smtp = SmtpMessenger(settings.delivery.smtp.model_copy(update={"bounce_address": BOUNCES}), sender,
                         FixedClock(NOW), secrets=Secrets(secret_key=SECRET))
    outbox = OutboxMessenger(Path("outbox-never-written"), sender, FixedClock(NOW))
    total_bytes = 0

    def through(prepared: Callable[[Batch], Iterable[object]], form: str = "data") -> Callable[[], int]:
        """A send's recipients and messages, batch by batch, through a backend's ``prepared``."""

        def work() -> int:
            nonlocal total_bytes
            total_bytes = count = 0
            for key, members in by_variant.items():
                body = mailer.body(key)
                for start in range(0, len(members), batch_size):
                    recipients = []
                    for reader in members[start : start + batch_size]:
                        recipient = mailer.recipient(reader)
                        if recipient_problem(recipient) is None:
                            recipients.append(recipient)
                    batch = Batch(key, body, tuple(recipients), mailer.shared_headers())
                    for message in prepared(batch):
                        if isinstance(message, Refusal):
                            raise SystemExit(f"a message could not be made: {message.reason}")
                        total_bytes += len(getattr(message, form))
                        count += 1
            return count

        return work

    figures: dict[str, float] = {}
    paths: list[tuple[str, Callable[[Batch], Iterable[object]], str]] = [
        ("SMTP (CRLF, VERP envelope)", smtp.prepared, "data"),
        ("SMTP DATA (dot-stuffed, as sent)", smtp.prepared, "wire"),
        ("outbox (LF)", lambda batch: outbox.prepared(batch, NOW), "data"),
    ]
    for label, prepared, form in paths:
        runs = sorted((_timed(through(prepared, form)) for _ in range(options.rounds)), key=lambda run: run[1])
        count, cpu, wall = runs[len(runs) // 2]
        figures[label] = count / cpu
        rounds = ", ".join(f"{run[0] / run[1]:,.0f}" for run in runs)
        print(f"spliced, {label}: {count / cpu:,.0f} messages/s CPU, median of {len(runs)} ({rounds}; "
              f"{count / wall:,.0f}/s wall), average {total_bytes // count:,} bytes")

    sample = readers[: options.sample]
    first_batch = next(iter(by_variant.items()))
    whole = [message for message in smtp.prepared(Batch(first_batch[0], mailer.body(first_batch[0]),
                                                        tuple(map(mailer.recipient, first_batch[1][: options.sample])),
                                                        mailer.shared_headers()))
             if not isinstance(message, Refusal)]

    def stuffed_whole() -> int:
        for message in whole:
            dot_stuffed(message.data)  # type: ignore[union-attr]
        return len(whole)

    count, cpu, _ = _timed(stuffed_whole)
    print(f"baseline, SMTP DATA stuffing each whole message (dot_stuffed, sample of {count}, messages already made): "
          f"{count / cpu:,.0f} messages/s CPU")

    def email_package() -> int:
        for reader, key in sample:
            recipient = clean_recipient(mailer.recipient(reader))
            build_message(sender, batches[key], recipient, NOW).as_bytes(policy=SMTP_POLICY)
        return len(sample)

    count, cpu, _ = _timed(email_package)
    package_rate = count / cpu
    print(f"baseline, email package per message (sample of {count}): {package_rate:,.0f} messages/s CPU")

    def compile_per_subscriber() -> int:
        for reader, key in sample:
            recipient = mailer.recipient(reader)
            values = {part: recipient.substitutions[placeholder] for part, placeholder in mailer.placeholders.items()}
            shown = mailer.body(key).text.count("Weiterlesen: ")
            render_digest(
                edition, mailer.variant_articles(key), settings, shown=shown,
                html_values={name: values[name] for name in ("unsubscribe_url", "preferences_url",
                                                             "view_in_browser_url")}
                | {"greeting": values["greeting_html"]},
                text_values={"greeting": values["greeting_text"]},
            )
        return len(sample)

    count, cpu, _ = _timed(compile_per_subscriber)
    naive_rate = count / cpu
    print(f"baseline, Jinja + MJML per subscriber (sample of {count}, no MIME): {naive_rate:,.0f} messages/s CPU")
    smtp_rate = figures["SMTP (CRLF, VERP envelope)"]
    print(f"ratio: spliced SMTP messages are {smtp_rate / package_rate:,.0f}x the email package, "
          f"{smtp_rate / naive_rate:,.0f}x compiling per subscriber (goal: 20,000/s and 100x)")

    messenger = SendGridMessenger(settings.delivery.sendgrid, "SG.benchmark", sender)
    request_bytes = shared_bytes = recipients = 0
    for key, readers_of_variant in by_variant.items():
        members = [mailer.recipient(reader) for reader in readers_of_variant]
        for start in range(0, len(members), MAX_PERSONALIZATIONS):
            chunk = tuple(members[start : start + MAX_PERSONALIZATIONS])
            payload = messenger.payload(Batch(key, mailer.body(key), chunk, mailer.shared_headers()))
            request_bytes += len(_request_body(payload))
            shared_bytes += len(_request_body({**payload, "personalizations": []}))
            recipients += len(chunk)
    messenger.close()
    print(f"SendGrid: {(request_bytes - shared_bytes) / recipients:,.0f} bytes per recipient "
          f"({request_bytes / recipients:,.0f} with the shared body; goal: under 1 KB)")


if __name__ == "__main__":
    main()
