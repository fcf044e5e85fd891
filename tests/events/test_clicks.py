"""Clicks without surveillance: signed first-party redirects, counted per edition, article and variant."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.app.editions import build_edition
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.delivery.places import recipients_by_slot
from syndication.digest.edition_store import edition_articles
from syndication.digest.personalize import EditionMailer
from syndication.events.report import build_reports
from syndication.events.tables import send_events
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import live_server, make_article
from syndication.web import create_app

from .helpers import SECRET

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
_LINK = re.compile(r'href="(https?://[^"]+/r/[^"]+)"')


def _runtime(settings: Settings, **tracking: bool) -> Runtime:
    configured = settings.model_copy(update={"tracking": settings.tracking.model_copy(update=tracking)})
    return Runtime(settings=configured, secrets=Secrets(secret_key=SECRET), clock=FixedClock(NOW))


@pytest.fixture
def tracked(settings: Settings) -> Iterator[Runtime]:
    runtime = _runtime(settings, clicks=True)
    for number in (1, 2):
        ArticleStore(runtime.engine).upsert(make_article(number), NOW)
    SubscriberStore(runtime.engine, SECRET).add("anna@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    yield runtime
    runtime.close()


def _mailer(runtime: Runtime) -> tuple[EditionMailer, str]:
    edition = build_edition(runtime, "daily", publish=False)
    assert edition is not None
    return App(runtime).edition_mailer(edition, edition_articles(runtime.engine, edition), slot="06:00"), edition.id


def _path(url: str, site: str) -> str:
    return url.removeprefix(site.rstrip("/"))


def test_links_go_through_the_redirect_and_each_click_counts(tracked: Runtime) -> None:
    """Article links become /r/<token> (shared by the variant); a click redirects to the article and is counted."""
    mailer, edition_id = _mailer(tracked)
    body = mailer.body("all")
    links = sorted(set(_LINK.findall(body.html)))
    site = tracked.settings.site.url
    assert 2 == len(links)
    assert make_article(1).url not in body.html
    with live_server(create_app(tracked)) as base_url:
        answers = [httpx.get(base_url + _path(link, site), follow_redirects=False) for link in links + links[:1]]
    assert [302, 302, 302] == [answer.status_code for answer in answers]
    assert {make_article(1).url, make_article(2).url} == {answer.headers["location"] for answer in answers}
    with tracked.engine.connect() as connection:
        edition, slots = build_reports(connection, edition_id, recipients_by_slot(connection, edition_id))
        stored = connection.execute(select(send_events.c.subscriber_id, send_events.c.variant)).all()
    assert (3, ["06:00"]) == (edition.counts["clicks"], list(slots))
    assert [2, 1] == sorted((item.clicks for item in edition.clicks_by_article), reverse=True)
    assert {(None, "all")} == set(stored)


def test_forged_or_expired_links_never_redirect_elsewhere(tracked: Runtime) -> None:
    """A changed token is 404 (no open redirect); an expired one leads to the front page and counts nothing."""
    mailer, _ = _mailer(tracked)
    link = _path(_LINK.findall(mailer.body("all").html)[0], tracked.settings.site.url)
    with live_server(create_app(tracked)) as base_url:
        forged = httpx.get(f"{base_url}{link[:-3]}abc", follow_redirects=False)
        elsewhere = httpx.get(f"{base_url}/r/https%3A%2F%2Fevil.example%2F", follow_redirects=False)
        tracked.clock.advance(timedelta(days=tracked.settings.tracking.link_days + 1))  # type: ignore[attr-defined]
        expired = httpx.get(base_url + link, follow_redirects=False)
    assert (404, 404) == (forged.status_code, elsewhere.status_code)
    assert (302, tracked.settings.site.url) == (expired.status_code, expired.headers["location"])
    with tracked.engine.connect() as connection:
        assert [] == connection.execute(select(send_events.c.id)).all()


def test_per_subscriber_clicks_are_personal_and_erased_with_the_subscriber(settings: Settings) -> None:
    """With per_subscriber the link names the reader (through the personal placeholders); erasure forgets it."""
    runtime = _runtime(settings, clicks=True, per_subscriber=True)
    try:
        ArticleStore(runtime.engine).upsert(make_article(1), NOW)
        anna = SubscriberStore(runtime.engine, SECRET).add("anna@example.org", now=NOW,
                                                             status=SubscriberStatus.ACTIVE)
        mailer, _ = _mailer(runtime)
        recipient = mailer.recipient(anna)
        shared = mailer.body("all").html
        personal = shared
        for placeholder, value in recipient.substitutions.items():
            personal = personal.replace(placeholder, value)
        link = _path(_LINK.findall(personal)[0], runtime.settings.site.url)
        with live_server(create_app(runtime)) as base_url:
            assert 302 == httpx.get(base_url + link, follow_redirects=False).status_code
        with runtime.engine.connect() as connection:
            before = connection.execute(select(send_events.c.subscriber_id)).scalars().all()
        App(runtime).subscription_service().forget("anna@example.org")
        with runtime.engine.connect() as connection:
            after = connection.execute(select(send_events.c.subscriber_id)).scalars().all()
    finally:
        runtime.close()
    assert not _LINK.findall(shared)
    assert ([anna.id], [None]) == (before, after)


def test_tracking_off_leaves_links_alone(settings: Settings) -> None:
    """By default (tracking off) the digest links straight to the article."""
    runtime = _runtime(settings)
    try:
        ArticleStore(runtime.engine).upsert(make_article(1), NOW)
        mailer, _ = _mailer(runtime)
        html = mailer.body("all").html
    finally:
        runtime.close()
    assert ([], True) == (_LINK.findall(html), make_article(1).url in html)


def test_text_report_shows_rates_and_marks_opens(settings: Settings) -> None:
    """The text report has a rate beside each count; with opens on it warns they are inflated."""
    from syndication.events.report import render_text
    from syndication.events.store import EventStore
    from syndication.mail.events import EventKind, SendEvent

    runtime = _runtime(settings, opens=True)
    try:
        store = EventStore(runtime.engine)
        events = [SendEvent("sendgrid", f"d{n}", EventKind.DELIVERED, NOW, edition_id="e1", subscriber_id=n)
                  for n in range(4)]
        events.append(SendEvent("sendgrid", "o1", EventKind.OPEN, NOW, edition_id="e1", subscriber_id=1))
        store.record(events, NOW)
        with runtime.engine.connect() as connection:
            edition, slots = build_reports(connection, "e1", {"": (4, 4)}, opens=True)
        text = "\n".join(render_text(edition, slots))
    finally:
        runtime.close()
    assert "100.00%" in text and "opens*" in text and "Apple Mail Privacy Protection" in text
    assert json.loads(json.dumps(edition.as_json()))["delivered"] == 4
