"""Benchmark: personalise one digest edition for many subscribers.

Compiles the edition's MJML once per variant (topic selection) and personalises every
message by placeholder substitution, as `syndication digest send` does; then compares
with compiling Jinja + MJML per subscriber, measured on a smaller sample and
extrapolated (say so when quoting the figure). No database and no network: articles
are the reference-shaped test articles, subscribers are generated.

    .venv/bin/python benchmarks/digest.py [--subscribers 100000] [--sample 200] [--articles 20]

Figures are noisy on a shared 2-core machine; compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from subscribers.model import Subscriber, SubscriberStatus
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import Secrets, load_settings
from syndication.digest.compose import render_digest
from syndication.digest.editions import Edition
from syndication.digest.ordering import order_for_digest
from syndication.mail.base import personalise
from syndication.runtime import Runtime
from syndication.testing import make_article

TOPIC_MIX = ((), (), (), ("Sport",), ("Politik",), ("Kaiserslautern",), ("Wirtschaft", "Sport"), ("Bildung",))
NAMES = ("Anna", None, "Jürgen Müller", None, "Zoë O'Neil & Co")


def _articles(count: int) -> list:
    categories = (("Politik",), ("Wirtschaft",), ("Sport",), ("Kultur",))
    made = [make_article(n, categories=categories[n % len(categories)]) for n in range(1, count + 1)]
    return order_for_digest(made, ("Politik", "Wirtschaft"))


def _subscriber(number: int) -> Subscriber:
    return Subscriber(
        id=number,
        email=f"leser{number}@example.org",
        status=SubscriberStatus.ACTIVE,
        topics=TOPIC_MIX[number % len(TOPIC_MIX)],
        name=NAMES[number % len(NAMES)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200, help="subscribers for the compile-per-subscriber sample")
    parser.add_argument("--articles", type=int, default=20)
    options = parser.parse_args()

    root = Path(__file__).resolve().parent.parent
    settings = load_settings(root / "config.toml", env={})
    secret = os.environ.get("SYNDICATION_SECRET_KEY") or "benchmark-secret-key-0123456789"
    runtime = Runtime(settings=settings, secrets=Secrets(secret_key=secret), clock=FixedClock())
    articles = _articles(options.articles)
    edition = Edition(
        id="daily-2026-11-24", name="daily", title="Der Morgen", edition_date=date(2026, 11, 24),
        built_at=datetime(2026, 11, 24, 5, tzinfo=UTC), article_ids=tuple(a.id for a in articles),
        previous_watermark=0, watermark=len(articles), new_article_count=len(articles),
    )

    # Compile once per variant, personalise per subscriber.
    mailer = App(runtime).edition_mailer(edition, articles)
    total_bytes = skipped = 0
    started = time.perf_counter()
    for number in range(1, options.subscribers + 1):
        reader = _subscriber(number)
        key = mailer.variant_key(reader)
        if key is None:
            skipped += 1
            continue
        message = personalise(mailer.body(key), mailer.recipient(reader))
        total_bytes += len(message.html)
    once_seconds = time.perf_counter() - started
    messages = options.subscribers - skipped
    once_rate = messages / once_seconds

    # Naive: one Jinja + MJML pass per subscriber with the subscriber's real values filled in
    # (as many articles as the compiled variant shows, so the budget search is not counted).
    naive = App(runtime).edition_mailer(edition, articles)
    started = time.perf_counter()
    for number in range(1, options.sample + 1):
        reader = _subscriber(number)
        key = naive.variant_key(reader)
        if key is None:
            continue
        chosen = naive.variant_articles(key)
        shown = mailer.body(key).text.count("Weiterlesen: ")
        recipient = naive.recipient(reader)
        values = {part: recipient.substitutions[placeholder] for part, placeholder in naive.placeholders.items()}
        render_digest(
            edition, chosen, settings, shown=shown,
            html_values={
                "greeting": values["greeting_html"],
                "unsubscribe_url": values["unsubscribe_url"],
                "preferences_url": values["preferences_url"],
                "view_in_browser_url": values["view_in_browser_url"],
            },
            text_values={"greeting": values["greeting_text"]},
        )
    naive_seconds = time.perf_counter() - started
    naive_rate = options.sample / naive_seconds
    extrapolated = options.subscribers / naive_rate

    print(f"edition: {len(articles)} articles, {len(mailer._bodies)} variants compiled, "
          f"average HTML {total_bytes // max(messages, 1):,} bytes")
    print(f"compile once + personalise: {messages:,} messages in {once_seconds:.1f} s "
          f"= {once_rate:,.0f} messages/s ({skipped:,} subscribers without matching articles)")
    print(f"compile per subscriber (sample of {options.sample}, extrapolated): {naive_rate:,.1f} messages/s "
          f"= {extrapolated / 60:,.1f} min for {options.subscribers:,}")
    print(f"ratio: compile-once is {once_rate / naive_rate:,.0f}x faster")


if __name__ == "__main__":
    main()
