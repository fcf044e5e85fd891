"""The partners' version log: usable, withheld then lifted, canceled with the source's note; the ninjs of each."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import Engine, event

from syndication.clock import FixedClock
from syndication.config import Settings, SourceConfig
from syndication.partners.ninjs import to_ninjs
from syndication.partners.versions import VersionLog
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

from .helpers import default_terms, schema_errors

KILLED = """---
id: falschmeldung
title: Brand in der Altstadt
published: 2026-11-24T05:30:00+01:00
status: {status}
{note}---
Ein Brand in der Altstadt …
"""


def test_versions_count_per_article_and_carry_status(engine: Engine, clock: FixedClock) -> None:
    """Each stored change is one more version of its article; a retraction is canceled."""
    store, log = ArticleStore(engine), VersionLog(engine, clock)
    store.upsert(make_article(1), clock.now())
    store.upsert(make_article(2), clock.now())
    store.upsert(make_article(1, title="Korrigiert"), clock.now())
    store.retract([make_article(1).id], clock.now())
    assert 4 == log.sync()
    assert 0 == log.sync()
    assert [("artikel-1", 1, "usable"), ("artikel-2", 1, "usable"), ("artikel-1", 2, "usable"),
            ("artikel-1", 3, "canceled")] == [
        (v.article.external_id, v.version, v.pub_status) for v in log.since(0, 10)
    ]


def test_future_article_is_withheld_until_its_time_then_usable(
    engine: Engine, clock: FixedClock, ninjs_validator: Draft202012Validator
) -> None:
    """An article published in the future is a withheld version without content; once its time has come the
    next sync records the same content as the next, usable version ("embargo lifted")."""
    store, log = ArticleStore(engine), VersionLog(engine, clock)
    later = clock.now() + timedelta(hours=1)
    store.upsert(make_article(1, published=later, updated=later), clock.now())
    log.sync()
    withheld = log.since(0, 10)
    item = to_ninjs(withheld[0].article, default_terms(), withheld[0])
    assert ("withheld", "2026-11-24T06:00:00Z", False) == (item["pubStatus"], item["embargoedUntil"], "bodies" in item)
    clock.advance(timedelta(minutes=59))
    assert 0 == log.sync()
    clock.advance(timedelta(minutes=1))
    assert 1 == log.sync()
    lifted = log.since(withheld[0].position, 10)
    item = to_ninjs(lifted[0].article, default_terms(), lifted[0])
    assert ("usable", "2", True) == (item["pubStatus"], item["version"], "bodies" in item)
    assert [] == schema_errors(ninjs_validator, item)


def test_withdrawn_in_front_matter_is_canceled_with_its_note(
    settings: Settings, engine: Engine, clock: FixedClock, tmp_path: Path, ninjs_validator: Draft202012Validator
) -> None:
    """``status: killed`` with a ``note`` in the front matter: a canceled version whose edNote is the note."""
    folder = tmp_path / "artikel"
    folder.mkdir()
    configured = settings.model_copy(update={"sources": (SourceConfig(name="r", type="folder", path=folder),)})
    store, log = ArticleStore(engine), VersionLog(engine, clock)
    path = folder / "brand.md"
    path.write_text(KILLED.format(status="published", note=""), encoding="utf-8")
    run_collect(configured, store, clock, listener=log)
    path.write_text(KILLED.format(status="killed", note="note: Falschmeldung, bitte sofort entfernen.\n"),
                    encoding="utf-8")
    clock.advance(timedelta(minutes=5))
    run_collect(configured, store, clock, listener=log)
    versions = log.since(0, 10)
    item = to_ninjs(versions[-1].article, default_terms(), versions[-1])
    assert [("1", "usable"), ("2", "canceled")] == [(str(v.version), v.pub_status) for v in versions]
    assert ("canceled", "Falschmeldung, bitte sofort entfernen.") == (item["pubStatus"], item["edNote"])
    assert [] == schema_errors(ninjs_validator, item)


def test_legacy_cursor_continues_after_its_revision(engine: Engine, clock: FixedClock) -> None:
    """A cursor of the first form (a revision id) continues after the versions of that revision."""
    store, log = ArticleStore(engine), VersionLog(engine, clock)
    for number in range(1, 4):
        store.upsert(make_article(number), clock.now())
    log.sync()
    second_revision = log.since(0, 10)[1]
    assert second_revision.position == log.position_after_revision(2)


def test_two_syncs_at_once_record_each_revision_once(any_engine: Engine, clock: FixedClock) -> None:
    """A sync that starts while another is between reading the watermark and reading the last versions
    (long-polling partners catching up together) records nothing twice: the second waits for the first."""
    store, log = ArticleStore(any_engine), VersionLog(any_engine, clock)
    store.upsert(make_article(1), clock.now())
    log.sync()
    store.upsert(make_article(2), clock.now())
    first_reading, second_done = threading.Event(), threading.Event()
    in_first = threading.local()

    def pause_first(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # After the first sync read its watermark: let the second run (as far as it can) before it goes on.
        if getattr(in_first, "sync", False) and "FROM article_revisions" in statement and "max(" not in statement:
            first_reading.set()
            second_done.wait(timeout=1)

    def first() -> int:
        in_first.sync = True
        return log.sync()

    event.listen(any_engine, "before_cursor_execute", pause_first)
    try:
        with ThreadPoolExecutor(1) as pool:
            recorded_first = pool.submit(first)
            first_reading.wait(timeout=10)
            recorded_second = log.sync()
            second_done.set()
            recorded = sorted([recorded_first.result(), recorded_second])
    finally:
        event.remove(any_engine, "before_cursor_execute", pause_first)
    assert ([0, 1], [("artikel-1", 1), ("artikel-2", 1)]) == (
        recorded, [(v.article.external_id, v.version) for v in log.since(0, 10)]
    )
