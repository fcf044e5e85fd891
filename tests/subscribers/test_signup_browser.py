"""The sign-up forms in headless Chromium: real cookies, SameSite, Origin and Sec-Fetch-Site.

The app runs under ``serve``'s own server configuration on 127.0.0.1; a publisher's (or an
attacker's) page is served from ``localhost`` on another port: another origin and another site.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from test_signup import documented_embed

from subscribers.model import SubscriberStatus
from syndication.app import App
from syndication.cli.serve import background_server
from syndication.runtime import Runtime
from tests.digest.cdp import Chromium
from tests.digest.test_browser import chromium  # noqa: F401 - the fixture that installs Chromium

SNIPPET_SITE = "https://news.example"


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    folder = tmp_path / "chromium-profile"
    folder.mkdir()
    return folder


@pytest.fixture
def app_url(runtime: Runtime) -> Iterator[str]:
    with background_server(runtime) as url:
        yield url


class OtherSite:
    """Pages of another site, on localhost at a port of its own: ``pages[path] = html``."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path, "").encode("utf-8")
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def other_site() -> Iterator[OtherSite]:
    site = OtherSite()
    yield site
    site.close()


def submit(browser: Chromium, session: str, email: str) -> str:
    """Types ``email`` into the page's form, presses its button, and returns the text of the page that follows."""
    browser.evaluate(session, f"document.querySelector('input[name=email]').value = {email!r}")
    browser.evaluate(session, "document.querySelector('form button[type=submit]').click()")
    browser.wait_for("Page.loadEventFired", session)
    return str(browser.evaluate(session, "document.body.innerText"))


def page_html(base_url: str) -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "operating" / "subscribers.md").read_text("utf-8")
    section = text[text.index("## Embedding the sign-up form") :]
    snippet = re.search(r"```html\n(.*?)```", section, re.S)
    assert snippet
    html = snippet.group(1).replace(SNIPPET_SITE, base_url)
    return f'<!doctype html><html lang="de"><meta charset="utf-8"><title>Partner</title><body>{html}</body></html>'


@pytest.mark.browser
def test_forms_in_a_real_browser(
    chromium: str, profile: Path, runtime: Runtime, app_url: str, other_site: OtherSite  # noqa: F811
) -> None:
    """Our form signs up; the pasted embed on another site signs up; a forged form on another site is refused."""
    store = App(runtime).subscriber_store()
    assert documented_embed(app_url).action == f"{app_url}/subscribe/embed"
    other_site.pages["/partner.html"] = page_html(app_url)
    with httpx.Client(base_url=app_url) as attacker:
        stolen = re.search(r'name="csrf" value="([^"]+)"', attacker.get("/subscribe").text)
        assert stolen
    other_site.pages["/evil.html"] = (
        f'<!doctype html><form method="post" action="{app_url}/subscribe">'
        f'<input name="csrf" value="{stolen.group(1)}"><input name="email"><input name="frequency" value="daily">'
        '<button type="submit">Gewinnspiel</button></form>'
    )
    with Chromium(chromium, profile) as browser:
        own = submit(browser, browser.open_page(f"{app_url}/subscribe", 800, 1000), "eigen@example.org")
        embedded = submit(browser, browser.open_page(f"{other_site.url}/partner.html", 800, 1000),
                          "partner@example.org")
        fixed_page = browser.open_page(f"{other_site.url}/partner.html", 800, 1000)
        # Valid to the browser (type=email), not to us: a domain without a dot.
        corrected = submit(browser, fixed_page, "kein@punkt")
        after_fix = submit(browser, fixed_page, "korrigiert@example.org")
        forged = submit(browser, browser.open_page(f"{other_site.url}/evil.html", 800, 1000), "opfer@example.org")
    sent = "Fast geschafft"
    assert [True, True, True, True] == [sent in own, sent in embedded, sent in after_fix, sent not in corrected]
    assert "gültige E-Mail-Adresse" in corrected
    assert "Anmeldung nicht möglich" in forged, forged[:300]
    found = {email: store.get_by_email(email) for email in
             ("eigen@example.org", "partner@example.org", "korrigiert@example.org", "opfer@example.org")}
    assert [SubscriberStatus.PENDING] * 3 + [None] == [
        subscriber.status if subscriber else None for subscriber in found.values()
    ]
    partner = found["partner@example.org"]
    assert partner is not None
    assert f"web:/subscribe/embed from {other_site.url}" == store.consent_records(partner.id)[0].form
