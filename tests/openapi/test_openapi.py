"""The OpenAPI document at /openapi.json, and the live app checked against it with schemathesis.

schemathesis generates requests from the document (valid and invalid parameters, bodies and headers) and sends
them to the real app on a real SQLite store with a real partner key; every answer must be one the document
allows (status, content type, headers, JSON schema) and none may be a 5xx other than a documented 503.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from schemathesis.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from starlette.routing import Route
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.openapi import OPENAPI_PATH, openapi_document
from syndication.partners.store import PartnerStore
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article
from syndication.web import create_app

SECRET = "test-secret-key-0123456789abcdef"
PARTNER_KEY: dict[str, str] = {}
# A few hundred requests in all (12 operations): the run stays well under a minute.
EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[Runtime]:
    """The app's runtime on a store with three articles and one partner, rate limits high enough to fuzz."""
    partners = settings.partners.model_copy(update={"rate_limit_per_minute": 100_000})
    subscribers = settings.subscribers.model_copy(update={"subscribe_rate_limit": 100_000})
    configured = settings.model_copy(update={"partners": partners, "subscribers": subscribers})
    articles = ArticleStore(engine)
    for number in range(1, 4):
        articles.upsert(make_article(number), clock.now())
    PARTNER_KEY["key"] = PartnerStore(engine, SECRET).add("Fuzz-Zeitung", clock.now()).key
    created = Runtime(settings=configured, secrets=Secrets(secret_key=SECRET), clock=clock)
    yield created
    created.close()


def test_the_document_is_valid_openapi_3_1(settings: Settings) -> None:
    """The document declares 3.1, its schemas are valid JSON Schema 2020-12 (3.1's dialect), every route is in it."""
    document = openapi_document(settings, version="1.0")
    for component in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)
    expected = {"/", "/healthz", "/partners/v1/items", "/partners/v1/feed.atom", "/webhooks/sendgrid", "/subscribe",
                "/subscribe/embed", "/confirm", "/preferences", "/unsubscribe", "/r/{token}", OPENAPI_PATH, "/metrics"}
    assert ("3.1.0", expected) == (document["openapi"], set(document["paths"]))


def test_every_route_of_the_app_is_documented(runtime: Runtime) -> None:
    """Each path and method the app routes (besides the public/ files) is in the document, so none can be added
    without its description."""
    document = openapi_document(runtime.settings, version="1.0")
    routed = {
        (route.path, method.lower())
        for route in create_app(runtime).routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert set() == routed - documented


def test_the_app_serves_the_document(runtime: Runtime) -> None:
    """GET /openapi.json answers the document with the site's URL as its server."""
    with TestClient(create_app(runtime)) as client:
        answer = client.get(OPENAPI_PATH)
    assert (200, [{"url": "http://localhost:8000"}]) == (answer.status_code, answer.json()["servers"])


@schemathesis.check
def no_internal_error(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """A 500 is a bug. (schemathesis' own not_a_server_error also refuses /healthz's documented 503.)"""
    if response.status_code == 500:
        raise AssertionError(f"500 from {case.method} {case.path}: {response.text[:300]}")


CHECKS = [
    no_internal_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _fuzz(operation: Any, headers: dict[str, str] | None) -> None:
    # One property per operation; derandomized and without a database, so every run sends the same requests.
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()


def test_the_live_app_answers_as_documented(runtime: Runtime) -> None:
    """Every generated request, for every operation, gets an answer the document allows; no 500."""
    schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, create_app(runtime))
    partner = {"Authorization": f"Bearer {PARTNER_KEY['key']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        _fuzz(operation, partner if operation.path.startswith("/partners") else None)
    assert 15 == len(operations)
