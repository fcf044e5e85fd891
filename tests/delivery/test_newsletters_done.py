"""Issue 16's "done when", the part tests/subscribers/test_newsletters.py leaves to the schedule: a special edition
goes out at once and the next regular edition still goes out on time, sent by the scheduler's own slot job
through the real ledger (SQLite and, where reachable, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from newsroom import newsroom_runtime
from sqlalchemy import Engine, select

from subscribers.model import SubscriberStatus
from syndication.app import App
from syndication.app.editions import send_special
from syndication.clock import FixedClock
from syndication.config import ArticleFilter, NewsletterConfig, Settings
from syndication.delivery.tables import delivery_recipients
from syndication.runtime import Runtime
from syndication.scheduler.bound import local_jobs
from syndication.scheduler.plan import build_plan
from syndication.scheduler.service import SchedulerService
from syndication.scheduler.testing import Ticker
from syndication.testing import make_article

BERLIN = ZoneInfo("Europe/Berlin")
POLITIK = make_article(1, categories=("Politik",), regions=("Mainz",))
SPORT = make_article(2, categories=("Sport",), regions=("Kaiserslautern",))


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def newsroom(settings: Settings, any_engine: Engine) -> Iterator[Runtime]:
    """Three newsletters with overlapping selections (morgen: all; fck: sport; eilmeldung: specials only), two
    articles stored, the clock at 05:10 in Berlin."""
    newsletters = (
        NewsletterConfig(name="morgen", title="Der Morgen", slots=("06:00",)),
        NewsletterConfig(name="fck", title="FCK", slots=("07:00",), include=ArticleFilter(categories=("Sport",))),
        NewsletterConfig(name="eilmeldung", title="Eilmeldung", schedule="none"),
    )
    yield newsroom_runtime(settings, any_engine, FixedClock(local(5, 10)), newsletters, (POLITIK, SPORT))


def _sent(runtime: Runtime) -> dict[tuple[str, str], datetime]:
    """(edition, address) → when the ledger recorded it sent."""
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(delivery_recipients.c.edition_id, delivery_recipients.c.email, delivery_recipients.c.sent_at).where(
                delivery_recipients.c.status == "sent"
            )
        )
        return {(row.edition_id, row.email): row.sent_at.astimezone(BERLIN) for row in rows}


def test_a_special_goes_out_at_once_and_the_regular_editions_on_time(newsroom: Runtime) -> None:
    """A special sent at 05:10 reaches its readers at 05:10; the scheduler still sends morgen at 06:00 and fck at
    07:00 to their readers, each reader only the newsletters they subscribed to."""
    store = App(newsroom).subscriber_store()
    now = newsroom.clock.now()
    for address, names in (("eil@example.org", ("eilmeldung", "morgen")), ("fan@example.org", ("fck",))):
        store.add(address, now=now, status=SubscriberStatus.ACTIVE, newsletters=names)
    special, report = send_special(newsroom, "eilmeldung", [SPORT.id], echo=lambda _line: None)
    assert 1 == report.sent
    clock = newsroom.clock
    assert isinstance(clock, FixedClock)
    service = SchedulerService(newsroom, local_jobs(newsroom), build_plan(newsroom.settings))
    Ticker(service, clock).run_until(local(8))
    assert {
        (special.id, "eil@example.org"): local(5, 10),
        ("morgen-2026-11-24", "eil@example.org"): local(6),
        ("fck-2026-11-24", "fan@example.org"): local(7),
    } == _sent(newsroom)
