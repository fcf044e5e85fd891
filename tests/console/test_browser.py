"""The console in a real browser: Playwright driving Debian's Chromium (not a browser Playwright downloads).

An editor signs in with the link, finds an edition, previews it dark at 375 px, sends a test (it lands in the
outbox), starts the send, watches its progress, pauses, resumes and reads the report; an admin creates a
partner and revokes it; an editor is refused the admin pages. axe-core (the copy the ``axe-playwright-python``
package ships) finds no serious or critical violation on any console page, in German and English.

Chromium is Debian's ``chromium`` package, installed by the fixture when missing (as tests/digest does);
without it, or without the ``playwright`` package, the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from syndication.app import App
from syndication.clock import SystemClock
from syndication.config import Secrets, Settings
from syndication.console import Console, routes
from syndication.console.accounts import AccountStore, Role
from syndication.console.signin import sign_in_url
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
from syndication.static import routes as static_routes
from syndication.testing import live_server
from tests.console.conftest import GatedMessenger
from tests.machine import debian_chromium

playwright_api = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
expect = playwright_api.expect



@pytest.fixture(scope="module")
def chromium_path() -> str:
    return debian_chromium()


@pytest.fixture
def browser(chromium_path: str) -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            # As tests/digest/cdp.py: the moved-clock run's libfaketime (LD_PRELOAD) makes Chromium crawl, so
            # the browser runs on the real clock (the server under test keeps the moved one).
            env={name: value for name, value in os.environ.items() if name not in ("LD_PRELOAD", "FAKETIME")},
        )
        try:
            yield launched
        finally:
            launched.close()


class Site:
    """The console served over HTTP on 127.0.0.1, with its runtime, accounts and messenger."""

    def __init__(self, base: str, runtime: Runtime, console: Console, messenger: GatedMessenger) -> None:
        self.base = base
        self.runtime = runtime
        self.console = console
        self.messenger = messenger
        self.accounts = AccountStore(runtime.engine, runtime.clock, runtime.secrets.require_secret_key)

    def link(self, email: str, role: Role, language: str = "en") -> str:
        account = self.accounts.by_email(email) or self.accounts.add(email, role, language)
        return sign_in_url(self.base, self.accounts.issue_link(account))


@pytest.fixture
def site(runtime: Runtime, edition: str) -> Iterator[Site]:
    """The console on a live server. The browser runs on the real clock (sessions and links are checked
    against it), so the runtime's clock is the system's here."""
    live = Runtime(settings=runtime.settings, secrets=Secrets.from_env(), clock=SystemClock())
    live.__dict__["engine"] = runtime.engine
    limits = RateLimits.from_url(None, live.clock)
    console = Console(live, limits)
    messenger = GatedMessenger(inner=App(live).messenger())
    console.sends.messenger = messenger
    # The console's CSS and JavaScript come from the bundled static files, as in `syndication serve`.
    app = Starlette(routes=[*routes(live, limits, console), *static_routes(live.settings)])
    with live_server(app) as base:
        yield Site(base, live, console, messenger)
    messenger.gate.set()
    console.sends.close()
    messenger.inner.close()
    limits.close()


def _sign_in(page, site: Site, email: str, role: Role, language: str = "en") -> None:
    page.goto(site.link(email, role, language))
    page.get_by_role("button", name="Sign in to the console" if language == "en" else "In der Konsole anmelden").click()
    page.wait_for_url(f"{site.base}/admin/")


def test_an_editor_previews_tests_sends_pauses_resumes_and_reads_the_report(
    browser, site: Site, edition: str, settings: Settings
) -> None:
    """The whole desk routine, by keyboard-reachable controls, on a phone-sized window."""
    page = browser.new_page(viewport={"width": 375, "height": 800})
    _sign_in(page, site, "redaktion@example.org", Role.EDITOR)
    page.get_by_role("link", name="Editions").click()
    page.get_by_label("Find an edition").fill(edition)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=edition).click()
    page.wait_for_url(f"{site.base}/admin/editions/{edition}")

    # Preview: dark, at phone width.
    page.get_by_label("Dark").check()
    page.get_by_label("Phone (375 px)").check()
    frame_element = page.locator("#preview")
    assert "375" == frame_element.get_attribute("width")
    expect(frame_element).to_have_attribute("src", re.compile(r"scheme=dark$"))
    frame = page.frame_locator("#preview")
    frame.locator("body").wait_for()
    assert frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") != "rgb(255, 255, 255)" or \
        "@media all" in page.request.get(f"{site.base}{frame_element.get_attribute('src')}").text()

    # A test to an address: it arrives in the outbox.
    page.get_by_label("Address (empty: your own)").fill("pruefung@example.org")
    page.get_by_role("button", name="Send a test").last.click()
    page.get_by_text("The test has been sent.").wait_for()
    index = (settings.outbox_dir / "index.jsonl").read_text(encoding="utf-8")
    assert "pruefung@example.org" in index

    # Start the send; it stops after its first batch when paused.
    site.messenger.gate.clear()
    page.get_by_role("button", name="Send now").click()
    page.get_by_text("The send has started.").wait_for()
    assert site.messenger.waiting.wait(30)
    # Time for the pause to reach the server (a slow browser under a faked clock needs seconds): the pause
    # stops the send between batches and waits for the batch in hand, which the gate then lets go.
    threading.Timer(5.0, site.messenger.gate.set).start()
    page.get_by_role("button", name="Pause").click()
    page.get_by_text("The send is paused.").wait_for()
    progress = page.locator("#progress")
    assert "2 of 5 sent" in progress.inner_text()
    assert "paused" in progress.inner_text()

    # Resume: the progress region follows the send to its end by itself.
    page.get_by_role("button", name="Resume").click()
    page.get_by_text("The send continues.").wait_for()
    expect(page.locator("#progress")).to_contain_text("5 of 5 sent", timeout=30000)

    page.get_by_role("link", name="Report of this edition").click()
    page.get_by_role("heading", name=f"Report: Der Morgen {edition}").wait_for()
    assert "5 of 5 sent" in page.locator("main").inner_text()


def test_an_admin_creates_a_partner_and_revokes_it(browser, site: Site) -> None:
    """The key is shown once after creating; revoking marks the partner revoked."""
    page = browser.new_page()
    _sign_in(page, site, "chefin@example.org", Role.ADMIN)
    page.get_by_role("link", name="Partners").click()
    page.get_by_label("Name", exact=True).fill("Radio Pfalz")
    page.get_by_role("button", name="Create partner").click()
    key = page.locator("#new-key").inner_text()
    assert key
    page.get_by_role("button", name="Revoke Radio Pfalz").click()
    page.wait_for_url(f"{site.base}/admin/partners")
    assert "revoked" in page.get_by_role("row", name="Radio Pfalz").inner_text()
    assert key not in page.content()


def test_an_editor_is_refused_the_admin_pages(browser, site: Site) -> None:
    """Accounts, partners and the audit log answer 403 to an editor, and the navigation does not offer them."""
    page = browser.new_page()
    _sign_in(page, site, "redaktion@example.org", Role.EDITOR)
    assert 0 == page.get_by_role("link", name="Partners").count()
    for path in ("/admin/partners", "/admin/accounts", "/admin/audit"):
        assert 403 == page.goto(f"{site.base}{path}").status


def test_axe_finds_no_serious_violation_on_any_page_in_both_languages(browser, site: Site, edition: str) -> None:
    """Every console page, signed out and in, in English and German, in light and dark."""
    axe = axe_module.Axe()
    pages = ["/admin/", "/admin/editions", f"/admin/editions/{edition}", f"/admin/editions/{edition}/report",
             "/admin/articles", "/admin/subscribers", "/admin/subscribers/1", "/admin/feeds", "/admin/partners",
             "/admin/accounts", "/admin/audit", "/admin/subscribers/import", "/admin/editions/special"]
    found: dict[str, list[str]] = {}
    for language in ("en", "de"):
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme, viewport={"width": 375, "height": 800})
            page = context.new_page()
            page.goto(f"{site.base}/admin/sign-in?lang={language}")
            visited = [f"/admin/sign-in?lang={language}"]
            _check(axe, page, visited[0], language, scheme, found)
            site.link("chefin@example.org", Role.ADMIN, language)
            site.accounts.set_language(site.accounts.by_email("chefin@example.org").id, language)
            _sign_in(page, site, "chefin@example.org", Role.ADMIN, language)
            for path in pages:
                page.goto(f"{site.base}{path}")
                _check(axe, page, path, language, scheme, found)
            context.close()
    assert {} == found


def _check(axe, page, path: str, language: str, scheme: str, found: dict[str, list[str]]) -> None:
    results = axe.run(page)
    bad = [f"{item['id']}: {item['help']} ({len(item['nodes'])}x)"
           for item in results.response["violations"] if item.get("impact") in ("serious", "critical")]
    if bad:
        found[f"{language} {scheme} {path}"] = bad
