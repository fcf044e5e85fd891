"""Fixtures for console tests: a runtime on the test database, the console app, accounts signed in."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from subscribers.model import SubscriberStatus
from syndication.app import App
from syndication.app.editions import build_edition
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.console import Console, routes
from syndication.console.accounts import AccountStore, Role
from syndication.delivery.testing import RecordingMessenger
from syndication.mail.base import Batch, Messenger, Receipt, SendObserver
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

BASE = "https://news.example"


@pytest.fixture
def runtime(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    """A runtime on the test database, its site on https (so cookies are Secure)."""
    https = settings.model_copy(update={
        "site": settings.site.model_copy(update={"url": BASE}),
        "delivery": settings.delivery.model_copy(update={"batch_size": 2}),
    })
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
    return AccountStore(runtime.engine, runtime.clock, runtime.secrets.require_secret_key)


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
def recording(console: Console) -> GatedMessenger:
    """The console's sends, tests and sign-in mails go to this messenger."""
    messenger = GatedMessenger()
    console.sends.messenger = messenger
    return messenger


READERS = 5


@pytest.fixture
def edition(runtime: Runtime, clock: FixedClock) -> str:
    """A built daily edition of five articles, and five active daily readers (batches of two)."""
    store = ArticleStore(runtime.engine)
    for number in range(1, 6):
        store.upsert(make_article(number), clock.now())
    built = build_edition(runtime, "daily", publish=False)
    assert built is not None
    readers = App(runtime).subscriber_store()
    for number in range(1, READERS + 1):
        readers.add(f"leser{number}@example.org", now=clock.now(), status=SubscriberStatus.ACTIVE)
    return built.id


class GatedMessenger(RecordingMessenger):
    """Records every batch (and hands it to ``inner`` too, e.g. the outbox); while ``gate`` is clear, a batch of
    an edition's send waits for it, so a test can pause a send in the middle."""

    def __init__(self, inner: Messenger | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]:
        if not batch.key.startswith(("test:", "console-sign-in")) and not self.gate.is_set():
            self.waiting.set()
            self.gate.wait(30)
        receipts = super().send(batch, observer)
        return self.inner.send(batch, observer) if self.inner is not None else receipts
