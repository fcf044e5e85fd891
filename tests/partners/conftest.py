"""Fixtures of the partner tests: stores, a runtime on the test database, a ninjs validator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.partners.routes import routes
from syndication.partners.store import PartnerStore
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore

from .helpers import TEST_SECRET
from .helpers import ninjs_validator as build_validator


@pytest.fixture(scope="session")
def ninjs_validator() -> Draft202012Validator:
    return build_validator()


@pytest.fixture
def partner_store(engine: Engine) -> PartnerStore:
    return PartnerStore(engine, TEST_SECRET)


@pytest.fixture
def article_store(engine: Engine) -> ArticleStore:
    return ArticleStore(engine)


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[Runtime]:
    """A runtime on the same database as ``engine``, with the test clock."""
    created = Runtime(settings=settings, secrets=Secrets(secret_key=TEST_SECRET), clock=clock)
    yield created
    created.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The partner routes alone, in process (for unit-level HTTP tests)."""
    with TestClient(Starlette(routes=routes(runtime)), base_url="http://127.0.0.1") as test_client:
        yield test_client
