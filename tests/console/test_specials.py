"""Special editions from the console: choose, confirm, sent once at once through the ledger (SQLite, PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import lxml.html
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from subscribers.segments import SegmentConditions, SegmentStore
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.console import Console
from syndication.console.accounts import AccountStore, Role
from syndication.console.audit import AuditLog
from syndication.digest.edition_store import get_edition
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine
from syndication.subscriber import SubscriberStatus
from syndication.testing import make_article
from tests.console.conftest import GatedMessenger, csrf_of, sign_in

ARTICLES = [make_article(number) for number in range(1, 8)]
READERS = ["leser1@example.org", "leser2@example.org", "leser3@example.org"]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Engine]:
    """The console's store: SQLite in the test's folder, and PostgreSQL where one is reachable."""
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_engine")
        return
    created = open_engine(settings.store_url)
    yield created
    created.dispose()


@pytest.fixture
def newsroom(runtime: Runtime, clock: FixedClock) -> Runtime:
    """Seven published articles; three active readers of "daily", one English; one who unsubscribed."""
    store = ArticleStore(runtime.engine)
    for article in ARTICLES:
        store.upsert(article, clock.now())
    readers = App(runtime).subscriber_store()
    for address in READERS:
        readers.add(
            address, now=clock.now(), status=SubscriberStatus.ACTIVE, language="en" if address == READERS[2] else "de"
        )
    gone = readers.add("weg@example.org", now=clock.now(), status=SubscriberStatus.ACTIVE)
    readers.set_status(gone.id, SubscriberStatus.UNSUBSCRIBED, now=clock.now(), reason="test")
    SegmentStore(runtime.engine).save("englisch", SegmentConditions(language="en"), now=clock.now())
    return runtime


def _wait_idle(console: Console, edition_id: str) -> None:
    deadline = time.monotonic() + 60
    while console.sends.running(edition_id, "06:00"):
        assert time.monotonic() < deadline, "the send did not finish"
        time.sleep(0.05)


def _sent_to(recording: GatedMessenger) -> list[str]:
    return sorted(r.email for batch in recording.batches for r in batch.recipients)


def _confirmation(client: TestClient, data: dict[str, object]) -> dict[str, object]:
    """The confirmation page's send form, as the browser would post it."""
    page = client.post(
        "/admin/editions/special", data={"csrf": csrf_of(client.get("/admin/editions/special").text), **data}
    )
    assert 200 == page.status_code, page.text
    [form] = lxml.html.fromstring(page.text).cssselect('form[action="/admin/editions/special/send"]')
    fields: dict[str, list[str]] = {}
    for field in form.cssselect("input"):
        fields.setdefault(field.get("name"), []).append(field.get("value") or "")
    return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}


def test_the_page_lists_newsletters_and_the_newest_articles(editor: TestClient, newsroom: Runtime) -> None:
    """The editions list links the page; it offers the configured newsletters, the articles newest first and the
    saved segments with their live count."""
    assert 'href="/admin/editions/special"' in editor.get("/admin/editions").text
    page = editor.get("/admin/editions/special")
    assert 200 == page.status_code
    html = lxml.html.fromstring(page.text)
    names = [option.get("value") for option in html.cssselect("#newsletter option")]
    assert [n.name for n in newsroom.settings.all_newsletters] == names
    assert [a.id for a in ARTICLES] == [box.get("value") for box in html.cssselect('input[name="article"]')]
    assert ["", "englisch"] == [option.get("value") for option in html.cssselect("#segment option")]
    assert "englisch (1 subscribers now)" == html.cssselect('#segment option[value="englisch"]')[0].text_content()


def test_confirm_sends_once_to_the_subscribers_and_not_again(
    editor: TestClient, newsroom: Runtime, recording: GatedMessenger, console: Console
) -> None:
    """The confirmation shows the subject and three readers; confirmed, the edition goes to the three active
    readers exactly once (never to the one who unsubscribed), its page shows the progress, and posting the same
    confirmation again sends nothing more."""
    chosen = [ARTICLES[1].id, ARTICLES[0].id]
    review = editor.post(
        "/admin/editions/special",
        data={
            "csrf": csrf_of(editor.get("/admin/editions/special").text),
            "newsletter": "daily",
            "article": chosen[0],
            "ids": chosen[1],
        },
    )
    assert "3 readers now" == lxml.html.fromstring(review.text).cssselect("#recipients")[0].text_content()
    assert [] == recording.batches
    form = _confirmation(editor, {"newsletter": "daily", "article": chosen})
    done = editor.post("/admin/editions/special/send", data=form)
    assert 303 == done.status_code
    edition_id = done.headers["location"].removeprefix("/admin/editions/").removesuffix("?done=special")
    _wait_idle(console, edition_id)
    assert READERS == _sent_to(recording)
    edition = get_edition(newsroom.engine, edition_id)
    assert edition is not None
    assert (True, tuple(chosen)) == (edition.special, edition.article_ids)
    assert "3 of 3 sent" in editor.get(done.headers["location"]).text

    again = editor.post("/admin/editions/special/send", data=form)
    assert (303, done.headers["location"]) == (again.status_code, again.headers["location"])
    _wait_idle(console, edition_id)
    assert READERS == _sent_to(recording)
    entries = [e for e in AuditLog(newsroom.engine, newsroom.clock).recent() if e.action == "edition.special"]
    assert [("redaktion@example.org", edition_id)] == [(e.actor, e.target) for e in entries]


def test_a_segment_limits_the_send(
    editor: TestClient, newsroom: Runtime, recording: GatedMessenger, console: Console
) -> None:
    """With the segment "englisch" only its one reader gets the edition."""
    form = _confirmation(editor, {"newsletter": "daily", "article": ARTICLES[0].id, "segment": "englisch"})
    done = editor.post("/admin/editions/special/send", data=form)
    assert 303 == done.status_code
    _wait_idle(console, done.headers["location"].removeprefix("/admin/editions/").removesuffix("?done=special"))
    assert [READERS[2]] == _sent_to(recording)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"newsletter": "daily"}, "Choose at least one article."),
        ({"newsletter": "daily", "ids": "test:gibt-es-nicht"}, "No published article has the id test:gibt-es-nicht."),
        ({"newsletter": "daily", "article": ARTICLES[0].id, "segment": "fehlt"}, "There is no segment named “fehlt”."),
        ({"newsletter": "eilmeldung", "article": ARTICLES[0].id}, "The newsletter “eilmeldung” is not configured."),
    ],
)
def test_bad_input_says_what_is_wrong_and_sends_nothing(
    editor: TestClient, newsroom: Runtime, recording: GatedMessenger, data: dict[str, str], message: str
) -> None:
    """No article, an unknown id, an unknown segment or newsletter: the form again with the reason, nothing
    built or sent, at the review and at the send alike."""
    csrf = csrf_of(editor.get("/admin/editions/special").text)
    for path, extra in (("/admin/editions/special", {}), ("/admin/editions/special/send", {"token": "x" * 24})):
        page = editor.post(path, data={"csrf": csrf, **data, **extra})
        assert 400 == page.status_code
        assert message in lxml.html.fromstring(page.text).cssselect('[role="alert"] li')[0].text_content()
    assert [] == recording.batches
    assert [] == [e for e in AuditLog(newsroom.engine, newsroom.clock).recent() if e.action == "edition.special"]


def test_without_csrf_or_sign_in_nothing_is_sent(
    editor: TestClient, newsroom: Runtime, recording: GatedMessenger, client: TestClient
) -> None:
    """A confirmation without the CSRF token is refused (403); signed out, the send asks to sign in."""
    form = _confirmation(editor, {"newsletter": "daily", "article": ARTICLES[0].id})
    assert 403 == editor.post("/admin/editions/special/send", data={**form, "csrf": ""}).status_code
    editor.cookies.clear()
    signed_out = client.post("/admin/editions/special/send", data=form)
    assert (303, "/admin/sign-in?next=/admin/editions/special/send") == (
        signed_out.status_code,
        signed_out.headers["location"],
    )
    assert [] == recording.batches


def test_the_page_speaks_german(client: TestClient, accounts: AccountStore, newsroom: Runtime) -> None:
    """A German account sees the „Sonderausgabe“."""
    sign_in(client, accounts, "desk@example.org", Role.EDITOR, language="de")
    page = client.get("/admin/editions/special")
    assert "Sonderausgabe" == lxml.html.fromstring(page.text).cssselect("h1")[0].text_content()


def test_a_confirmation_is_known_however_much_the_audit_log_grew_since(
    editor: TestClient, newsroom: Runtime, recording: GatedMessenger, console: Console
) -> None:
    """Posted again after 1,200 other audit entries, a confirmation still only shows its edition: nothing is built
    or sent again. Another token differing only in the case of its letters is a confirmation of its own."""
    form = _confirmation(editor, {"newsletter": "daily", "article": ARTICLES[0].id})
    done = editor.post("/admin/editions/special/send", data=form)
    edition_id = done.headers["location"].removeprefix("/admin/editions/").removesuffix("?done=special")
    _wait_idle(console, edition_id)
    audit = AuditLog(newsroom.engine, newsroom.clock)
    for number in range(1200):
        audit.record("redaktion@example.org", "subscriber.note", f"leser{number}@example.org", "confirmation x")
    again = editor.post("/admin/editions/special/send", data=form)
    _wait_idle(console, edition_id)
    token = str(form["token"])
    other = token.swapcase() if token.swapcase() != token else "Q" + token[1:]
    answer = (again.status_code, again.headers["location"], _sent_to(recording))
    assert (303, done.headers["location"], READERS) == answer
    assert audit.newest_ending("edition.special", f"confirmation {other}") is None
