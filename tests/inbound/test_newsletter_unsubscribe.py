"""A mailed unsubscribe (the ``mailto:`` of ``List-Unsubscribe``) ends only the newsletter its mail belonged to,
on the real store (SQLite and, where reachable, PostgreSQL), read by the real inbound processor and checked by
the next sends through the ledger; a token without an edition ends everything; a forged one changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from newsroom import newsroom_runtime
from sqlalchemy import Engine, select

from subscribers.model import SubscriberStatus
from subscribers.subscriptions import SubscriptionStatus
from subscribers.tables import subscriptions
from syndication.app import App
from syndication.app.editions import build_edition, send_edition, send_special
from syndication.clock import FixedClock
from syndication.config import ArticleFilter, NewsletterConfig, Settings
from syndication.delivery.testing import RecordingMessenger
from syndication.mail.base import apply_substitutions
from syndication.mail.verp import mailto_unsubscribe
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

from . import mails

SECRET = "test-secret-key-0123456789abcdef"
READER = "anna@example.org"
POLITIK = make_article(1, categories=("Politik",))
SPORT = make_article(2, categories=("Sport",))


@pytest.fixture
def newsroom(settings: Settings, any_engine: Engine, clock: FixedClock) -> Iterator[Runtime]:
    """Three newsletters (one special-only, with a name that has "_" and is long); two articles stored."""
    newsletters = (
        NewsletterConfig(name="morgen", title="Der Morgen"),
        NewsletterConfig(name="fck", title="FCK", include=ArticleFilter(categories=("Sport",))),
        NewsletterConfig(name="eilmeldung_westpfalz", title="Eilmeldung", schedule="none"),
    )
    yield newsroom_runtime(settings, any_engine, clock, newsletters, (POLITIK, SPORT))


def _subscribe(runtime: Runtime, names: tuple[str, ...]) -> int:
    store = App(runtime).subscriber_store()
    return store.add(READER, now=runtime.clock.now(), status=SubscriberStatus.ACTIVE, newsletters=names).id


def _send(runtime: Runtime, name: str) -> RecordingMessenger:
    edition = build_edition(runtime, name, publish=False)
    assert edition is not None
    messenger = RecordingMessenger()
    send_edition(runtime, edition.id, messenger=messenger, echo=lambda _line: None)
    return messenger


def _list_unsubscribe(messenger: RecordingMessenger) -> str:
    """The reader's List-Unsubscribe header as the mail carried it."""
    for batch in messenger.batches:
        for recipient in batch.recipients:
            if recipient.email == READER:
                header = recipient.headers.get("List-Unsubscribe") or batch.headers["List-Unsubscribe"]
                return apply_substitutions(header, recipient.substitutions)
    raise AssertionError(f"{READER} got nothing")


def _state(runtime: Runtime, subscriber_id: int) -> tuple[SubscriberStatus, dict[str, SubscriptionStatus]]:
    store = App(runtime).subscriber_store()
    subscriber = store.get(subscriber_id)
    assert subscriber is not None
    return subscriber.status, store.subscriptions(subscriber_id)


def _next_day_with_news(runtime: Runtime) -> None:
    runtime.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    for number, category in ((3, "Politik"), (4, "Sport")):
        ArticleStore(runtime.engine).upsert(make_article(number, categories=(category,)), runtime.clock.now())


def test_mailed_unsubscribe_of_one_newsletter_leaves_the_other(newsroom: Runtime) -> None:
    """The mailto of the fck mail ends fck only (its subscription keeps date and reason); the reader stays active,
    gets the next morgen and no further fck; the mail read twice changes nothing more."""
    anna = _subscribe(newsroom, ("morgen", "fck"))
    _send(newsroom, "morgen")
    header = _list_unsubscribe(_send(newsroom, "fck"))
    raw = mails.mailto_unsubscribe(header, "alias@forwarder.example")
    processor = App(newsroom).inbound_processor()
    first = processor.process(raw)
    assert (1, 0) == (first.unsubscribe, first.unmatched)
    assert (SubscriberStatus.ACTIVE, {"fck": SubscriptionStatus.UNSUBSCRIBED, "morgen": SubscriptionStatus.ACTIVE}) == (
        _state(newsroom, anna)
    )
    with newsroom.engine.connect() as connection:
        row = connection.execute(
            select(subscriptions.c.unsubscribed, subscriptions.c.unsubscribe_reason).where(
                subscriptions.c.subscriber_id == anna, subscriptions.c.newsletter == "fck"
            )
        ).one()
    assert (newsroom.clock.now(), "mailto:unsubscribe") == (row.unsubscribed, row.unsubscribe_reason)
    assert 1 == App(newsroom).event_store().counts("fck-2026-11-24")["unsubscribes"]
    again = processor.process(raw)
    assert (0, 1) == (again.unsubscribe, again.duplicates)

    _next_day_with_news(newsroom)
    morgen, fck = _send(newsroom, "morgen"), _send(newsroom, "fck")
    assert ({READER: 1}, {}) == (dict(morgen.counts), dict(fck.counts))


def test_mailed_unsubscribe_of_a_special_edition_ends_its_newsletter(newsroom: Runtime) -> None:
    """A special edition's id (long, with the newsletter's "_") travels in the token: its mailto ends that
    newsletter only."""
    anna = _subscribe(newsroom, ("morgen", "eilmeldung_westpfalz"))
    messenger = RecordingMessenger()
    edition, _ = send_special(
        newsroom, "eilmeldung_westpfalz", [POLITIK.id], messenger=messenger, echo=lambda _line: None
    )
    header = _list_unsubscribe(messenger)
    assert edition.id in header
    App(newsroom).inbound_processor().process(mails.mailto_unsubscribe(header, READER))
    assert (
        SubscriberStatus.ACTIVE,
        {"eilmeldung_westpfalz": SubscriptionStatus.UNSUBSCRIBED, "morgen": SubscriptionStatus.ACTIVE},
    ) == _state(newsroom, anna)


def test_a_token_without_an_edition_ends_every_newsletter(newsroom: Runtime) -> None:
    """An old-form token (no edition: a welcome mail's, or a mail from before newsletters) unsubscribes from
    everything, as before; nothing is sent to the reader afterwards."""
    anna = _subscribe(newsroom, ("morgen", "fck"))
    mailto = newsroom.settings.delivery.unsubscribe_mailto
    header = f"<https://x.example/unsubscribe?token=t>, <{mailto_unsubscribe(SECRET, mailto, anna, None)}>"
    report = App(newsroom).inbound_processor().process(mails.mailto_unsubscribe(header, READER))
    assert 1 == report.unsubscribe
    assert (
        SubscriberStatus.UNSUBSCRIBED,
        {"fck": SubscriptionStatus.UNSUBSCRIBED, "morgen": SubscriptionStatus.UNSUBSCRIBED},
    ) == _state(newsroom, anna)
    assert ({}, {}) == (dict(_send(newsroom, "morgen").counts), dict(_send(newsroom, "fck").counts))


def test_an_unknown_edition_ends_every_newsletter_and_says_so(
    newsroom: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """A validly signed token whose edition is not stored cannot name a newsletter: the reader, who asked to
    leave, leaves everything, and the log names the mail and the edition."""
    anna = _subscribe(newsroom, ("morgen", "fck"))
    mailto = newsroom.settings.delivery.unsubscribe_mailto
    uri = mailto_unsubscribe(SECRET, mailto, anna, "verschollen-2026-01-01")
    raw = mails.mailto_unsubscribe(f"<{uri}>", READER)
    with caplog.at_level(logging.ERROR, logger="syndication.inbound.service"):
        App(newsroom).inbound_processor().process(raw)
    assert SubscriberStatus.UNSUBSCRIBED == _state(newsroom, anna)[0]
    message_id = raw.split(b"Message-ID: ")[1].split(b"\n")[0].decode().strip()
    assert [True] == [
        message_id in record.getMessage() and "edition verschollen-2026-01-01" in record.getMessage()
        for record in caplog.records
    ]


def test_a_forged_token_changes_nothing(newsroom: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    """A token with a wrong signature (or signed for another subscriber with another key) is unmatched and
    logged naming the mail; the reader's subscriptions and the next send are as before."""
    anna = _subscribe(newsroom, ("morgen", "fck"))
    header = _list_unsubscribe(_send(newsroom, "fck"))
    signature = header.rsplit(".", 1)[1][:16]
    forged = header.replace(signature, ("b" if signature[0] == "a" else "a") + signature[1:])
    other_key = mailto_unsubscribe(
        "another-secret-key-0123456789abcdef", newsroom.settings.delivery.unsubscribe_mailto, anna, "fck-2026-11-24"
    )
    raws = [mails.mailto_unsubscribe(forged, READER), mails.mailto_unsubscribe(f"<{other_key}>", READER)]
    processor = App(newsroom).inbound_processor()
    with caplog.at_level(logging.ERROR, logger="syndication.inbound.service"):
        reports = [processor.process(raw) for raw in raws]
    assert [(0, 1), (0, 1)] == [(report.unsubscribe, report.unmatched) for report in reports]
    assert (SubscriberStatus.ACTIVE, {"fck": SubscriptionStatus.ACTIVE, "morgen": SubscriptionStatus.ACTIVE}) == (
        _state(newsroom, anna)
    )
    assert 2 == sum(
        "not validly signed" in record.getMessage() and "mid:<" in record.getMessage() for record in caplog.records
    )
    _next_day_with_news(newsroom)
    assert {READER: 1} == dict(_send(newsroom, "fck").counts)
