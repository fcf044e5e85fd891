"""Several newsletters end to end (issue 16): own readers, own articles, own unsubscribe, segments, specials.

Three newsletters with overlapping selections and a special-only one; readers subscribed to some of them;
every edition built and sent through the real ledger to the outbox, and the one-click POST of a mail's
List-Unsubscribe made against the running app.
"""

from __future__ import annotations

import email.message
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parseaddr

import pytest
from live_server import LiveServer, serve

from subscribers.model import ConsentRecord, SubscriberStatus
from subscribers.segments import SegmentConditions, SegmentStore
from subscribers.service import Consent
from subscribers.store import BOUNCED, COMPLAINED, SubscriberStore
from subscribers.subscriptions import SubscriptionStatus
from syndication.app import App
from syndication.app.editions import build_edition, send_edition, send_special
from syndication.config import ArticleFilter, NewsletterConfig, Settings
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

POLITIK = make_article(1, categories=("Politik",), regions=("Mainz",))
SPORT = make_article(2, categories=("Sport",), regions=("Kaiserslautern",))
STADT = make_article(3, categories=("Politik",), regions=("Kaiserslautern",))
ALL = (POLITIK, SPORT, STADT)


def newsletters() -> tuple[NewsletterConfig, ...]:
    return (
        NewsletterConfig(name="morgen", title="Der Morgen", slots=("06:00",)),
        NewsletterConfig(name="fck", title="FCK-Newsletter", slots=("07:00",),
                         include=ArticleFilter(categories=("Sport",))),
        NewsletterConfig(name="kl", title="Kaiserslautern kompakt", slots=("08:00",),
                         include=ArticleFilter(regions=("Kaiserslautern",)), exclude=ArticleFilter(tags=("Sport",))),
        NewsletterConfig(name="eilmeldung", title="Eilmeldung", schedule="none"),
    )


def with_newsletters(settings: Settings) -> Settings:
    return settings.model_copy(update={"digest": settings.digest.model_copy(update={"editions": newsletters()})})


@pytest.fixture
def newsroom(runtime: Runtime) -> Iterator[LiveServer]:
    """The app on loopback with four newsletters and three articles stored."""
    runtime.settings = with_newsletters(runtime.settings)
    for article in ALL:
        ArticleStore(runtime.engine).upsert(article, runtime.clock.now())
    yield from serve(runtime)


def add(store: SubscriberStore, address: str, names: tuple[str, ...], now: object) -> int:
    subscriber = store.add(address, now=now, status=SubscriberStatus.ACTIVE, newsletters=names)  # type: ignore[arg-type]
    return subscriber.id


def digests(live: LiveServer) -> list[email.message.Message]:
    return [mail for mail in live.mails() if mail["List-Id"]]


def received(live: LiveServer) -> dict[str, dict[str, set[str]]]:
    """Address → edition id → the article titles its message carried."""
    found: dict[str, dict[str, set[str]]] = {}
    for mail in digests(live):
        address = parseaddr(str(mail["To"]))[1]
        edition = str(mail["Message-ID"]).strip("<>").split(".")[0]
        html = next(part for part in mail.walk() if part.get_content_type() == "text/html")
        text = html.get_payload(decode=True).decode("utf-8")
        found.setdefault(address, {})[edition] = {a.title for a in ALL if a.title in text}
    return found


def send_all(runtime: Runtime) -> None:
    for name in ("morgen", "fck", "kl"):
        edition = build_edition(runtime, name)
        assert edition is not None
        send_edition(runtime, edition.id, echo=lambda _line: None)


def test_each_reader_gets_exactly_their_newsletters_each_with_only_its_articles(newsroom: LiveServer) -> None:
    """A reader of fck and kl gets those two, fck only sport, kl only Kaiserslautern without sport."""
    runtime = newsroom.runtime
    store = App(runtime).subscriber_store()
    now = runtime.clock.now()
    add(store, "anna@example.org", ("fck", "kl"), now)
    add(store, "bert@example.org", ("morgen",), now)
    send_all(runtime)
    assert {
        "anna@example.org": {"fck-2026-11-24": {SPORT.title}, "kl-2026-11-24": {STADT.title}},
        "bert@example.org": {"morgen-2026-11-24": {POLITIK.title, SPORT.title, STADT.title}},
    } == received(newsroom)


def test_list_unsubscribe_of_one_newsletter_leaves_the_other(newsroom: LiveServer) -> None:
    """The one-click POST of the fck mail's List-Unsubscribe ends fck only; kl keeps coming."""
    runtime = newsroom.runtime
    store = App(runtime).subscriber_store()
    anna = add(store, "anna@example.org", ("fck", "kl"), runtime.clock.now())
    send_all(runtime)
    fck_mail = next(mail for mail in digests(newsroom) if "fck-" in str(mail["Message-ID"]))
    url = str(fck_mail["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    posted = newsroom.client.post(
        url.removeprefix(newsroom.runtime.settings.site.url.rstrip("/")),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 200 == posted.status_code
    assert ({"fck": SubscriptionStatus.UNSUBSCRIBED, "kl": SubscriptionStatus.ACTIVE}, SubscriberStatus.ACTIVE) == (
        store.subscriptions(anna), store.get(anna).status
    )
    for number, category in ((4, "Sport"), (5, "Politik")):
        article = make_article(number, categories=(category,), regions=("Kaiserslautern",))
        ArticleStore(runtime.engine).upsert(article, runtime.clock.now())
    runtime.clock.advance(timedelta(days=1))
    send_all_that_have_news(runtime)
    editions = sorted(str(mail["Message-ID"]).strip("<>").split(".")[0] for mail in digests(newsroom)
                      if "anna@" in str(mail["To"]))
    assert ["fck-2026-11-24", "kl-2026-11-24", "kl-2026-11-25"] == editions


def send_all_that_have_news(runtime: Runtime) -> None:
    for name in ("morgen", "fck", "kl"):
        edition = build_edition(runtime, name)
        if edition is not None:
            send_edition(runtime, edition.id, echo=lambda _line: None)


def test_preferences_page_unsubscribes_from_all(newsroom: LiveServer) -> None:
    """The preferences page's unsubscribe ends every newsletter and the subscriber."""
    runtime = newsroom.runtime
    service = App(runtime).subscription_service()
    anna = add(service.store, "anna@example.org", ("fck", "kl"), runtime.clock.now())
    subscriber = service.store.get(anna)
    links = service.links(subscriber)
    page = newsroom.client.get(links["preferences_url"].removeprefix(runtime.settings.site.url.rstrip("/")))
    assert 200 == page.status_code and 'name="newsletters" value="fck" checked' in page.text
    unsubscribe_path = links["unsubscribe_url"].removeprefix(runtime.settings.site.url.rstrip("/"))
    form = newsroom.client.get(unsubscribe_path)
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    done = newsroom.client.post(unsubscribe_path, data={"csrf": csrf, "scope": "all"})
    assert 200 == done.status_code
    assert (SubscriberStatus.UNSUBSCRIBED, {"fck": SubscriptionStatus.UNSUBSCRIBED,
                                             "kl": SubscriptionStatus.UNSUBSCRIBED}) == (
        service.store.get(anna).status, service.store.subscriptions(anna)
    )


def test_a_segment_send_reaches_exactly_the_segment(newsroom: LiveServer) -> None:
    """morgen sent to the segment "weekly readers from the web form": exactly those readers get it."""
    runtime = newsroom.runtime
    store = App(runtime).subscriber_store()
    now = runtime.clock.now()
    inside = store.add("drin@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=("morgen",),
                       frequency="weekly", consent=ConsentRecord(0, "confirmed", now, "web:/subscribe", "1"))
    store.add("web-daily@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=("morgen",),
              consent=ConsentRecord(0, "confirmed", now, "web:/subscribe", "1"))
    store.add("import-weekly@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=("morgen",),
              frequency="weekly", consent=ConsentRecord(0, "imported", now, "import:alt.csv", "1"))
    # Matches the segment, but is not a reader of morgen: a segment never widens a send.
    store.add("fremd@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=("fck",),
              frequency="weekly", consent=ConsentRecord(0, "confirmed", now, "web:/subscribe", "1"))
    segments = SegmentStore(runtime.engine)
    conditions = SegmentConditions(frequency="weekly", source="web:")
    segments.save("web-woche", conditions, now=now)
    assert 2 == segments.count(conditions, now=now)
    edition = build_edition(runtime, "morgen")
    assert edition is not None
    report = send_edition(runtime, edition.id, segment="web-woche", echo=lambda _line: None)
    assert (1, ["drin@example.org"]) == (report.sent, sorted(received(newsroom)))
    assert inside.id > 0


def test_special_goes_out_at_once_and_the_regular_edition_still_on_time(newsroom: LiveServer) -> None:
    """A special edition is sent at once; the regular morgen edition is built and sent after it, without the
    special's article for those who got it today."""
    runtime = newsroom.runtime
    store = App(runtime).subscriber_store()
    now = runtime.clock.now()
    add(store, "eil@example.org", ("eilmeldung", "morgen"), now)
    add(store, "nur-morgen@example.org", ("morgen",), now)
    edition, report = send_special(runtime, "eilmeldung", [SPORT.id], echo=lambda _line: None)
    assert ("special", 1, {"eil@example.org": {edition.id: {SPORT.title}}}) == (
        edition.kind, report.sent, received(newsroom)
    )
    regular = build_edition(runtime, "morgen")
    assert regular is not None and "morgen-2026-11-24" == regular.id
    send_edition(runtime, regular.id, echo=lambda _line: None)
    got = received(newsroom)
    assert ({POLITIK.title, STADT.title}, {POLITIK.title, SPORT.title, STADT.title}) == (
        got["eil@example.org"]["morgen-2026-11-24"], got["nur-morgen@example.org"]["morgen-2026-11-24"]
    )
    # The same article as a special again the same day: nobody gets it twice.
    runtime.clock.advance(timedelta(minutes=5))
    again = send_special(runtime, "eilmeldung", [SPORT.id], echo=lambda _line: None)[1]
    assert (0, 1) == (again.sent, again.skipped)


def test_nobody_ended_gets_anything(newsroom: LiveServer) -> None:
    """Unsubscribed, bounced, complained and erased readers of every newsletter get no edition and no special."""
    runtime = newsroom.runtime
    service = App(runtime).subscription_service()
    store = service.store
    now = runtime.clock.now()
    names = ("morgen", "fck", "kl", "eilmeldung")
    gone = store.add("weg@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=names)
    store.set_status(gone.id, SubscriberStatus.UNSUBSCRIBED, now=now)
    bounced = store.add("bounce@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=names)
    store.set_status(bounced.id, SubscriberStatus.BOUNCED, now=now)
    store.suppress("bounce@example.org", BOUNCED, now=now)
    # Suppressed only (a complaint recorded by the provider before the status caught up).
    store.add("beschwerde@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=names)
    store.suppress("beschwerde@example.org", COMPLAINED, now=now)
    store.add("vergessen@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=names)
    service.forget("vergessen@example.org")
    left = store.add("abgemeldet@example.org", now=now, status=SubscriberStatus.ACTIVE, newsletters=names)
    for name in names:
        service.unsubscribe(store.get(left.id), "test", name)
    add(store, "kontrolle@example.org", names, now)
    send_all(runtime)
    send_special(runtime, "eilmeldung", [POLITIK.id], echo=lambda _line: None)
    assert ["kontrolle@example.org"] == sorted(received(newsroom))


def test_sign_up_for_two_newsletters_confirms_both_with_their_own_consent(newsroom: LiveServer) -> None:
    """A sign-up for fck and kl records a request and a confirmation per newsletter; an active reader asking
    for a third newsletter gets it only after its own confirmation link."""
    runtime = newsroom.runtime
    service = App(runtime).subscription_service()
    outgoing = service.request("neu@example.org", topics=(), frequency="daily", consent=Consent(form="test"),
                               newsletters=["fck", "kl"])
    assert outgoing is not None and "confirm" == outgoing.template
    subscriber = service.store.get_by_email("neu@example.org")
    assert {"fck": SubscriptionStatus.PENDING, "kl": SubscriptionStatus.PENDING} == service.store.subscriptions(
        subscriber.id
    )
    service.confirm(outgoing.context["confirm_url"].split("token=")[1], Consent(form="test"))
    runtime.clock.advance(timedelta(minutes=11))
    third = service.request("neu@example.org", topics=(), frequency="daily", consent=Consent(form="test"),
                            newsletters=["morgen"])
    assert third is not None and "confirm" == third.template
    assert SubscriptionStatus.PENDING == service.store.subscriptions(subscriber.id)["morgen"]
    service.confirm(third.context["confirm_url"].split("token=")[1], Consent(form="test"))
    trail = [(r.action, r.newsletter) for r in service.store.consent_records(subscriber.id)]
    assert [("requested", "fck"), ("requested", "kl"), ("confirmed", "fck"), ("confirmed", "kl"),
            ("requested", "morgen"), ("confirmed", "morgen")] == trail
