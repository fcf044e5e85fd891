"""Collect: read every configured source and upsert what changed into the store."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from syndication.clock import Clock
from syndication.config import Settings
from syndication.errors import SourceUnavailable, SyndicationError
from syndication.sources import build_sources
from syndication.sources.base import Failed, Fetched, Source, SourceContext, Unchanged
from syndication.store.articles import ArticleStore, Outcome

log = logging.getLogger(__name__)

# Upserts are committed in chunks: one transaction per chunk keeps a large first collect
# fast without holding one transaction for minutes.
CHUNK = 500


class ChangeListener(Protocol):
    """Told after every collect (the partners record their item versions): ``notes`` are the sources'
    editorial notes by article id. Declared here so that the sources import no listener."""

    def articles_changed(self, notes: Mapping[str, str]) -> None: ...


@dataclass
class CollectReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[SyndicationError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retracted)

    @property
    def changed_ids(self) -> list[str]:
        return [*self.created, *self.updated, *self.retracted]

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def summary(self) -> str:
        return (
            f"{len(self.created)} new, {len(self.updated)} updated, {len(self.retracted)} retracted, "
            f"{self.unchanged} unchanged, {len(self.errors)} error{'' if len(self.errors) == 1 else 's'}"
        )

    def record(self, article_id: str, outcome: Outcome) -> None:
        if outcome == Outcome.CREATED:
            self.created.append(article_id)
        elif outcome == Outcome.UPDATED:
            self.updated.append(article_id)
        elif outcome == Outcome.RETRACTED:
            self.retracted.append(article_id)
        else:
            self.unchanged += 1


def collect_source(
    source: Source,
    store: ArticleStore,
    settings: Settings,
    clock: Clock,
    report: CollectReport,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
    notes: dict[str, str] | None = None,
) -> None:
    """Collect one source into ``report``; the editorial notes it gives go into ``notes`` (by article id)."""
    now = clock.now()
    context = SourceContext(
        known=store.fingerprints(source.name),
        now=now,
        site=settings.site,
        anatomy=settings.anatomy,
        max_article_bytes=settings.collect.max_article_bytes,
    )
    seen: set[str] = set()
    pending: list[tuple] = []

    def flush() -> None:
        for article_id, outcome in store.upsert_many(pending, now).items():
            report.record(article_id, outcome)
        pending.clear()

    try:
        for event in source.collect(context):
            progress(1, None)
            if isinstance(event, Fetched):
                seen.add(event.article.external_id)
                pending.append((event.article, event.fingerprint))
                if event.note and notes is not None:
                    notes[event.article.id] = event.note
                if len(pending) >= CHUNK:
                    flush()
            elif isinstance(event, Unchanged):
                seen.add(event.external_id)
                report.unchanged += 1
            elif isinstance(event, Failed):
                seen.add(event.external_id)
                report.errors.append(event.error)
                # The report carries the error to the caller, which shows it; the log keeps a trace.
                log.info("collect: %s", event.error)
    except SourceUnavailable as exc:
        flush()
        report.errors.append(exc)
        log.info("collect: %s", exc)
        return
    flush()
    if source.complete:
        gone = [
            article_id for external, article_id in store.ids_by_external(source.name).items() if external not in seen
        ]
        report.retracted.extend(store.retract(gone, now))


def collect_all(
    sources: Iterable[Source],
    store: ArticleStore,
    settings: Settings,
    clock: Clock,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
    listener: ChangeListener | None = None,
) -> CollectReport:
    """Collect every source; a failing source or input never stops the others.

    ``progress(1, None)`` is called for each item a source yields (the total is not known ahead);
    ``listener`` hears of the collect when it is done (also when nothing changed: time moves on).
    """
    report = CollectReport()
    notes: dict[str, str] = {}
    for source in sources:
        collect_source(source, store, settings, clock, report, progress, notes)
    log.info("collect: %s", report.summary())
    if listener is not None:
        listener.articles_changed(notes)
    return report


def run_collect(
    settings: Settings,
    store: ArticleStore,
    clock: Clock,
    sources: Sequence[Source] | None = None,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
    listener: ChangeListener | None = None,
) -> CollectReport:
    """Collect from the configured sources (or the given ones); ``listener`` hears of it when done."""
    if sources is None:
        sources = build_sources(settings)
    return collect_all(sources, store, settings, clock, progress, listener)
