"""Long-polling ``/items?wait=``: an empty answer is held until a new version arrives, over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.partners.store import PartnerStore
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

from .helpers import TEST_SECRET, partner_client

ITEMS = "/partners/v1/items"


@pytest.fixture
def quick_runtime(settings: Settings, clock: FixedClock) -> Iterator[Runtime]:
    partners = settings.partners.model_copy(update={"longpoll_check_seconds": 0.05})
    runtime = Runtime(settings=settings.model_copy(update={"partners": partners}),
                      secrets=Secrets(secret_key=TEST_SECRET), clock=clock)
    yield runtime
    runtime.close()


def test_waiting_request_gets_the_version_stored_while_it_waits(
    quick_runtime: Runtime, partner_store: PartnerStore, article_store: ArticleStore, clock: FixedClock
) -> None:
    """Several partners wait at the end of the log; a version stored meanwhile reaches every one of them."""
    keys = [partner_store.add(f"Partner {number}", clock.now()).key for number in range(3)]
    article_store.upsert(make_article(1), clock.now())
    with partner_client(quick_runtime, "loopback") as client, ThreadPoolExecutor(3) as pool:
        ends = [client.get(ITEMS, headers={"Authorization": f"Bearer {key}"}).json()["next"] for key in keys]
        started = threading.Barrier(4)

        def wait(key: str, since: str) -> httpx.Response:
            started.wait()
            return client.get(ITEMS, params={"since": since, "wait": "20"},
                              headers={"Authorization": f"Bearer {key}"}, timeout=30)

        answers = [pool.submit(wait, key, since) for key, since in zip(keys, ends, strict=True)]
        started.wait()
        article_store.upsert(make_article(2), clock.now())
        items = [answer.result().json()["items"] for answer in answers]
    assert [["test:artikel-2"]] * 3 == [[item["altIds"][1]["value"] for item in got] for got in items]


def test_wait_with_nothing_new_answers_empty_when_time_is_up(
    quick_runtime: Runtime, partner_store: PartnerStore, clock: FixedClock
) -> None:
    """Nothing new within ``wait`` seconds: an empty page and the same cursor."""
    key = partner_store.add("Geduldig", clock.now()).key
    with partner_client(quick_runtime, "loopback") as client:
        page = client.get(ITEMS, params={"wait": "1"}, headers={"Authorization": f"Bearer {key}"}).json()
    assert ([], False) == (page["items"], page["has_more"])


@pytest.mark.parametrize("wait", ["-1", "eins", "1.5", "²"])
def test_malformed_wait_is_a_400(
    quick_runtime: Runtime, partner_store: PartnerStore, clock: FixedClock, wait: str
) -> None:
    """``wait`` must be whole seconds; anything else is refused naming the parameter."""
    key = partner_store.add("Falsch", clock.now()).key
    with partner_client(quick_runtime, "in-process") as client:
        answer = client.get(ITEMS, params={"wait": wait}, headers={"Authorization": f"Bearer {key}"})
    assert (400, "wait") == (answer.status_code, answer.json()["parameter"])
