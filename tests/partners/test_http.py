"""The partner API over real HTTP on loopback: uvicorn serving the whole app, httpx as the partner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from jsonschema import Draft202012Validator

from syndication.clock import FixedClock
from syndication.partners.store import PartnerStore
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import live_server, make_article
from syndication.web import create_app

from .helpers import schema_errors


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    """``syndication serve``'s app on 127.0.0.1 at a free port, in a thread."""
    with live_server(create_app(runtime)) as url:
        yield url


def test_partner_session_over_loopback(
    base_url: str, partner_store: PartnerStore, article_store: ArticleStore, clock: FixedClock,
    ninjs_validator: Draft202012Validator,
) -> None:
    """Over real HTTP: 401s, scoped valid ninjs, an embargo lifting, a revoked key refused, 304 on repeat."""
    politics = partner_store.add("Politik-Partner", clock.now(), categories=["Politik"], embargo_minutes=60).key
    article_store.upsert(make_article(1, published=clock.now() - timedelta(hours=2)), clock.now())
    article_store.upsert(make_article(2, categories=("Sport",), published=clock.now() - timedelta(hours=2)),
                         clock.now())
    article_store.upsert(make_article(3, published=clock.now() - timedelta(minutes=10)), clock.now())
    with httpx.Client(base_url=base_url, timeout=10) as http:
        unauthorised = [http.get("/partners/v1/items"),
                        http.get("/partners/v1/items", headers={"Authorization": "Bearer synd_falsch"})]
        assert [(401, unauthorised[0].content)] * 2 == [(a.status_code, a.content) for a in unauthorised]

        auth = {"Authorization": f"Bearer {politics}"}
        first = http.get("/partners/v1/items", headers=auth)
        data = first.json()
        assert (200, ["artikel-1"], False) == (
            first.status_code, [item["altIds"][1]["value"].rsplit(":", 1)[1] for item in data["items"]],
            data["has_more"],
        )
        assert [] == schema_errors(ninjs_validator, data["items"][0])
        assert 304 == http.get("/partners/v1/items", headers=auth | {"If-None-Match": first.headers["ETag"]}
                               ).status_code

        clock.advance(timedelta(minutes=51))
        later = http.get("/partners/v1/items", params={"since": data["next"]}, headers=auth).json()
        assert ["artikel-3"] == [item["altIds"][1]["value"].rsplit(":", 1)[1] for item in later["items"]]

        atom = http.get("/partners/v1/feed.atom", headers=auth)
        assert (200, "application/atom+xml; charset=utf-8") == (atom.status_code, atom.headers["content-type"])

        partner_store.revoke("Politik-Partner", clock.now())
        revoked = http.get("/partners/v1/items", headers=auth)
        assert (401, unauthorised[0].content) == (revoked.status_code, revoked.content)
