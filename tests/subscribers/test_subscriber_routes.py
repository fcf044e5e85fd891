"""The subscriber pages against the real app on loopback (uvicorn in a thread, httpx)."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parseaddr

import pytest
from live_server import LiveServer, form_token, link_in, serve, with_subscribers

from subscribers.model import Frequency, SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.app.editions import build_edition, send_edition
from syndication.clock import FixedClock
from syndication.config import Secrets
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article
from syndication.tokens import Purpose


def subscribe(live: LiveServer, email: str, **fields: object) -> object:
    page = live.client.get("/subscribe")
    data = {"csrf": form_token(page.text), "email": email, "frequency": "daily", **fields}
    return live.client.post("/subscribe", data=data)


def store_of(live: LiveServer) -> SubscriberStore:
    return App(live.runtime).subscriber_store()


def test_subscribe_confirm_preferences_one_click_unsubscribe(live: LiveServer) -> None:
    """The whole journey: sign-up mail → confirm → welcome → preferences → RFC 8058 one-click → no more sends."""
    response = subscribe(live, "Leserin@Example.org", name="Lea", topics=[])
    assert 200 == response.status_code
    store = store_of(live)
    pending = store.get_by_email("leserin@example.org")
    assert SubscriberStatus.PENDING == pending.status

    confirmation = live.wait_for_mails(1)[0]
    assert "leserin@example.org" == parseaddr(str(confirmation["To"]))[1]
    confirmed_page = live.client.get(link_in(confirmation, "/confirm"))
    assert 200 == confirmed_page.status_code
    active = store.get(pending.id)
    assert SubscriberStatus.ACTIVE == active.status
    assert ["requested", "confirmed"] == [record.action for record in store.consent_records(active.id)]
    assert "2026-11" == store.consent_records(active.id)[-1].wording_version

    welcome = live.wait_for_mails(2)
    welcome_mail = next(m for m in welcome if "Willkommen" in str(m["Subject"]))
    preferences_path = link_in(welcome_mail, "/preferences")
    page = live.client.get(preferences_path)
    assert 200 == page.status_code
    saved = live.client.post(
        preferences_path,
        data={
            "csrf": form_token(page.text),
            "name": "Lea M.",
            "frequency": "daily",
            "slot_daily": "18:00",
            "topics": [],
        },
    )
    assert 200 == saved.status_code
    changed = store.get(active.id)
    assert ("Lea M.", "18:00") == (changed.name, changed.slot)
    in_slot = [s.id for batch in store.iter_active(Frequency.DAILY, "18:00", "06:00", 100) for s in batch]
    assert [active.id] == in_slot

    one_click = live.client.post(
        link_in(welcome_mail, "/unsubscribe"),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 200 == one_click.status_code
    gone = store.get(active.id)
    assert (SubscriberStatus.UNSUBSCRIBED, "one-click") == (gone.status, gone.unsubscribe_reason)
    everyone = [s.id for batch in store.iter_active(Frequency.DAILY, None, "06:00", 100) for s in batch]
    assert [] == everyone

    # A later send of the 18:00 slot reaches a still-active reader but skips the unsubscribed one.
    store.add("kontrolle@example.org", now=live.runtime.clock.now(), status=SubscriberStatus.ACTIVE, slot="18:00")
    ArticleStore(live.runtime.engine).upsert(make_article(1), live.runtime.clock.now())
    edition = build_edition(live.runtime, "daily")
    report = send_edition(live.runtime, edition.id, "18:00", echo=lambda _line: None)
    recipients = sorted(parseaddr(str(m["To"]))[1] for m in live.mails())
    # Two mails to the reader (confirmation and welcome), none from the edition.
    assert (1, ["kontrolle@example.org", "leserin@example.org", "leserin@example.org"]) == (report.sent, recipients)


def test_same_answer_for_new_known_and_unsubscribed_addresses(live: LiveServer) -> None:
    """Sign-up answers are identical whatever the address's state, so nobody can probe the list."""
    store = store_of(live)
    now = live.runtime.clock.now()
    store.add("aktiv@example.org", now=now, status=SubscriberStatus.ACTIVE)
    gone = store.add("weg@example.org", now=now, status=SubscriberStatus.ACTIVE)
    store.set_status(gone.id, SubscriberStatus.UNSUBSCRIBED, now=now)
    answers = [subscribe(live, address) for address in ("neu@example.org", "aktiv@example.org", "weg@example.org")]
    assert [200, 200, 200] == [answer.status_code for answer in answers]
    assert 1 == len({answer.content for answer in answers})
    # The unsubscribed address must opt in again: still unsubscribed until it confirms.
    assert SubscriberStatus.UNSUBSCRIBED == store.get(gone.id).status


def test_unsubscribed_address_gets_a_confirmation_and_is_active_only_after_confirming(live: LiveServer) -> None:
    """Re-subscribing after an unsubscribe needs the double opt-in again."""
    store = store_of(live)
    now = live.runtime.clock.now()
    gone = store.add("zurueck@example.org", now=now, status=SubscriberStatus.ACTIVE)
    store.set_status(gone.id, SubscriberStatus.UNSUBSCRIBED, now=now)
    live.runtime.clock.advance(timedelta(seconds=5))
    subscribe(live, "zurueck@example.org")
    confirmation = live.wait_for_mails(1)[0]
    assert SubscriberStatus.UNSUBSCRIBED == store.get(gone.id).status
    live.client.get(link_in(confirmation, "/confirm"))
    assert SubscriberStatus.ACTIVE == store.get(gone.id).status


def test_rate_limit_per_client(settings, clock: FixedClock) -> None:
    """More sign-ups from one address than the limit allows get 429 with Retry-After; the window reopens."""
    limited = with_subscribers(settings, subscribe_rate_limit=2, subscribe_rate_window_seconds=600)
    runtime = Runtime(settings=limited, secrets=Secrets(secret_key="test-secret-key-0123456789abcdef"), clock=clock)
    for live in serve(runtime):
        statuses = [subscribe(live, f"leser{i}@example.org").status_code for i in range(3)]
        assert [200, 200, 429] == statuses
        refused = subscribe(live, "leser9@example.org")
        assert 0 < int(refused.headers["Retry-After"]) <= 601
        clock.advance(timedelta(seconds=601))
        assert 200 == subscribe(live, "leser10@example.org").status_code
        store = store_of(live)
        assert [None, None] == [store.get_by_email(f"leser{i}@example.org") for i in (2, 9)]
    runtime.close()


def test_honeypot_filled_stores_and_sends_nothing(live: LiveServer) -> None:
    """A bot that fills the hidden field gets the usual answer, but nothing is stored or sent."""
    normal = subscribe(live, "echt@example.org")
    bot = subscribe(live, "bot@example.org", homepage_url="http://spam.example")
    assert (200, normal.content) == (bot.status_code, bot.content)
    assert None is store_of(live).get_by_email("bot@example.org")
    live.wait_for_mails(1)
    assert 1 == len(live.mails())


def test_subscribe_without_form_token_is_refused(live: LiveServer) -> None:
    """A POST without our signed form token (CSRF) changes nothing and gets the friendly error."""
    response = live.client.post("/subscribe", data={"email": "x@example.org", "frequency": "daily"})
    assert 400 == response.status_code
    assert 'lang="de"' in response.text
    assert None is store_of(live).get_by_email("x@example.org")


def test_invalid_address_shows_the_form_with_an_error(live: LiveServer) -> None:
    """A malformed address re-shows the form with an accessible error message."""
    response = subscribe(live, "kein-at-zeichen")
    assert 400 == response.status_code
    assert 'aria-invalid="true"' in response.text
    assert 'value="kein-at-zeichen"' in response.text


@pytest.mark.parametrize("path", ["/confirm", "/preferences", "/unsubscribe"])
def test_tampered_token_gets_error_page_and_changes_nothing(live: LiveServer, path: str) -> None:
    """A token changed by one character is refused with a German error page (400)."""
    store = store_of(live)
    subscriber = store.add("t@example.org", now=live.runtime.clock.now(), status=SubscriberStatus.PENDING)
    purpose = {"/confirm": Purpose.CONFIRM, "/preferences": Purpose.PREFERENCES, "/unsubscribe": Purpose.UNSUBSCRIBE}
    token = App(live.runtime).signer().make(purpose[path], subscriber.id, subscriber.email)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    response = live.client.get(f"{path}?token={tampered}")
    assert 400 == response.status_code
    assert "ungültig" in response.text
    posted = live.client.post(f"/unsubscribe?token={tampered}", content=b"List-Unsubscribe=One-Click",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 == posted.status_code
    assert SubscriberStatus.PENDING == store.get(subscriber.id).status


def test_expired_confirmation_link_changes_nothing(live: LiveServer) -> None:
    """A confirmation link older than confirm_expiry_hours (clock moved on) is refused as expired."""
    subscribe(live, "spaet@example.org")
    link = link_in(live.wait_for_mails(1)[0], "/confirm")
    live.runtime.clock.advance(timedelta(hours=48, seconds=1))
    response = live.client.get(link)
    assert 400 == response.status_code
    assert "abgelaufen" in response.text
    assert SubscriberStatus.PENDING == store_of(live).get_by_email("spaet@example.org").status


def test_token_for_another_purpose_is_refused(live: LiveServer) -> None:
    """An unsubscribe token does not confirm, and a confirmation token does not unsubscribe."""
    store = store_of(live)
    subscriber = store.add("zweck@example.org", now=live.runtime.clock.now(), status=SubscriberStatus.PENDING)
    signer = App(live.runtime).signer()
    unsubscribe_token = signer.make(Purpose.UNSUBSCRIBE, subscriber.id, subscriber.email)
    confirm_token = signer.make(Purpose.CONFIRM, subscriber.id, subscriber.email)
    assert 400 == live.client.get(f"/confirm?token={unsubscribe_token}").status_code
    one_click = live.client.post(f"/unsubscribe?token={confirm_token}", data={"List-Unsubscribe": "One-Click"})
    assert 400 == one_click.status_code
    assert SubscriberStatus.PENDING == store.get(subscriber.id).status


def test_unsubscribe_page_asks_before_unsubscribing(live: LiveServer) -> None:
    """GET shows one confirm button and changes nothing; the button's POST (with form token) unsubscribes."""
    store = store_of(live)
    subscriber = store.add("frage@example.org", now=live.runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    token = App(live.runtime).signer().make(Purpose.UNSUBSCRIBE, subscriber.id, subscriber.email)
    page = live.client.get(f"/unsubscribe?token={token}")
    assert (200, SubscriberStatus.ACTIVE) == (page.status_code, store.get(subscriber.id).status)
    without_csrf = live.client.post(f"/unsubscribe?token={token}", data={"reason": "too_many"})
    assert (400, SubscriberStatus.ACTIVE) == (without_csrf.status_code, store.get(subscriber.id).status)
    done = live.client.post(f"/unsubscribe?token={token}", data={"csrf": form_token(page.text), "reason": "too_many"})
    assert 200 == done.status_code
    after = store.get(subscriber.id)
    assert (SubscriberStatus.UNSUBSCRIBED, "Zu viele E-Mails") == (after.status, after.unsubscribe_reason)


def test_pages_are_german_and_labelled(live: LiveServer) -> None:
    """The sign-up page declares German, labels every input and keeps tokens out of the Referer."""
    page = live.client.get("/subscribe")
    assert 'lang="de"' in page.text
    assert '<label for="email">' in page.text
    assert "no-referrer" == page.headers["Referrer-Policy"]
    assert "<script" not in page.text


def test_preferences_page_can_unsubscribe(live: LiveServer) -> None:
    """The preferences page has its own unsubscribe button (a form with a form token)."""
    store = store_of(live)
    subscriber = store.add("prefs@example.org", now=live.runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    token = App(live.runtime).signer().make(Purpose.PREFERENCES, subscriber.id, subscriber.email)
    page = live.client.get(f"/preferences?token={token}")
    action = re.search(r'<form method="post" action="(/unsubscribe\?token=[^"]+)">', page.text)
    assert action, "no unsubscribe form on the preferences page"
    done = live.client.post(action.group(1), data={"csrf": form_token(page.text, "csrf", nth=1)})
    assert (200, SubscriberStatus.UNSUBSCRIBED) == (done.status_code, store.get(subscriber.id).status)


def test_preferences_change_needs_the_form_token(live: LiveServer) -> None:
    """A POST to the preferences link without the page's form token (CSRF) changes nothing."""
    store = store_of(live)
    subscriber = store.add("csrf@example.org", now=live.runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    token = App(live.runtime).signer().make(Purpose.PREFERENCES, subscriber.id, subscriber.email)
    response = live.client.post(f"/preferences?token={token}", data={"frequency": "weekly", "name": "Mallory"})
    assert 400 == response.status_code
    assert (Frequency.DAILY, None) == (store.get(subscriber.id).frequency, store.get(subscriber.id).name)


def test_forgotten_address_can_opt_in_again_on_the_form(live: LiveServer) -> None:
    """After erasure, the reader may sign up again; confirming lifts the suppression."""
    store = store_of(live)
    store.add("zurueck-nach-loeschung@example.org", now=live.runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    store.forget("zurueck-nach-loeschung@example.org", now=live.runtime.clock.now())
    subscribe(live, "zurueck-nach-loeschung@example.org")
    live.client.get(link_in(live.wait_for_mails(1)[0], "/confirm"))
    again = store.get_by_email("zurueck-nach-loeschung@example.org")
    assert (SubscriberStatus.ACTIVE, False) == (again.status, store.is_suppressed(again.email))


def test_confirmation_mail_carries_no_text_from_the_form(live: LiveServer) -> None:
    """The name typed into the anonymous form (markup, links) appears neither in the confirmation mail nor its To."""
    from live_server import text_part

    hostile = '<a href="https://gewinn.example">Gewinn abholen</a> https://gewinn.example'
    subscribe(live, "opfer@example.org", name=hostile)
    mail = live.wait_for_mails(1)[0]
    shown = str(mail["To"]) + text_part(mail) + mail.as_string()
    assert ("", False) == (parseaddr(str(mail["To"]))[0], "gewinn" in shown.lower())
    assert "Guten Tag," in text_part(mail)
