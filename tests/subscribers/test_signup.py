"""The sign-up form's token is bound to one browser, short-lived and single use; the embeddable form works."""

from __future__ import annotations

import re
from datetime import timedelta
from email.header import decode_header, make_header
from html.parser import HTMLParser
from pathlib import Path

import httpx
from live_server import LiveServer, form_token, link_in, serve, with_subscribers

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.runtime import Runtime

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operating" / "subscribers.md"
PUBLISHER = "https://www.partner.example"


def store_of(live: LiveServer) -> SubscriberStore:
    return App(live.runtime).subscriber_store()


def fields(email: str, token: str) -> dict[str, str]:
    return {"csrf": token, "email": email, "frequency": "daily"}


def browser(live: LiveServer) -> httpx.Client:
    """Another browser: a client with a cookie jar of its own."""
    return httpx.Client(base_url=live.base_url, timeout=10)


def test_a_reader_who_signs_up_in_english_gets_english_mails(live: LiveServer) -> None:
    """The form read in English (?lang=en on a German site): the reader's language is kept, and their
    confirmation and welcome mails speak it."""
    token = form_token(live.client.get("/subscribe", params={"lang": "en"}).text)
    assert 200 == live.client.post("/subscribe", data=fields("english@example.org", token)).status_code
    [confirm] = live.wait_for_mails(1)
    reader = store_of(live).get_by_email("english@example.org")
    assert reader is not None
    live.client.get(link_in(confirm, "/confirm"))
    welcome = live.wait_for_mails(2)[1]
    site = live.runtime.settings.site.name
    assert ("en", f"Please confirm your newsletter subscription at {site}", f"Welcome to the newsletter of {site}") == (
        reader.language, str(make_header(decode_header(confirm["Subject"]))),
        str(make_header(decode_header(welcome["Subject"]))))


def test_a_form_token_is_accepted_once(live: LiveServer) -> None:
    """The same token posted again, with its cookie, is refused and stores nothing."""
    token = form_token(live.client.get("/subscribe").text)
    first = live.client.post("/subscribe", data=fields("eins@example.org", token))
    again = [live.client.post("/subscribe", data=fields(f"nochmal{i}@example.org", token)) for i in range(2)]
    assert (200, [400, 400]) == (first.status_code, [answer.status_code for answer in again])
    assert [None, None] == [store_of(live).get_by_email(f"nochmal{i}@example.org") for i in range(2)]


def test_each_form_page_has_its_own_token(live: LiveServer) -> None:
    """Two tabs of one browser each get a token of their own, and both can be sent."""
    tokens = [form_token(live.client.get("/subscribe").text) for _ in range(2)]
    answers = [live.client.post("/subscribe", data=fields(f"tab{i}@example.org", t)) for i, t in enumerate(tokens)]
    assert [200, 200] == [answer.status_code for answer in answers]


def test_a_token_works_only_in_the_browser_it_was_made_for(live: LiveServer) -> None:
    """A token copied into another browser (its own cookie, or none) is refused."""
    token = form_token(live.client.get("/subscribe").text)
    with browser(live) as other:
        other.get("/subscribe")
        with_own_cookie = other.post("/subscribe", data=fields("fremd@example.org", token))
    with browser(live) as bare:
        without_cookie = bare.post("/subscribe", data=fields("ohne@example.org", token))
    assert [400, 400] == [with_own_cookie.status_code, without_cookie.status_code]
    assert None is store_of(live).get_by_email("fremd@example.org")
    # The token is still good in its own browser.
    assert 200 == live.client.post("/subscribe", data=fields("eigen@example.org", token)).status_code


def test_a_token_from_another_site_is_refused(settings: Settings, clock: FixedClock) -> None:
    """A post that says it comes from another site (Origin, Sec-Fetch-Site) is refused with 403.

    Refused before the rate limit: four such posts leave the reader's two sign-ups within a limit of two.
    """
    tight = with_subscribers(settings, subscribe_rate_limit=2)
    runtime = Runtime(settings=tight, secrets=Secrets(secret_key="test-secret-key-0123456789abcdef"), clock=clock)
    for live in serve(runtime):
        refuses_other_sites(live)
    runtime.close()


def refuses_other_sites(live: LiveServer) -> None:
    hostile = [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
               {"Sec-Fetch-Site": "same-site"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}]
    answers = []
    for number, headers in enumerate(hostile):
        token = form_token(live.client.get("/subscribe").text)
        answers.append(live.client.post("/subscribe", data=fields(f"evil{number}@example.org", token), headers=headers))
    assert [403] * 4 == [answer.status_code for answer in answers]
    assert [None] * 4 == [store_of(live).get_by_email(f"evil{n}@example.org") for n in range(4)]
    token = form_token(live.client.get("/subscribe").text)
    # What Chromium sends for our own form: the pages' Referrer-Policy no-referrer makes Origin "null".
    own = [{"Origin": "null", "Sec-Fetch-Site": "same-origin"}, {"Origin": live.base_url}]
    for number, headers in enumerate(own):
        token = form_token(live.client.get("/subscribe").text)
        answer = live.client.post("/subscribe", data=fields(f"echt{number}@example.org", token), headers=headers)
        assert 200 == answer.status_code


def test_a_form_token_expires_after_two_hours(live: LiveServer) -> None:
    """A form left open for more than two hours must be reloaded."""
    token = form_token(live.client.get("/subscribe").text)
    live.runtime.clock.advance(timedelta(hours=2, seconds=1))
    answer = live.client.post("/subscribe", data=fields("spaet@example.org", token))
    assert (400, None) == (answer.status_code, store_of(live).get_by_email("spaet@example.org"))


def test_the_cookie_is_strict_and_http_only(live: LiveServer) -> None:
    """The browser cookie is HttpOnly, SameSite=Strict, limited to /subscribe and short-lived."""
    with browser(live) as fresh:
        cookie = fresh.get("/subscribe").headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert ("samesite=strict", "path=/subscribe", "max-age=7200") == tuple(
        next(part.strip().lower() for part in cookie.split(";") if part.strip().lower().startswith(name))
        for name in ("samesite", "path", "max-age")
    )


class _FormReader(HTMLParser):
    """The form's action and the fields a browser would send (text empty, checked radios)."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = values["action"]
        elif tag == "input" and (values.get("type") != "radio" or "checked" in values):
            self.fields[values["name"]] = values.get("value", "")


def documented_embed(base_url: str) -> _FormReader:
    """The embed snippet exactly as documented, with the site's URL put in as the docs say."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Embedding the sign-up form") :]
    snippet = re.search(r"```html\n(.*?)```", section, re.S)
    assert snippet, "no html snippet in the embedding section"
    reader = _FormReader()
    reader.feed(snippet.group(1).replace("https://news.example", base_url))
    return reader


def test_the_documented_embed_signs_up_from_another_site(live: LiveServer) -> None:
    """The pasted form posts cross-origin without token or cookie: a pending sign-up that the mail confirms."""
    form = documented_embed(live.base_url)
    data = {**form.fields, "email": "eingebettet@example.org", "name": "Emma"}
    with browser(live) as reader:
        answer = reader.post(form.action, data=data, headers={"Origin": PUBLISHER, "Sec-Fetch-Site": "cross-site"})
        assert (200, "Fast geschafft") == (answer.status_code, answer.text.split("<h1>")[1][:14])
        store = store_of(live)
        pending = store.get_by_email("eingebettet@example.org")
        assert (SubscriberStatus.PENDING, "Emma") == (pending.status, pending.name)
        assert f"web:/subscribe/embed from {PUBLISHER}" == store.consent_records(pending.id)[0].form
        reader.get(link_in(live.wait_for_mails(1)[0], "/confirm"))
    assert SubscriberStatus.ACTIVE == store.get(pending.id).status


def test_the_embed_drops_what_fills_its_honeypot(live: LiveServer) -> None:
    """A bot that fills the embed's hidden field gets the usual answer; nothing is stored or sent."""
    form = documented_embed(live.base_url)
    with browser(live) as bot:
        human = bot.post(form.action, data={**form.fields, "email": "mensch@example.org"})
        robot = bot.post(form.action, data={**form.fields, "email": "bot@example.org", "homepage_url": "http://x"})
    assert (200, human.content) == (robot.status_code, robot.content)
    assert None is store_of(live).get_by_email("bot@example.org")
    live.wait_for_mails(1)
    assert 1 == len(live.mails())


def test_the_embed_shares_the_rate_limit(settings: Settings, clock: FixedClock) -> None:
    """Sign-ups by the embed and by our own form count against one limit per client."""
    limited = with_subscribers(settings, subscribe_rate_limit=2)
    runtime = Runtime(settings=limited, secrets=Secrets(secret_key="test-secret-key-0123456789abcdef"), clock=clock)
    for live in serve(runtime):
        form = documented_embed(live.base_url)
        token = form_token(live.client.get("/subscribe").text)
        statuses = [
            live.client.post("/subscribe", data=fields("a@example.org", token)).status_code,
            live.client.post(form.action, data={**form.fields, "email": "b@example.org"}).status_code,
            live.client.post(form.action, data={**form.fields, "email": "c@example.org"}).status_code,
        ]
        assert [200, 200, 429] == statuses
    runtime.close()


def test_embed_origins_limit_the_sites_that_may_embed(settings: Settings, clock: FixedClock) -> None:
    """With [subscribers] embed_origins set, posts from other sites or without Origin are refused."""
    configured = with_subscribers(settings, embed_origins=(PUBLISHER,))
    runtime = Runtime(settings=configured, secrets=Secrets(secret_key="test-secret-key-0123456789abcdef"),
                      clock=clock)
    for live in serve(runtime):
        form = documented_embed(live.base_url)
        post = [
            live.client.post(form.action, data={**form.fields, "email": f"{n}@example.org"}, headers=headers)
            for n, headers in enumerate([{"Origin": PUBLISHER}, {"Origin": "https://evil.example"}, {}])
        ]
        assert [200, 403, 403] == [answer.status_code for answer in post]
    runtime.close()


def test_an_invalid_address_in_the_embed_shows_our_form(live: LiveServer) -> None:
    """A mistyped address is corrected on our own form, which then works with its own token."""
    form = documented_embed(live.base_url)
    with browser(live) as reader:
        answer = reader.post(form.action, data={**form.fields, "email": "kein-at"}, headers={"Origin": PUBLISHER})
        assert (400, 'aria-invalid="true"') == (answer.status_code, re.search(r'aria-invalid="true"', answer.text)[0])
        fixed = reader.post("/subscribe", data=fields("richtig@example.org", form_token(answer.text)))
    assert 200 == fixed.status_code
