"""The work the scheduler triggers: the same functions the CLI commands call.

The scheduler never does the work itself; it calls these. :class:`Jobs` bundles them so the
schedule logic can be driven with fakes (see :mod:`syndication.scheduler.testing`), and
:func:`real_jobs` wires the project's functions:

- ``syndication.collect.run_collect(settings, store, clock)``
- ``syndication.feeds.publish.build_and_publish(runtime)``
- ``syndication.digest.editions.build_edition(runtime, edition_name)`` / ``latest_edition(engine, name)``
- ``syndication.delivery.send.send_edition(runtime, edition_id, slot, ...)``
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Engine

from syndication.runtime import Runtime


class EditionLike(Protocol):
    """What the scheduler needs of a digest edition."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def edition_date(self) -> date: ...


class CollectLike(Protocol):
    @property
    def changed(self) -> bool: ...

    @property
    def failed(self) -> bool: ...


@dataclass(frozen=True)
class Jobs:
    """The functions the scheduler calls; swap any of them for a fake in tests."""

    collect: Callable[[Runtime], CollectLike]
    publish_feeds: Callable[[Runtime], Any]
    build_edition: Callable[[Runtime, str], EditionLike | None]
    latest_edition: Callable[[Engine, str], EditionLike | None]
    # send_edition(runtime, edition_id, slot, stop) → a report with ``sent``/``failed`` counts;
    # ``stop`` is set when the scheduler is asked to stop: end between batches.
    send_edition: Callable[[Runtime, str, str, threading.Event], Any]
    # Post due outgoing webhooks; poll the bounce mailbox ([inbound] imap_url). None: not scheduled.
    deliver_webhooks: Callable[[Runtime], Any] | None = None
    poll_inbound: Callable[[Runtime], Any] | None = None


# The real functions are imported when a job runs: the scheduler's start-up (and /healthz)
# does not load the feed, digest and delivery code.


def run_collect_job(runtime: Runtime) -> CollectLike:
    from syndication.collect import run_collect
    from syndication.store.articles import ArticleStore

    return run_collect(runtime.settings, ArticleStore(runtime.engine), runtime.clock)


def publish_feeds_job(runtime: Runtime) -> Any:
    from syndication.feeds.publish import build_and_publish

    return build_and_publish(runtime)


def build_edition_job(runtime: Runtime, edition_name: str) -> EditionLike | None:
    from syndication.digest.editions import build_edition

    return build_edition(runtime, edition_name)


def latest_edition_job(engine: Engine, edition_name: str) -> EditionLike | None:
    from syndication.digest.editions import latest_edition

    return latest_edition(engine, edition_name)


def send_edition_job(runtime: Runtime, edition_id: str, slot: str, stop: threading.Event) -> Any:
    from syndication.delivery.send import send_edition

    # send_edition checks ``stop`` between batches: a stop request lets the current batch
    # finish and be recorded, and the rest goes out when the slot is resumed.
    return send_edition(runtime, edition_id, slot, stop=stop)


def deliver_webhooks_job(runtime: Runtime) -> Any:
    from syndication.webhooks.wiring import deliver_webhooks

    return deliver_webhooks(runtime)


def poll_inbound_job(runtime: Runtime) -> Any:
    from syndication.inbound.imap import poll_imap

    return poll_imap(runtime)


def real_jobs() -> Jobs:
    return Jobs(
        collect=run_collect_job,
        publish_feeds=publish_feeds_job,
        build_edition=build_edition_job,
        latest_edition=latest_edition_job,
        send_edition=send_edition_job,
        deliver_webhooks=deliver_webhooks_job,
        poll_inbound=poll_inbound_job,
    )


def counts_of(report: Any) -> dict[str, Any]:
    """The numbers in a report (ints as they are, lists by length), for logs and job_runs."""
    if report is None:
        return {}
    if isinstance(report, Mapping):
        items = list(report.items())
    elif dataclasses.is_dataclass(report) and not isinstance(report, type):
        items = [(field.name, getattr(report, field.name)) for field in dataclasses.fields(report)]
    elif hasattr(report, "__dict__"):
        items = [(name, value) for name, value in vars(report).items() if not name.startswith("_")]
    else:
        return {}
    counts: dict[str, Any] = {}
    for name, value in items:
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            counts[name] = value
        elif isinstance(value, list | tuple | set | frozenset | dict):
            counts[name] = len(value)
    return counts
