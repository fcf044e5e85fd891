"""Slots in the readers' own zones (``slot_zone = "reader"``), end to end on the real store and ledgers.

The schedule is stepped by the Ticker (the plan's real triggers, misfire grace, start-up catch-up) on a
FixedClock; the jobs are the project's own (build, send through the delivery ledger to the outbox), with a
new article stored each night instead of a collect. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from subscribers.store import SubscriberStore
from subscribers.tables import subscribers
from syndication.clock import FixedClock
from syndication.config import NewsletterConfig, Settings
from syndication.console.sends import SendControl
from syndication.delivery.tables import delivery_batches, delivery_recipients, delivery_runs
from syndication.runtime import Runtime
from syndication.scheduler.bound import local_jobs
from syndication.scheduler.jobs import CollectOutcome, Jobs
from syndication.scheduler.ledger import SendKey, SendLedger
from syndication.scheduler.plan import build_plan
from syndication.scheduler.service import SchedulerService
from syndication.scheduler.testing import Ticker
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine
from syndication.subscriber import SubscriberStatus
from syndication.testing import make_article

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
MORGEN = NewsletterConfig(name="morgen", title="Der Morgen", slots=("06:00",), slot_zone="reader")
ABEND = NewsletterConfig(name="abend", title="Der Abend", slots=("18:00",))


@pytest.fixture(params=["sqlite", "postgres"])
def zoned_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Settings with a reader-zone newsletter (morgen, 06:00) and a site-zone one (abend, 18:00)."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = settings.model_copy(update={"store": settings.store.model_copy(update={"url": url})})
    open_engine(settings.store_url).dispose()  # migrated once
    return settings.model_copy(update={"digest": settings.digest.model_copy(update={"editions": (MORGEN, ABEND)})})


class Newsroom:
    """The real jobs on a fixed clock; one new article a night instead of a collect."""

    def __init__(self, settings: Settings, start: datetime) -> None:
        self.clock = FixedClock(start)
        self.runtime = Runtime(settings=settings, clock=self.clock)
        self.store = SubscriberStore(self.runtime.engine, self.runtime.secrets.require_secret_key())
        self.jobs: Jobs = dataclasses.replace(local_jobs(self.runtime), collect=lambda: CollectOutcome(False))
        self.articles = 0

    def service(self) -> SchedulerService:
        """A scheduler as a (re)started process builds it."""
        return SchedulerService(self.runtime, self.jobs, build_plan(self.runtime.settings))

    def reader(self, email: str, zone: str | None, newsletters: tuple[str, ...] = ("morgen",)) -> int:
        added = self.store.add(
            email, now=self.clock.now(), status=SubscriberStatus.ACTIVE, newsletters=newsletters, timezone=zone
        )
        return added.id

    def new_article(self) -> None:
        self.articles += 1
        ArticleStore(self.runtime.engine).upsert(make_article(self.articles), self.clock.now())

    def run_days(self, ticker: Ticker, first: date, days: int) -> None:
        """From the site's midnight of ``first`` on, ``days`` days: an article at each midnight, then the schedule."""
        for offset in range(days):
            day = first + timedelta(days=offset)
            self.clock.set(datetime.combine(day, time(0, 0), tzinfo=BERLIN))
            self.new_article()
            ticker.run_until(datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=BERLIN))

    def received(self) -> dict[str, list[tuple[str, datetime]]]:
        """Address → (edition id, sent at) of every message sent, oldest first."""
        query = (
            select(delivery_recipients.c.email, delivery_recipients.c.edition_id, delivery_recipients.c.sent_at)
            .join(delivery_batches, delivery_batches.c.id == delivery_recipients.c.batch_id)
            .join(delivery_runs, delivery_runs.c.id == delivery_batches.c.run_id)
            .where(delivery_recipients.c.status == "sent")
            .order_by(delivery_recipients.c.sent_at)
        )
        found: dict[str, list[tuple[str, datetime]]] = {}
        with self.runtime.engine.connect() as connection:
            for row in connection.execute(query):
                found.setdefault(row.email, []).append((row.edition_id, row.sent_at))
        return found

    def close(self) -> None:
        self.runtime.close()


@pytest.fixture
def newsroom(zoned_settings: Settings) -> Iterator[Newsroom]:
    # The Thursday before the EU's (25 October) and the US's (1 November) return to standard time.
    created = Newsroom(zoned_settings, datetime(2026, 10, 22, 22, 0, tzinfo=UTC))
    yield created
    created.close()


def local_sends(sends: list[tuple[str, datetime]], zone: ZoneInfo) -> list[tuple[str, str]]:
    """(edition id, local date and time to the minute) of each send, in ``zone``."""
    return [(edition, sent.astimezone(zone).strftime("%Y-%m-%d %H:%M")) for edition, sent in sends]


def expected(zone_days: list[date], lag: int) -> list[tuple[str, str]]:
    return [(f"morgen-{(day - timedelta(days=lag)).isoformat()}", f"{day.isoformat()} 06:00") for day in zone_days]


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]


def test_each_reader_gets_one_mail_a_day_at_six_in_their_zone_across_both_dst_changes(newsroom: Newsroom) -> None:
    """Over eleven days spanning the EU's and the US's DST change, Berlin, New York and Tokyo readers each get
    every edition once at 06:00 on their own clock; Tokyo, whose 06:00 comes before Berlin's build, a day later.
    Readers without a zone, or with one naming no zone, get it at the site's 06:00."""
    addresses = {
        "berlin@example.org": "Europe/Berlin",
        "ny@example.org": "America/New_York",
        "tokyo@example.org": "Asia/Tokyo",
        "ohne@example.org": None,
        "mars@example.org": None,
    }
    for address, zone in addresses.items():
        newsroom.reader(address, zone)
    with newsroom.runtime.engine.begin() as connection:
        # Written around the store's check, as an old import could have: read as the site's zone.
        connection.execute(
            update(subscribers).where(subscribers.c.email == "mars@example.org").values(timezone="Mars/Olympus_Mons")
        )
    ticker = Ticker(newsroom.service(), newsroom.clock)
    newsroom.run_days(ticker, date(2026, 10, 23), 11)
    received = newsroom.received()
    site_days = days_from(date(2026, 10, 23), 11)
    assert expected(site_days, 0) == local_sends(received["berlin@example.org"], BERLIN)
    assert expected(site_days, 0) == local_sends(received["ohne@example.org"], BERLIN)
    assert expected(site_days, 0) == local_sends(received["mars@example.org"], BERLIN)
    assert expected(site_days, 0) == local_sends(received["ny@example.org"], NEW_YORK)
    assert expected(days_from(date(2026, 10, 24), 11), 1) == local_sends(received["tokyo@example.org"], TOKYO)


def test_each_zone_has_its_own_key_in_the_ledger(newsroom: Newsroom) -> None:
    """A day's edition is claimed once per zone: the site's under the plain slot, the others with their zone."""
    newsroom.reader("ny@example.org", "America/New_York")
    newsroom.reader("tokyo@example.org", "Asia/Tokyo")
    ticker = Ticker(newsroom.service(), newsroom.clock)
    newsroom.run_days(ticker, date(2026, 10, 23), 2)
    records = SendLedger(newsroom.runtime.engine).for_date("morgen", date(2026, 10, 23))
    assert [("06:00", "sent", 0), ("06:00 America/New_York", "sent", 1), ("06:00 Asia/Tokyo", "sent", 1)] == [
        (record.key.slot, record.status.value, record.sent) for record in records
    ]


def test_a_newsletter_in_the_site_zone_ignores_the_readers_zones(newsroom: Newsroom) -> None:
    """A New York reader of a site-zone newsletter gets it at 18:00 Berlin, under the plain slot, as before."""
    newsroom.reader("ny@example.org", "America/New_York", ("abend",))
    ticker = Ticker(newsroom.service(), newsroom.clock)
    newsroom.run_days(ticker, date(2026, 10, 23), 2)
    sends = newsroom.received()["ny@example.org"]
    assert [("abend-2026-10-23", "2026-10-23 18:00"), ("abend-2026-10-24", "2026-10-24 18:00")] == local_sends(
        sends, BERLIN
    )
    slots = [record.key.slot for record in SendLedger(newsroom.runtime.engine).for_date("abend", date(2026, 10, 23))]
    assert ["18:00"] == slots


def test_unsubscribed_and_suppressed_readers_in_other_zones_get_nothing(newsroom: Newsroom) -> None:
    """A Tokyo reader who left the newsletter, one who unsubscribed from everything and a New York reader
    whose address bounced get nothing; the reader next to them does."""
    left = newsroom.reader("left@example.org", "Asia/Tokyo")
    gone = newsroom.reader("gone@example.org", "Asia/Tokyo")
    bounced = newsroom.reader("bounced@example.org", "America/New_York")
    newsroom.reader("stays@example.org", "Asia/Tokyo")
    now = newsroom.clock.now()
    newsroom.store.end_subscriptions(left, now=now, reason="one-click", newsletters=("morgen",))
    newsroom.store.set_status(gone, SubscriberStatus.UNSUBSCRIBED, now=now, reason="one-click")
    newsroom.store.set_status(bounced, SubscriberStatus.BOUNCED, now=now, reason="bounced")
    ticker = Ticker(newsroom.service(), newsroom.clock)
    newsroom.run_days(ticker, date(2026, 10, 23), 3)
    assert {"stays@example.org"} == set(newsroom.received())


def test_a_zone_slot_missed_by_a_restart_is_made_up_once(zoned_settings: Settings) -> None:
    """Down from 11:30 to 12:40 Berlin across New York's 06:00 (12:00 Berlin): the restarted scheduler sends it
    at once, late but within the grace, and neither it nor a later restart sends it again."""
    newsroom = Newsroom(zoned_settings, datetime(2026, 11, 24, 0, 0, tzinfo=BERLIN))
    try:
        newsroom.reader("ny@example.org", "America/New_York")
        newsroom.reader("berlin@example.org", "Europe/Berlin")
        newsroom.new_article()
        Ticker(newsroom.service(), newsroom.clock).run_until(datetime(2026, 11, 24, 11, 30, tzinfo=BERLIN))
        newsroom.clock.set(datetime(2026, 11, 24, 12, 40, tzinfo=BERLIN))
        Ticker(newsroom.service(), newsroom.clock).run_until(datetime(2026, 11, 24, 16, 0, tzinfo=BERLIN))
        newsroom.clock.set(datetime(2026, 11, 24, 16, 5, tzinfo=BERLIN))
        Ticker(newsroom.service(), newsroom.clock).run_until(datetime(2026, 11, 25, 0, 0, tzinfo=BERLIN))
        received = newsroom.received()
    finally:
        newsroom.close()
    assert [("morgen-2026-11-24", "2026-11-24 06:00")] == local_sends(received["berlin@example.org"], BERLIN)
    assert [("morgen-2026-11-24", "2026-11-24 06:40")] == local_sends(received["ny@example.org"], NEW_YORK)


def test_pausing_a_slot_in_the_console_pauses_its_zones_sends_too(newsroom: Newsroom) -> None:
    """The console's pause of the 06:00 slot reaches the runs of 06:00 in every reader zone."""
    now = newsroom.clock.now()
    with newsroom.runtime.engine.begin() as connection:
        for label in ("06:00", "06:00 Asia/Tokyo", "06:00 America/New_York"):
            connection.execute(
                insert(delivery_runs).values(
                    edition_id="morgen-2026-10-23",
                    slot=label,
                    status="ready",
                    backend="outbox",
                    created_at=now,
                    skipped_at_planning=0,
                )
            )
    paused = SendControl(newsroom.runtime).pause("morgen-2026-10-23", ("06:00",), "paused in the console")
    assert ["06:00", "06:00 America/New_York", "06:00 Asia/Tokyo"] == paused


def _wait_idle(control: SendControl, edition: str, slot: str) -> None:
    """Until the console's send thread of (edition, slot) has ended (it sends from the outbox at once)."""
    deadline = time_module.monotonic() + 60
    while control.running(edition, slot):
        assert time_module.monotonic() < deadline, "the send did not finish"
        time_module.sleep(0.05)


def _site_zone_sent(newsroom: Newsroom) -> Ticker:
    """Readers in Berlin (the site's zone), New York and Tokyo, one new article, and the clock run to 07:00 in
    Berlin: the site's 06:00 has gone out, New York's and Tokyo's sends of the day have not started."""
    for address, zone in (("berlin@example.org", "Europe/Berlin"), ("ny@example.org", "America/New_York"),
                          ("tokyo@example.org", "Asia/Tokyo")):
        newsroom.reader(address, zone)
    newsroom.new_article()
    ticker = Ticker(newsroom.service(), newsroom.clock)
    ticker.run_until(datetime(2026, 11, 24, 7, 0, tzinfo=BERLIN))
    return ticker


def test_cancelling_an_edition_stops_its_zone_sends_not_started_for_good(zoned_settings: Settings) -> None:
    """Cancelled after the site's 06:00 went out, the day's edition goes to no New York or Tokyo reader: not at
    their 06:00, not after a resume, not by a scheduler retry; the next day's edition reaches everyone."""
    newsroom = Newsroom(zoned_settings, datetime(2026, 11, 24, 0, 0, tzinfo=BERLIN))
    control = SendControl(newsroom.runtime)
    try:
        ticker = _site_zone_sent(newsroom)
        cancelled = control.cancel("morgen-2026-11-24", ("06:00",), "cancelled in the console")
        assert [] == control.resume("morgen-2026-11-24")
        ticker.run_until(datetime(2026, 11, 25, 0, 0, tzinfo=BERLIN))
        newsroom.new_article()
        ticker.run_until(datetime(2026, 11, 26, 0, 0, tzinfo=BERLIN))
        received = {address: [edition for edition, _ in sends] for address, sends in newsroom.received().items()}
        records = SendLedger(newsroom.runtime.engine).for_date("morgen", date(2026, 11, 24))
    finally:
        control.close()
        newsroom.close()
    assert ["06:00 America/New_York", "06:00 Asia/Tokyo"] == cancelled
    assert {
        "berlin@example.org": ["morgen-2026-11-24", "morgen-2026-11-25"],
        "ny@example.org": ["morgen-2026-11-25"],
        "tokyo@example.org": ["morgen-2026-11-25"],
    } == received
    assert [
        ("06:00", "sent", None),
        ("06:00 America/New_York", "skipped", "cancelled: cancelled in the console"),
        ("06:00 Asia/Tokyo", "skipped", "cancelled: cancelled in the console"),
    ] == [(record.key.slot, record.status.value, record.detail) for record in records]


def test_pausing_an_edition_holds_its_zone_sends_not_started_until_resumed(zoned_settings: Settings) -> None:
    """Paused after the site's 06:00, the edition is held from New York's 06:00 (12:00 in Berlin); resumed at
    14:00 it goes to New York at once, and to Tokyo at its own 06:00; each reader gets it once."""
    newsroom = Newsroom(zoned_settings, datetime(2026, 11, 24, 0, 0, tzinfo=BERLIN))
    control = SendControl(newsroom.runtime)
    try:
        ticker = _site_zone_sent(newsroom)
        paused = control.pause("morgen-2026-11-24", ("06:00",), "paused in the console")
        ticker.run_until(datetime(2026, 11, 24, 14, 0, tzinfo=BERLIN))
        held = {address: len(sends) for address, sends in newsroom.received().items()}
        ny_key = SendLedger(newsroom.runtime.engine).get(
            SendKey("morgen", date(2026, 11, 24), "06:00 America/New_York")
        )
        resumed = control.resume("morgen-2026-11-24")
        _wait_idle(control, "morgen-2026-11-24", "06:00 America/New_York")
        ticker.run_until(datetime(2026, 11, 25, 0, 0, tzinfo=BERLIN))
        received = newsroom.received()
    finally:
        control.close()
        newsroom.close()
    assert ["06:00 America/New_York", "06:00 Asia/Tokyo"] == paused
    assert {"berlin@example.org": 1} == held
    assert ny_key is not None
    assert ("failed", "paused: paused in the console") == (ny_key.status.value, ny_key.detail)
    assert ["06:00 America/New_York"] == resumed
    assert [("morgen-2026-11-24", "2026-11-24 14:00")] == local_sends(received["ny@example.org"], BERLIN)
    assert [("morgen-2026-11-24", "2026-11-25 06:00")] == local_sends(received["tokyo@example.org"], TOKYO)
    assert [("morgen-2026-11-24", "2026-11-24 06:00")] == local_sends(received["berlin@example.org"], BERLIN)


def test_readers_stored_under_an_alias_share_their_zones_send(newsroom: Newsroom) -> None:
    """Readers stored (before names were made current) as "US/Eastern", "Asia/Calcutta" or "Europe/Berlin "
    go with "America/New_York", "Asia/Kolkata" and the site's zone: one send per zone, each reader's mail at
    06:00 on their clock."""
    addresses = {
        "ny@example.org": "America/New_York",
        "eastern@example.org": "America/New_York",
        "kolkata@example.org": "Asia/Kolkata",
        "calcutta@example.org": "Asia/Kolkata",
        "berlin@example.org": "Europe/Berlin",
    }
    for address, zone in addresses.items():
        newsroom.reader(address, zone)
    with newsroom.runtime.engine.begin() as connection:
        # Stored as an older release (or an import around the store) left them: the names are not made current.
        for address, alias in (("eastern@example.org", "US/Eastern"), ("calcutta@example.org", "Asia/Calcutta"),
                               ("berlin@example.org", "Europe/Berlin ")):
            connection.execute(update(subscribers).where(subscribers.c.email == address).values(timezone=alias))
    ticker = Ticker(newsroom.service(), newsroom.clock)
    newsroom.run_days(ticker, date(2026, 10, 23), 2)
    records = SendLedger(newsroom.runtime.engine).for_date("morgen", date(2026, 10, 23))
    received = newsroom.received()
    kolkata = ZoneInfo("Asia/Kolkata")
    assert [("06:00", 1), ("06:00 America/New_York", 2), ("06:00 Asia/Kolkata", 2)] == [
        (record.key.slot, record.sent) for record in records
    ]
    assert [("morgen-2026-10-23", "2026-10-23 06:00")] == local_sends(received["berlin@example.org"], BERLIN)[:1]
    for address in ("ny@example.org", "eastern@example.org"):
        assert [("morgen-2026-10-23", "2026-10-23 06:00")] == local_sends(received[address], NEW_YORK)[:1]
    for address in ("kolkata@example.org", "calcutta@example.org"):
        assert [("morgen-2026-10-23", "2026-10-24 06:00")] == local_sends(received[address], kolkata)[:1]
