"""The console's doors: sign-in links, sessions, CSRF, roles and the sign-in rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.console.accounts import AccountStore, Role
from syndication.delivery.testing import RecordingMessenger
from syndication.runtime import Runtime
from syndication.web import create_app
from tests.console.conftest import csrf_of, sign_in

# Every console page a signed-in person can GET (ids that need data are filled in by the tests that need them).
PAGES = ["/admin/", "/admin/editions", "/admin/articles", "/admin/subscribers", "/admin/feeds", "/admin/partners",
         "/admin/accounts", "/admin/audit", "/admin/subscribers/export.csv", "/admin/subscribers/1",
         "/admin/subscribers/import",
         "/admin/editions/daily-2026-11-24", "/admin/editions/daily-2026-11-24/report",
         "/admin/editions/daily-2026-11-24/progress", "/admin/editions/daily-2026-11-24/preview/all"]
POSTS = ["/admin/editions/daily-2026-11-24/send", "/admin/editions/daily-2026-11-24/pause",
         "/admin/editions/daily-2026-11-24/resume", "/admin/editions/daily-2026-11-24/cancel",
         "/admin/editions/daily-2026-11-24/test", "/admin/partners/new", "/admin/partners/x/revoke",
         "/admin/partners/x/rotate", "/admin/subscribers/1/unsubscribe", "/admin/subscribers/1/erase",
         "/admin/accounts/new", "/admin/accounts/1/remove", "/admin/language", "/admin/subscribers/import/preview",
         "/admin/subscribers/import/run"]
ADMIN_PAGES = ["/admin/partners", "/admin/accounts", "/admin/audit", "/admin/subscribers/export.csv",
               "/admin/subscribers/import"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_without_a_session_redirects_to_sign_in(client: TestClient, url: str) -> None:
    """A visitor without a session is sent to the sign-in page, with the page to come back to."""
    response = client.get(url)
    assert 303 == response.status_code
    assert response.headers["location"].startswith("/admin/sign-in?next=/admin/")


@pytest.mark.parametrize("url", POSTS)
def test_every_form_without_a_session_redirects_to_sign_in(client: TestClient, url: str) -> None:
    """No action is taken for a visitor without a session."""
    response = client.post(url, data={"csrf": "x"})
    assert 303 == response.status_code
    assert response.headers["location"].startswith("/admin/sign-in")


def test_a_link_signs_in_once(client: TestClient, accounts: AccountStore) -> None:
    """The link opens the console; the same link a second time is refused."""
    account = accounts.add("Redaktion@Example.org", Role.EDITOR, "en")
    token = accounts.issue_link(account)
    page = client.get(f"/admin/sign-in/{token}")
    done = client.post(f"/admin/sign-in/{token}", data={"csrf": csrf_of(page.text)})
    assert 303 == done.status_code
    assert 200 == client.get("/admin/").status_code
    again = client.get(f"/admin/sign-in/{token}")
    assert 400 == again.status_code
    current = csrf_of(client.get("/admin/").text)
    assert 400 == client.post(f"/admin/sign-in/{token}", data={"csrf": current}).status_code


def test_an_expired_link_is_refused(client: TestClient, accounts: AccountStore, clock: FixedClock) -> None:
    """A link older than 15 minutes does not sign in."""
    token = accounts.issue_link(accounts.add("redaktion@example.org", Role.EDITOR, "en"))
    page = client.get(f"/admin/sign-in/{token}")
    clock.advance(timedelta(minutes=15, seconds=1))
    response = client.post(f"/admin/sign-in/{token}", data={"csrf": csrf_of(page.text)})
    assert 400 == response.status_code
    assert 400 == client.get(f"/admin/sign-in/{token}").status_code
    assert 303 == client.get("/admin/").status_code


def test_an_unknown_link_is_refused(client: TestClient) -> None:
    """A made-up token is refused like a used one."""
    assert 400 == client.get("/admin/sign-in/not-a-token").status_code


def test_the_session_cookie_is_secure_httponly_and_lax(client: TestClient, accounts: AccountStore) -> None:
    """On an https site the session cookie is Secure, HttpOnly and SameSite=Lax."""
    token = accounts.issue_link(accounts.add("redaktion@example.org", Role.EDITOR, "en"))
    page = client.get(f"/admin/sign-in/{token}")
    done = client.post(f"/admin/sign-in/{token}", data={"csrf": csrf_of(page.text)})
    cookie = done.headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/admin" in cookie


def test_a_form_without_its_csrf_token_is_refused(editor: TestClient) -> None:
    """A POST without the token (or with another's) changes nothing and answers 403."""
    assert 403 == editor.post("/admin/language", data={"language": "de"}).status_code
    assert 403 == editor.post("/admin/language", data={"language": "de", "csrf": "0" * 64}).status_code
    page = editor.get("/admin/")
    assert 'lang="en"' in page.text
    assert 303 == editor.post("/admin/language", data={"language": "de", "csrf": csrf_of(page.text)}).status_code
    assert 'lang="de"' in editor.get("/admin/").text


def test_the_sign_in_form_needs_its_csrf_token(client: TestClient, accounts: AccountStore) -> None:
    """A link cannot be used by a cross-site POST: without the visitor's token it is refused and stays good."""
    token = accounts.issue_link(accounts.add("redaktion@example.org", Role.EDITOR, "en"))
    assert 403 == client.post(f"/admin/sign-in/{token}", data={}).status_code
    assert 200 == client.get(f"/admin/sign-in/{token}").status_code


def test_sign_in_is_rate_limited(client: TestClient, accounts: AccountStore) -> None:
    """After ten attempts within 15 minutes from one address, the next is refused with 429."""
    page = client.get("/admin/sign-in")
    csrf = csrf_of(page.text)
    answers = [client.post("/admin/sign-in", data={"csrf": csrf, "email": f"x{n}@example.org"}).status_code
               for n in range(11)]
    assert [200] * 10 + [429] == answers
    token = accounts.issue_link(accounts.add("redaktion@example.org", Role.EDITOR, "en"))
    assert 429 == client.post(f"/admin/sign-in/{token}", data={"csrf": csrf}).status_code


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_an_editor_is_refused_admin_pages(editor: TestClient, url: str) -> None:
    """Accounts, partner keys, the audit log and the export are for administrators: 403 for an editor."""
    assert 403 == editor.get(url).status_code


def test_an_editor_cannot_erase_or_create_partners(editor: TestClient) -> None:
    """The admin actions answer 403 to an editor even with a valid CSRF token."""
    csrf = csrf_of(editor.get("/admin/").text)
    assert 403 == editor.post("/admin/partners/new", data={"csrf": csrf, "name": "x"}).status_code
    assert 403 == editor.post("/admin/subscribers/1/erase", data={"csrf": csrf, "confirm": "a@b.de"}).status_code
    assert 403 == editor.post("/admin/accounts/new", data={"csrf": csrf, "email": "a@b.de"}).status_code


def test_sign_out_ends_the_session(editor: TestClient) -> None:
    """After signing out, the session cookie no longer opens the console."""
    csrf = csrf_of(editor.get("/admin/").text)
    assert 303 == editor.post("/admin/sign-out", data={"csrf": csrf}).status_code
    assert 303 == editor.get("/admin/").status_code


def test_a_link_can_be_mailed_to_a_known_account(
    client: TestClient, accounts: AccountStore, recording: RecordingMessenger
) -> None:
    """The sign-in form mails a link to a known account; an unknown address gets the same answer and no mail."""
    accounts.add("redaktion@example.org", Role.EDITOR, "en")
    csrf = csrf_of(client.get("/admin/sign-in").text)
    known = client.post("/admin/sign-in", data={"csrf": csrf, "email": "Redaktion@example.org"})
    unknown = client.post("/admin/sign-in", data={"csrf": csrf, "email": "fremd@example.org"})
    assert known.text.replace("Redaktion", "") == unknown.text.replace("Redaktion", "")
    assert [("redaktion@example.org",)] == [tuple(r.email for r in b.recipients) for b in recording.batches]
    assert "https://news.example/admin/sign-in/" in recording.batches[0].body.text


def test_sign_in_keeps_the_page_asked_for(client: TestClient, accounts: AccountStore) -> None:
    """After signing in, the visitor lands on the page that sent them to sign in, never off the console."""
    sign_in(client, accounts, "redaktion@example.org")
    assert 200 == client.get("/admin/editions").status_code


def test_syndication_serve_mounts_the_console(runtime: Runtime) -> None:
    """The app `syndication serve` runs has the console under /admin/, behind sign-in."""
    with TestClient(create_app(runtime), base_url="https://news.example", follow_redirects=False) as served:
        assert 303 == served.get("/admin/editions").status_code
        assert 200 == served.get("/admin/sign-in").status_code
        assert 200 == served.get("/static/console/console.js").status_code
