"""Benchmark: complete personalised messages per second on one core (issue 19, goal 2).

For each subscriber: the recipient (greeting, signed unsubscribe and preference links, the
signed List-Unsubscribe mailto), then the complete RFC 5322 bytes as the SMTP backend (CRLF)
and the outbox (LF) write them, with the shared body encoded once per variant and the personal
parts spliced in (``syndication.mail.wire``). Baselines measured in the same run:

- compiling Jinja + MJML per subscriber (the naive way; a sample, extrapolated);
- building every message with the ``email`` package (``build_message(...).as_bytes()``, a sample).

For SendGrid the body is shared per request of up to 1,000 recipients; the figure is the bytes
of the request body per recipient, without and with the shared content.

    .venv/bin/python benchmarks/messages.py [--subscribers 20000] [--sample 300] [--articles 20]

Rates are CPU time of this process (``time.process_time``), so that other work on the machine
moves them less; wall time is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from digest import _articles, _subscriber  # the same articles and readers as benchmarks/digest.py

from syndication.clock import FixedClock
from syndication.config import load_settings
from syndication.delivery.sendgrid import MAX_PERSONALIZATIONS, SendGridMessenger
from syndication.digest.compose import render_digest
from syndication.digest.editions import Edition
from syndication.digest.personalize import EditionMailer
from syndication.mail.base import Batch, Recipient, clean_batch_headers, clean_recipient
from syndication.mail.mime import MAIL_POLICY, SMTP_POLICY, build_message
from syndication.mail.wire import MessageFactory

SECRET = "benchmark-secret-key-0123456789"
NOW = datetime(2026, 11, 24, 5, tzinfo=UTC)


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

    total_bytes = 0

    def spliced(policy: object) -> Callable[[], int]:
        factories = {key: MessageFactory(sender, batch, policy) for key, batch in batches.items()}  # type: ignore[arg-type]

        def work() -> int:
            nonlocal total_bytes
            total_bytes = 0
            for reader, key in readers:
                total_bytes += len(factories[key].message_bytes(clean_recipient(mailer.recipient(reader)), NOW))
            return len(readers)

        return work

    figures: dict[str, float] = {}
    for label, policy in (("SMTP (CRLF)", SMTP_POLICY), ("outbox (LF)", MAIL_POLICY)):
        count, cpu, wall = _timed(spliced(policy))
        figures[label] = count / cpu
        print(f"spliced, {label}: {count / cpu:,.0f} messages/s CPU ({count / wall:,.0f}/s wall), "
              f"average {total_bytes // count:,} bytes")

    sample = readers[: options.sample]

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
    smtp = figures["SMTP (CRLF)"]
    print(f"ratio: spliced SMTP messages are {smtp / package_rate:,.0f}x the email package, "
          f"{smtp / naive_rate:,.0f}x compiling per subscriber (goal: 20,000/s and 100x)")

    messenger = SendGridMessenger(settings.delivery.sendgrid, "SG.benchmark", sender)
    by_variant: dict[str, list[Recipient]] = {}
    for reader, key in readers:
        by_variant.setdefault(key, []).append(mailer.recipient(reader))
    request_bytes = shared_bytes = recipients = 0
    for key, members in by_variant.items():
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
