"""Fixtures for console tests: a runtime on the test database, the console app, accounts signed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.console import Console, routes
from syndication.console.accounts import AccountStore, Role
from syndication.delivery.testing import RecordingMessenger
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime

BASE = "https://news.example"


@pytest.fixture
def runtime(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    """A runtime on the test database, its site on https (so cookies are Secure)."""
    https = settings.model_copy(update={"site": settings.site.model_copy(update={"url": BASE})})
    created = Runtime(settings=https, secrets=Secrets.from_env(), clock=clock)
    created.__dict__["engine"] = engine
    return created


@pytest.fixture
def console(runtime: Runtime) -> Iterator[Console]:
    limits = RateLimits.from_url(None, runtime.clock)
    made = Console(runtime, limits)
    yield made
    if "sends" in made.__dict__:
        made.sends.close()
    limits.close()


@pytest.fixture
def client(console: Console, runtime: Runtime) -> Iterator[TestClient]:
    app = Starlette(routes=routes(runtime, RateLimits.from_url(None, runtime.clock), console))
    with TestClient(app, base_url=BASE, follow_redirects=False) as created:
        yield created


@pytest.fixture
def accounts(runtime: Runtime) -> AccountStore:
    return AccountStore(runtime.engine, runtime.clock)


def sign_in(client: TestClient, accounts: AccountStore, email: str, role: Role = Role.EDITOR,
            language: str = "en") -> None:
    """Create the account (if new) and sign ``client`` in through its link, as a browser would."""
    account = accounts.by_email(email) or accounts.add(email, role, language)
    token = accounts.issue_link(account)
    page = client.get(f"/admin/sign-in/{token}")
    assert 200 == page.status_code
    csrf = csrf_of(page.text)
    done = client.post(f"/admin/sign-in/{token}", data={"csrf": csrf, "next": "/admin/"})
    assert 303 == done.status_code, done.text


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


@pytest.fixture
def editor(client: TestClient, accounts: AccountStore) -> TestClient:
    sign_in(client, accounts, "redaktion@example.org", Role.EDITOR)
    return client


@pytest.fixture
def admin(client: TestClient, accounts: AccountStore) -> TestClient:
    sign_in(client, accounts, "chefin@example.org", Role.ADMIN)
    return client


@pytest.fixture
def recording(console: Console) -> RecordingMessenger:
    messenger = RecordingMessenger()
    console.sends.messenger = messenger
    return messenger
