"""The console's other pages: partners, subscribers, articles, feeds, accounts, the audit log, languages."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from starlette.testclient import TestClient

from syndication.app import App
from syndication.app.partners import partner_store
from syndication.console.audit import AuditLog
from syndication.console.pages import feed_check, parse_warnings
from syndication.runtime import Runtime
from syndication.subscriber import Frequency, SubscriberStatus
from syndication.testing import make_article
from tests.console.conftest import csrf_of


def test_an_admin_creates_a_partner_sees_the_key_once_and_revokes_it(admin: TestClient, runtime: Runtime) -> None:
    """The key is on the answer to "create" only; revoked, the partner's key no longer authenticates."""
    csrf = csrf_of(admin.get("/admin/partners").text)
    created = admin.post("/admin/partners/new", data={"csrf": csrf, "name": "Radio Pfalz", "categories": ""})
    assert 200 == created.status_code
    key = re.search(r'<code id="new-key">([^<]+)</code>', created.text)
    assert key is not None
    store = partner_store(runtime)
    assert store.authenticate(key.group(1)).ok
    assert key.group(1) not in admin.get("/admin/partners").text
    assert 303 == admin.post("/admin/partners/Radio%20Pfalz/revoke", data={"csrf": csrf}).status_code
    assert not store.authenticate(key.group(1)).ok
    actions = [(e.action, e.target) for e in AuditLog(runtime.engine, runtime.clock).recent()]
    assert [("partner.revoke", "Radio Pfalz"), ("partner.create", "Radio Pfalz")] == actions[:2]


def test_rotate_gives_a_new_key(admin: TestClient, runtime: Runtime) -> None:
    """Rotating shows a new key once; the old one stops working."""
    old = partner_store(runtime).add("Radio Pfalz", runtime.clock.now()).key
    csrf = csrf_of(admin.get("/admin/partners").text)
    rotated = admin.post("/admin/partners/Radio%20Pfalz/rotate", data={"csrf": csrf})
    new = re.search(r'<code id="new-key">([^<]+)</code>', rotated.text)
    assert new is not None
    assert not partner_store(runtime).authenticate(old).ok
    assert partner_store(runtime).authenticate(new.group(1)).ok


def test_subscriber_search_is_exact_and_case_insensitive(editor: TestClient, runtime: Runtime) -> None:
    """The address typed in any case finds the subscriber; a part of it finds nobody."""
    store = App(runtime).subscriber_store()
    anna = store.add("anna@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    found = editor.get("/admin/subscribers", params={"q": "ANNA@example.org"})
    assert f'href="/admin/subscribers/{anna.id}"' in found.text
    assert f'href="/admin/subscribers/{anna.id}"' not in editor.get("/admin/subscribers", params={"q": "anna"}).text
    assert 200 == editor.get(f"/admin/subscribers/{anna.id}").status_code


def _listed_page(editor: TestClient, url: str) -> tuple[list[str], str | None, bool]:
    """The addresses a subscriber list page shows, its next page's link, whether it links the first page."""
    page = lxml.html.fromstring(editor.get(url).text)
    addresses = [link.text_content() for link in page.cssselect("tbody a")]
    following = page.cssselect('a[rel="next"]')
    first = [link for link in page.cssselect("nav.pages a") if link.get("rel") != "next"]
    return addresses, following[0].get("href") if following else None, bool(first)


def test_the_subscriber_list_pages_through_every_match_once(editor: TestClient, runtime: Runtime) -> None:
    """232 weekly readers among 58 daily ones, filtered by frequency: pages of 100, 100 and 32 show each weekly
    reader once, in the order they signed up; the next-page links keep the filter; later pages link the first."""
    store = App(runtime).subscriber_store()
    weekly = []
    for number in range(290):
        frequency = Frequency.DAILY if number % 5 == 4 else Frequency.WEEKLY
        added = store.add(f"leser{number:03d}@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE,
                          frequency=frequency)
        if frequency == Frequency.WEEKLY:
            weekly.append(added.email)
    pages, shown = [], []
    url: str | None = "/admin/subscribers?frequency=weekly"
    while url is not None:
        addresses, url, links_first = _listed_page(editor, url)
        pages.append((len(addresses), links_first, url is None or "frequency=weekly" in url))
        shown.extend(addresses)
    assert ([(100, False, True), (100, True, True), (32, True, True)], weekly) == (pages, shown)


def test_a_page_start_that_is_no_id_shows_the_first_page(editor: TestClient, runtime: Runtime) -> None:
    """``after`` that is not a plain number (text, negative, too long) shows the first page, not an error."""
    App(runtime).subscriber_store().add("anna@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    answers = [editor.get("/admin/subscribers", params={"after": value}) for value in ("x", "-5", "9" * 40, "")]
    assert [(200, True)] * 4 == [(a.status_code, "anna@example.org" in a.text) for a in answers]


def test_an_editor_unsubscribes_a_reader(editor: TestClient, runtime: Runtime) -> None:
    """Unsubscribe goes through the subscription service; the audit log names the subscriber by id only."""
    store = App(runtime).subscriber_store()
    anna = store.add("anna@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    csrf = csrf_of(editor.get(f"/admin/subscribers/{anna.id}").text)
    assert 303 == editor.post(f"/admin/subscribers/{anna.id}/unsubscribe", data={"csrf": csrf}).status_code
    assert SubscriberStatus.UNSUBSCRIBED == store.get(anna.id).status
    entry = AuditLog(runtime.engine, runtime.clock).recent()[0]
    assert ("subscriber.unsubscribe", f"subscriber {anna.id}") == (entry.action, entry.target)


def test_erasure_needs_the_address_typed_again(admin: TestClient, runtime: Runtime) -> None:
    """Without the confirmation nothing is erased; with it the subscriber is gone."""
    store = App(runtime).subscriber_store()
    anna = store.add("anna@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    csrf = csrf_of(admin.get(f"/admin/subscribers/{anna.id}").text)
    admin.post(f"/admin/subscribers/{anna.id}/erase", data={"csrf": csrf, "confirm": "someone@example.org"})
    assert store.get(anna.id) is not None
    admin.post(f"/admin/subscribers/{anna.id}/erase", data={"csrf": csrf, "confirm": "Anna@example.org"})
    assert store.get(anna.id) is None


def test_the_export_is_a_csv_of_every_subscriber(admin: TestClient, runtime: Runtime) -> None:
    """Administrators download every subscriber as CSV."""
    App(runtime).subscriber_store().add("anna@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    response = admin.get("/admin/subscribers/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "anna@example.org" in response.text


def test_parse_warnings_name_what_to_fix() -> None:
    """An article without an outlook, with an author but no quote, is flagged for both."""
    article = make_article(1, sections=(), author_quote=None)
    warnings = parse_warnings(article)
    assert "no outlook found" in warnings


def test_every_page_renders_for_an_admin_in_both_languages(admin: TestClient, edition: str) -> None:
    """Each page answers 200 in English and in German, with the page's language declared."""
    pages = ["/admin/", "/admin/editions", f"/admin/editions/{edition}", f"/admin/editions/{edition}/report",
             "/admin/articles", "/admin/subscribers", "/admin/feeds", "/admin/partners", "/admin/accounts",
             "/admin/audit"]
    for language in ("en", "de"):
        csrf = csrf_of(admin.get("/admin/").text)
        admin.post("/admin/language", data={"csrf": csrf, "language": language})
        for url in pages:
            response = admin.get(url)
            assert 200 == response.status_code, url
            assert f'<html lang="{language}">' in response.text
    assert "Ausgaben" in admin.get("/admin/editions").text


def test_an_admin_adds_an_account_and_gets_its_link(admin: TestClient) -> None:
    """A new account's one-time link is shown to the admin who made it."""
    csrf = csrf_of(admin.get("/admin/accounts").text)
    added = admin.post("/admin/accounts/new", data={"csrf": csrf, "email": "neu@example.org", "role": "editor",
                                                    "language": "de"})
    assert "https://news.example/admin/sign-in/" in added.text


def test_subscriber_filters_narrow_the_list(editor: TestClient, runtime: Runtime) -> None:
    """Frequency, topic, slot and signup date each narrow the list."""
    store = App(runtime).subscriber_store()
    now = runtime.clock.now()
    daily = store.add("daily@example.org", now=now, status=SubscriberStatus.ACTIVE, topics=("Sport",), slot="06:00")
    weekly = store.add("weekly@example.org", now=now, status=SubscriberStatus.ACTIVE, frequency=Frequency.WEEKLY)

    def listed(**params: str) -> set[int]:
        text = editor.get("/admin/subscribers", params=params).text
        return {number for number in (daily.id, weekly.id) if f'href="/admin/subscribers/{number}"' in text}

    assert {daily.id, weekly.id} == listed()
    assert {weekly.id} == listed(frequency="weekly")
    assert {daily.id} == listed(topic="sport")
    assert {daily.id} == listed(slot="06:00")
    assert set() == listed(since="2026-11-25")
    assert {daily.id, weekly.id} == listed(since="2026-11-24")


def test_a_feed_file_is_checked_as_a_reader_parses_it(tmp_path: Path) -> None:
    """A well-formed Atom feed is valid; a broken one is invalid; a missing one is not built."""
    good = tmp_path / "good.atom"
    good.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                    "<entry><title>a</title></entry></feed>")
    bad = tmp_path / "bad.atom"
    bad.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</feed>')
    assert ("valid", 1) == feed_check(good)
    assert feed_check(bad)[0].startswith("invalid: ")
    assert ("not built", None) == feed_check(tmp_path / "none.atom")


def test_the_overview_shows_rates_and_health(editor: TestClient, edition: str) -> None:
    """The last editions' complaint and bounce rates and the scheduler's jobs are on the overview."""
    page = editor.get("/admin/")
    assert f'href="/admin/editions/{edition}/report"' in page.text
    assert "Health" in page.text
    assert "collect" in page.text
