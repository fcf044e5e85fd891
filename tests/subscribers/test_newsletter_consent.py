"""Consent is sacred with several newsletters, on the real store (SQLite and PostgreSQL): nobody unsubscribed,
bounced, complained, erased or out of a newsletter gets its editions, its specials or a segment send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from newsroom import newsroom_runtime
from sqlalchemy import Engine

from subscribers.model import SubscriberStatus
from subscribers.segments import SegmentConditions, SegmentStore
from subscribers.store import BOUNCED, COMPLAINED
from syndication.app import App
from syndication.app.editions import build_edition, send_edition, send_special
from syndication.clock import FixedClock
from syndication.config import ArticleFilter, NewsletterConfig, Settings
from syndication.delivery.testing import RecordingMessenger
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

NAMES = ("morgen", "fck", "eilmeldung")


@pytest.fixture
def newsroom(settings: Settings, any_engine: Engine, clock: FixedClock) -> Iterator[Runtime]:
    """A runtime with three newsletters on SQLite and, where reachable, PostgreSQL."""
    newsletters = (
        NewsletterConfig(name="morgen", title="Der Morgen"),
        NewsletterConfig(name="fck", title="FCK", include=ArticleFilter(categories=("Sport",))),
        NewsletterConfig(name="eilmeldung", title="Eilmeldung", schedule="none"),
    )
    articles = [make_article(number, categories=(category,)) for number, category in ((1, "Politik"), (2, "Sport"))]
    yield newsroom_runtime(settings, any_engine, clock, newsletters, articles)


def test_no_ended_reader_gets_any_newsletter(newsroom: Runtime) -> None:
    """Of six readers of every newsletter, only the one still subscribed gets editions, specials and a segment
    send; the one who left fck alone still gets the others."""
    service = App(newsroom).subscription_service()
    store = service.store
    now = newsroom.clock.now()
    people = {address: store.add(f"{address}@example.org", now=now, status=SubscriberStatus.ACTIVE,
                                 newsletters=NAMES)
              for address in ("weg", "bounce", "beschwerde", "vergessen", "ohne-fck", "kontrolle")}
    store.set_status(people["weg"].id, SubscriberStatus.UNSUBSCRIBED, now=now)
    store.set_status(people["bounce"].id, SubscriberStatus.BOUNCED, now=now)
    store.suppress("bounce@example.org", BOUNCED, now=now)
    store.suppress("beschwerde@example.org", COMPLAINED, now=now)
    service.forget("vergessen@example.org")
    service.unsubscribe(store.get(people["ohne-fck"].id), "one-click", "fck")
    SegmentStore(newsroom.engine).save("alle", SegmentConditions(), now=now)
    sent: dict[str, list[str]] = {}
    for name in ("morgen", "fck"):
        edition = build_edition(newsroom, name, publish=False)
        assert edition is not None
        messenger = RecordingMessenger()
        send_edition(newsroom, edition.id, messenger=messenger, segment="alle" if name == "fck" else None,
                     echo=lambda _line: None)
        sent[name] = sorted(messenger.counts)
    breaking = make_article(3, categories=("Politik",))
    ArticleStore(newsroom.engine).upsert(breaking, now)
    messenger = RecordingMessenger()
    send_special(newsroom, "eilmeldung", [breaking.id], messenger=messenger, echo=lambda _line: None)
    sent["eilmeldung"] = sorted(messenger.counts)
    assert {
        "morgen": ["kontrolle@example.org", "ohne-fck@example.org"],
        "fck": ["kontrolle@example.org"],
        "eilmeldung": ["kontrolle@example.org", "ohne-fck@example.org"],
    } == sent
