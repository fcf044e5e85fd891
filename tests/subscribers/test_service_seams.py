"""The subscription service works with whatever the composition plugs into its Protocols."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine

from subscribers.model import Frequency
from subscribers.service import Consent, Outgoing, SubscriptionService
from subscribers.store import SubscriberStore
from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.errors import DeliveryError
from syndication.tokens import signer_for

KEY = "test-secret-key-0123456789abcdef"


class RecordingMail:
    def __init__(self, failure: Exception | None = None) -> None:
        self.sent: list[Outgoing] = []
        self.failure = failure

    def send(self, outgoing: Outgoing) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(outgoing)


class RecordingErasure:
    def __init__(self) -> None:
        self.erased: list[tuple[int | None, str]] = []

    def erase(self, subscriber_id: int | None, email: str) -> None:
        self.erased.append((subscriber_id, email))


class Mailto:
    def mailto(self, subscriber_id: int) -> str:
        return f"mailto:unsubscribe@example.org?subject=u-{subscriber_id}"


class Topics:
    def published_topics(self) -> tuple[set[str], set[str]]:
        return {"Sport", "politik"}, {"Pfalz", "Sport"}


def _service(engine: Engine, settings: Settings, clock: FixedClock, mail: RecordingMail,
             erasure: RecordingErasure | None = None) -> SubscriptionService:
    return SubscriptionService(
        SubscriberStore(engine, KEY), signer_for(settings.subscribers, KEY, clock), site=settings.site,
        config=settings.subscribers, editions=settings.digest.editions, clock=clock, topics=Topics(), mail=mail,
        delivery_records=erasure or RecordingErasure(), list_unsubscribe=Mailto(),
    )


def test_a_sign_up_mail_goes_to_the_plugged_mail(engine: Engine, settings: Settings, clock: FixedClock) -> None:
    """The confirmation the service describes is handed, as it is, to the mail the composition plugged in."""
    mail = RecordingMail()
    service = _service(engine, settings, clock, mail)
    outgoing = service.request("anna@example.org", topics=(), frequency=Frequency.DAILY, consent=Consent(form="test"))
    assert outgoing is not None and service.deliver(outgoing)
    assert [("confirm", "anna@example.org")] == [(sent.template, sent.email) for sent in mail.sent]


def test_a_refused_mail_is_logged_without_the_address(
    engine: Engine, settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """deliver() answers False and logs the subscriber id, never the address the provider quoted."""
    mail = RecordingMail(DeliveryError("smtp: 550 anna@example.org unknown"))
    service = _service(engine, settings, clock, mail)
    outgoing = Outgoing(template="welcome", subscriber_id=7, email="anna@example.org", name=None)
    with caplog.at_level(logging.ERROR):
        assert not service.deliver(outgoing)
    assert "subscriber 7" in caplog.text and "anna@example.org" not in caplog.text


def test_erasure_reaches_the_plugged_delivery_records(engine: Engine, settings: Settings, clock: FixedClock) -> None:
    """forget() hands the normalised address (and the subscriber's id) to delivery's records."""
    erasure = RecordingErasure()
    service = _service(engine, settings, clock, RecordingMail(), erasure)
    added = service.store.add("anna@example.org", now=clock.now())
    assert service.forget("Anna@Example.org")
    assert [(added.id, "anna@example.org")] == erasure.erased


def test_topics_come_from_the_plugged_articles_and_slots_from_the_editions(
    engine: Engine, settings: Settings, clock: FixedClock
) -> None:
    """Without configured topics, readers choose among the published ones; regions named as categories once."""
    service = _service(engine, settings, clock, RecordingMail())
    assert (("politik", "Sport"), ("Pfalz",)) == service.known_topics()
    daily = next(edition for edition in settings.digest.editions if edition.frequency == "daily")
    assert tuple(daily.slots) == service.edition_slots(Frequency.DAILY)


def test_list_unsubscribe_uses_the_plugged_mailto(engine: Engine, settings: Settings, clock: FixedClock) -> None:
    """The List-Unsubscribe header offers the page and the signed mailto the composition plugged in."""
    headers = _service(engine, settings, clock, RecordingMail()).unsubscribe_headers("https://x.example/u", 12)
    assert "<https://x.example/u>, <mailto:unsubscribe@example.org?subject=u-12>" == headers["List-Unsubscribe"]
