"""The scheduler's real jobs: the functions the CLI commands call, their reports turned into typed outcomes."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.app.editions import build_edition, send_edition
from syndication.app.partners import deliver_partner_pushes, version_log
from syndication.app.publishing import public_writer
from syndication.delivery.send import SendReport
from syndication.digest.edition_store import get_edition, latest_edition
from syndication.digest.editions import Edition, edition_id
from syndication.errors import ConfigError, SourceUnavailable
from syndication.feeds.publish import build_and_publish
from syndication.runtime import Runtime
from syndication.scheduler.jobs import (
    CollectOutcome,
    Counts,
    Deferrals,
    EditionRef,
    Jobs,
    SendOutcome,
    WorkOutcome,
)
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore


def counts_of(report: object) -> Counts:
    """The numbers in a report dataclass (ints as they are, collections by length; flags and text left out)."""
    if not dataclasses.is_dataclass(report) or isinstance(report, type):
        return {}
    counts: dict[str, int | float] = {}
    for field in dataclasses.fields(report):
        value = getattr(report, field.name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            counts[field.name] = value
        elif isinstance(value, list | tuple | set | frozenset | dict):
            counts[field.name] = len(value)
    return counts


def edition_ref(edition: Edition | None) -> EditionRef | None:
    if edition is None:
        return None
    return EditionRef(edition.id, edition.name, edition.edition_date, edition.built_at, len(edition.article_ids))


def send_outcome(report: SendReport) -> SendOutcome:
    return SendOutcome(
        sent=report.sent, failed=report.failed, pending=report.pending, in_doubt=report.in_doubt,
        busy=report.busy, errors=tuple(map(str, report.errors)), counts=counts_of(report), paused=report.paused,
        cancelled=report.cancelled,
    )


def uses_queue(runtime: Runtime) -> bool:
    """Whether ``[workers] queue`` is on; a ConfigError naming the key when the store cannot queue."""
    if not runtime.settings.workers.queue:
        return False
    if not runtime.settings.store_url.lower().startswith(("postgres://", "postgresql")):
        raise ConfigError("[workers] queue = true needs a PostgreSQL store ([store] url = \"postgresql://…\"); "
                          "with SQLite set [workers] queue = false: `syndication run` sends by itself")
    return True


def queued_jobs(jobs: Jobs, deferrals: Deferrals) -> Jobs:
    """``jobs`` with sends, partner pushes and webhooks deferred to the job queue (``syndication worker`` runs them)."""

    def defer(deferral: Callable[[], int]) -> Callable[[], WorkOutcome]:
        def run() -> WorkOutcome:
            deferral()
            # No counts: deferring is not news, so job_runs records these runs only when they fail.
            return WorkOutcome()

        return run

    return dataclasses.replace(
        jobs,
        queue_send=deferrals.send,
        deliver_webhooks=defer(deferrals.webhooks),
        deliver_partner_pushes=defer(deferrals.partner_pushes),
    )


def real_jobs(runtime: Runtime, deferrals: Deferrals | None = None) -> Jobs:
    """The project's functions for ``runtime``, as the scheduler calls them.

    With ``[workers] queue`` the scheduler's composition root (``syndication run``) passes ``deferrals``
    (:class:`syndication.scheduler.queue.Deferrer`): sends, pushes and webhooks are then deferred to the
    workers. Without, everything runs here (``status`` and ``/healthz`` only read which jobs exist).
    """
    uses_queue(runtime)  # a queue asked of a SQLite store is a configuration error wherever the jobs are built
    jobs = local_jobs(runtime)
    return queued_jobs(jobs, deferrals) if deferrals is not None else jobs


def local_jobs(runtime: Runtime) -> Jobs:
    """The project's functions for ``runtime``, all run in the scheduler's process."""
    app = App(runtime)

    def collect() -> CollectOutcome:
        # The partners' version log hears of every collect (item versions, kills, embargoes lifted).
        report = run_collect(runtime.settings, ArticleStore(runtime.engine), runtime.clock,
                             listener=version_log(runtime))
        # A broken input is counted (and logged by collect); a source that could not be read at
        # all makes the run a failure.
        unavailable = tuple(str(error) for error in report.errors if isinstance(error, SourceUnavailable))
        return CollectOutcome(report.changed, counts_of(report), unavailable)

    def send(edition_id: str, slot: str, stop: threading.Event) -> SendOutcome:
        # send_edition checks ``stop`` between batches: a stop request lets the current batch
        # finish and be recorded, and the rest goes out when the slot is resumed.
        return send_outcome(send_edition(runtime, edition_id, slot, stop=stop))

    def publish_feeds() -> WorkOutcome:
        # The folder or the bucket of [publish] url, chosen by the composition root.
        return WorkOutcome(counts_of(build_and_publish(runtime.settings, runtime.engine,
                                                       writer=public_writer(runtime.settings))))

    def reader_zones(name: str) -> list[str]:
        # Reading zones hashes no address: the store needs no secret key for it.
        return SubscriberStore(runtime.engine).reader_zones(runtime.settings.edition(name).audience)

    return Jobs(
        collect=collect,
        publish_feeds=publish_feeds,
        build_edition=lambda name: edition_ref(build_edition(runtime, name)),
        latest_edition=lambda name: edition_ref(latest_edition(runtime.engine, name)),
        reader_zones=reader_zones,
        edition_of=lambda name, day: edition_ref(get_edition(runtime.engine, edition_id(name, day))),
        send_edition=send,
        deliver_webhooks=lambda: WorkOutcome(counts_of(app.deliver_webhooks())),
        poll_inbound=lambda: WorkOutcome(counts_of(app.poll_inbound())),
        deliver_partner_pushes=lambda: WorkOutcome(counts_of(deliver_partner_pushes(runtime))),
    )
