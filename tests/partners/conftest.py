"""Fixtures of the partner tests: stores, a runtime on the test database, a ninjs validator."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.partners.store import PartnerStore
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore

from .helpers import TEST_SECRET, TRANSPORTS, CollectingStore, partner_client
from .helpers import ninjs_validator as build_validator


@pytest.fixture(scope="session")
def ninjs_validator() -> Draft202012Validator:
    return build_validator()


@pytest.fixture
def partner_store(engine: Engine) -> PartnerStore:
    return PartnerStore(engine, TEST_SECRET)


@pytest.fixture
def article_store(engine: Engine, clock: FixedClock) -> ArticleStore:
    """Writes articles as collect does: the partners' version log records each change."""
    return CollectingStore(engine, clock)


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[Runtime]:
    """A runtime on the same database as ``engine``, with the test clock."""
    created = Runtime(settings=settings, secrets=Secrets(secret_key=TEST_SECRET), clock=clock)
    yield created
    created.close()


@pytest.fixture(params=TRANSPORTS)
def client(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[httpx.Client]:
    """The partner routes alone: each test runs in process and again over real HTTP on loopback."""
    with partner_client(runtime, request.param) as http_client:
        yield http_client
