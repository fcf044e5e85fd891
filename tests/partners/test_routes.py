"""The partner API, in process and over loopback HTTP: keys, scope, embargo, cursor, rate limit, ETag, log, Atom."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import feedparser
import httpx
import pytest
from jsonschema import Draft202012Validator

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.model import Status
from syndication.partners.store import PartnerStore
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

from .helpers import TEST_SECRET, TRANSPORTS, partner_client, schema_errors, with_rate_limit

ITEMS = "/partners/v1/items"
FEED = "/partners/v1/feed.atom"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def follow(client: httpx.Client, key: str, since: str | None = None, limit: int = 2) -> tuple[list, str]:
    """Every (external id, version) served by following the cursor, and the final cursor."""
    served = []
    while True:
        params = {"limit": str(limit)} | ({"since": since} if since else {})
        answer = client.get(ITEMS, params=params, headers=bearer(key))
        assert 200 == answer.status_code, answer.text
        data = answer.json()
        served += [(item["altIds"][1]["value"].split(":", 1)[1], int(item["version"])) for item in data["items"]]
        since = data["next"]
        if not data["has_more"]:
            return served, since


@pytest.fixture
def key(partner_store: PartnerStore, clock: FixedClock) -> str:
    return partner_store.add("Alle", clock.now()).key


def test_no_wrong_and_revoked_keys_get_the_same_401(
    client: httpx.Client, partner_store: PartnerStore, clock: FixedClock, key: str
) -> None:
    """Without a key, with an unknown key and with a revoked key the answer is the same 401."""
    revoked = partner_store.add("Ehemalig", clock.now()).key
    partner_store.revoke("Ehemalig", clock.now())
    answers = [
        client.get(ITEMS),
        client.get(ITEMS, headers={"Authorization": "Basic dXNlcjpwdw=="}),
        client.get(ITEMS, headers=bearer(key[:-2] + "AA")),
        client.get(ITEMS, headers=bearer(revoked)),
        client.get(FEED, headers=bearer(revoked)),
    ]
    assert [401] * 5 == [answer.status_code for answer in answers]
    assert 1 == len({answer.content for answer in answers})
    assert 'Bearer realm="partners"' == answers[0].headers["WWW-Authenticate"]
    assert 200 == client.get(ITEMS, headers=bearer(key)).status_code


def test_items_are_valid_ninjs_with_cursor(
    client: httpx.Client, article_store: ArticleStore, clock: FixedClock, key: str,
    ninjs_validator: Draft202012Validator,
) -> None:
    """The answer holds schema-valid ninjs items, an opaque next cursor and has_more."""
    for number in (1, 2, 3):
        article_store.upsert(make_article(number), clock.now())
    answer = client.get(ITEMS, params={"limit": "2"}, headers=bearer(key))
    data = answer.json()
    assert ("application/json; charset=utf-8", 2, True) == (
        answer.headers["content-type"], len(data["items"]), data["has_more"]
    )
    assert [[], []] == [schema_errors(ninjs_validator, item) for item in data["items"]]
    assert "trainedAlgorithmicMedia" in data["items"][0]["associations"][0]["digitalSourceType"]["uri"]
    rest = client.get(ITEMS, params={"since": data["next"]}, headers=bearer(key)).json()
    assert (1, False) == (len(rest["items"]), rest["has_more"])


def test_partner_sees_only_its_categories(
    client: httpx.Client, partner_store: PartnerStore, article_store: ArticleStore, clock: FixedClock
) -> None:
    """Partner A (Sport) never sees Politik articles; partner B (all) sees both."""
    sport = partner_store.add("A", clock.now(), categories=["Sport"]).key
    everything = partner_store.add("B", clock.now()).key
    article_store.upsert(make_article(1, categories=("Politik",)), clock.now())
    article_store.upsert(make_article(2, categories=("Sport",)), clock.now())
    article_store.upsert(make_article(3, categories=("Politik", "Wirtschaft")), clock.now())
    assert [("artikel-2", 1)] == follow(client, sport)[0]
    assert ["artikel-1", "artikel-2", "artikel-3"] == [name for name, _ in follow(client, everything)[0]]


def test_embargoed_item_appears_once_its_time_has_passed(
    client: httpx.Client, partner_store: PartnerStore, article_store: ArticleStore, clock: FixedClock
) -> None:
    """With a 2-hour embargo a fresh article is invisible, then appears exactly once."""
    key = partner_store.add("Später", clock.now(), embargo_minutes=120).key
    article_store.upsert(make_article(1, published=clock.now() - timedelta(hours=3)), clock.now())
    fresh = clock.now() - timedelta(minutes=30)
    article_store.upsert(make_article(2, published=fresh), clock.now())
    served, cursor = follow(client, key)
    assert [("artikel-1", 1)] == served
    clock.advance(timedelta(minutes=89))
    assert [] == follow(client, key, cursor)[0]
    clock.advance(timedelta(minutes=2))
    served, cursor = follow(client, key, cursor)
    assert [("artikel-2", 1)] == served
    assert [] == follow(client, key, cursor)[0]
    item = client.get(ITEMS, headers=bearer(key)).json()["items"][1]
    assert (fresh + timedelta(minutes=120)).isoformat().replace("+00:00", "Z") == item["embargoedUntil"]


def test_cursor_paging_while_articles_change(
    client: httpx.Client, article_store: ArticleStore, clock: FixedClock, key: str
) -> None:
    """Following cursors while articles are edited returns every version once, in order, edits with higher
    versions (an article edited before it was fetched comes in both versions)."""
    for number in range(1, 6):
        article_store.upsert(make_article(number), clock.now())
    first = client.get(ITEMS, params={"limit": "2"}, headers=bearer(key)).json()
    served = [(item["altIds"][1]["value"].split(":", 1)[1], int(item["version"])) for item in first["items"]]
    clock.advance(timedelta(minutes=1))
    article_store.upsert(make_article(2, title="Korrigiert"), clock.now())
    article_store.upsert(make_article(5, title="Korrigiert"), clock.now())
    article_store.upsert(make_article(6), clock.now())
    middle, cursor = follow(client, key, first["next"])
    served += middle
    article_store.retract([make_article(1).id], clock.now())
    last, _ = follow(client, key, cursor)
    served += last
    assert [("artikel-1", 1), ("artikel-2", 1), ("artikel-3", 1), ("artikel-4", 1), ("artikel-5", 1),
            ("artikel-2", 2), ("artikel-5", 2), ("artikel-6", 1), ("artikel-1", 2)] == served
    assert len(served) == len(set(served))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rate_limit_answers_429_with_retry_after(
    settings: Settings, clock: FixedClock, partner_store: PartnerStore, key: str, transport: str
) -> None:
    """Beyond the per-minute limit a key gets 429 and Retry-After; another key is not affected."""
    other = partner_store.add("Andere", clock.now()).key
    runtime = Runtime(with_rate_limit(settings, 3), Secrets(secret_key=TEST_SECRET), clock)
    with partner_client(runtime, transport) as client:
        statuses = [client.get(ITEMS, headers=bearer(key)).status_code for _ in range(3)]
        refused = client.get(ITEMS, headers=bearer(key))
        assert ([200, 200, 200], 429, "20") == (statuses, refused.status_code, refused.headers["Retry-After"])
        assert 200 == client.get(ITEMS, headers=bearer(other)).status_code
        clock.advance(timedelta(seconds=20))
        assert 200 == client.get(ITEMS, headers=bearer(key)).status_code
    runtime.close()


def test_etag_gives_304_until_something_changes(
    client: httpx.Client, article_store: ArticleStore, clock: FixedClock, key: str
) -> None:
    """A repeated request with If-None-Match gets 304; a change makes a new ETag."""
    article_store.upsert(make_article(1), clock.now())
    for path in (ITEMS, FEED):
        first = client.get(path, headers=bearer(key))
        etag = first.headers["ETag"]
        again = client.get(path, headers=bearer(key) | {"If-None-Match": etag})
        assert (304, b"", etag) == (again.status_code, again.content, again.headers["ETag"])
    old = client.get(ITEMS, headers=bearer(key)).headers["ETag"]
    article_store.upsert(make_article(1, title="Neu"), clock.now())
    changed = client.get(ITEMS, headers=bearer(key) | {"If-None-Match": old})
    assert (200, True) == (changed.status_code, changed.headers["ETag"] != old)


def test_every_request_is_logged_per_partner_without_keys(
    client: httpx.Client, partner_store: PartnerStore, article_store: ArticleStore, clock: FixedClock, key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Time, endpoint, status and items served go to the partner's log; the log line holds no key."""
    for number in (1, 2, 3):
        article_store.upsert(make_article(number), clock.now())
    with caplog.at_level(logging.INFO, logger="syndication.partners.routes"):
        client.get(ITEMS, headers=bearer(key))
        client.get(FEED, params={"limit": "1"}, headers=bearer(key))
        client.get(ITEMS, params={"limit": "x"}, headers=bearer(key))
        client.get(ITEMS, headers=bearer("synd_" + "x" * 43))
    partner = partner_store.get("Alle")
    assert [(clock.now(), "items", 200, 3), (clock.now(), "feed.atom", 200, 1), (clock.now(), "items", 400, 0)] == (
        partner_store.requests(partner.id)
    )
    assert "partner=Alle endpoint=items status=200 items=3" in caplog.text
    assert key not in caplog.text and "xxxxxxxx" not in caplog.text


def test_bad_parameters_are_400(client: httpx.Client, key: str) -> None:
    """A malformed cursor or limit is answered 400 naming the parameter."""
    assert [(400, "since"), (400, "limit"), (400, "limit")] == [
        (answer.status_code, answer.json()["parameter"])
        for answer in (
            client.get(ITEMS, params={"since": "erfunden"}, headers=bearer(key)),
            client.get(ITEMS, params={"limit": "0"}, headers=bearer(key)),
            client.get(FEED, params={"limit": "-3"}, headers=bearer(key)),
        )
    ]


def test_odd_limits_are_400_not_server_errors(client: httpx.Client, key: str) -> None:
    """A limit of non-ASCII digits („²“, „١“) or thousands of digits is a 400 on both endpoints, never a 500."""
    odd = ["\u00b2", "\u0661", "9" * 5000]
    answers = [
        client.get(path, params={"limit": value}, headers=bearer(key)) for path in (ITEMS, FEED) for value in odd
    ]
    assert [(400, "limit")] * 6 == [(answer.status_code, answer.json()["parameter"]) for answer in answers]


def test_atom_feed_has_full_content_rights_and_media_credits(
    client: httpx.Client, article_store: ArticleStore, clock: FixedClock, key: str, settings: Settings
) -> None:
    """The Atom feed carries full content, the rights statement per entry and image credits."""
    article_store.upsert(make_article(1), clock.now())
    article_store.upsert(make_article(2, categories=("Sport",)), clock.now())
    answer = client.get(FEED, headers=bearer(key))
    feed = feedparser.parse(answer.content)
    entry = feed.entries[1]
    assert ("application/atom+xml; charset=utf-8", 0, 2) == (
        answer.headers["content-type"], feed.bozo, len(feed.entries)
    )
    assert ["artikel-1", "artikel-2"] == sorted(e.link.rstrip("/").rsplit("/", 1)[1] for e in feed.entries)
    assert settings.partners.rights_text in entry.rights
    assert "Wichtigste Fakten" in entry.content[0].value
    assert b"<media:credit>Pfalz-Rundschau</media:credit>" in answer.content
    assert b"trainedAlgorithmicMedia" in answer.content


def test_atom_feed_for_summary_only_partner_has_no_content(
    client: httpx.Client, partner_store: PartnerStore, article_store: ArticleStore, clock: FixedClock
) -> None:
    """A summary-only partner's feed has summaries and links but no full text."""
    key = partner_store.add("Kurz", clock.now(), summary_only=True).key
    article_store.upsert(make_article(1), clock.now())
    document = client.get(FEED, headers=bearer(key)).content
    feed = feedparser.parse(document)
    assert (1, False, True) == (len(feed.entries), b"<content" in document, bool(feed.entries[0].summary))
    assert "Wichtigste Fakten" not in document.decode("utf-8")


def test_paged_atom_feed_has_next_link_and_tombstones(
    client: httpx.Client, article_store: ArticleStore, clock: FixedClock, key: str
) -> None:
    """With a cursor the feed is a page of versions: a next link, a withdrawal as a deleted-entry with its reason."""
    article_store.upsert(make_article(1), clock.now())
    article_store.upsert(make_article(2), clock.now())
    article_store.upsert(make_article(3), clock.now())
    article_store.retract([make_article(1).id], clock.now())
    start = client.get(ITEMS, params={"limit": "1"}, headers=bearer(key)).json()
    answer = client.get(FEED, params={"since": start["next"]}, headers=bearer(key))
    feed = feedparser.parse(answer.content)
    assert 2 == len(feed.entries)
    assert b"at:deleted-entry" in answer.content
    assert b"<at:comment>Vom Verlag zur\xc3\xbcckgezogen.</at:comment>" in answer.content
    next_links = [link.href for link in feed.feed.links if link.rel == "next"]
    assert 1 == len(next_links) and next_links[0].startswith("http://localhost:8000/partners/v1/feed.atom?since=")


def test_retracted_item_is_canceled_in_items(
    client: httpx.Client, article_store: ArticleStore, clock: FixedClock, key: str
) -> None:
    """A retraction reaches the partner as a canceled ninjs item, after the version it cancels."""
    article_store.upsert(make_article(1), clock.now())
    article_store.retract([make_article(1).id], clock.now())
    items = client.get(ITEMS, headers=bearer(key)).json()["items"]
    assert [("usable", "1"), ("canceled", "2")] == [(item["pubStatus"], item["version"]) for item in items]
    assert Status.RETRACTED == article_store.get(make_article(1).id).status


def test_revoked_key_attempts_are_logged_to_the_partner(
    client: httpx.Client, partner_store: PartnerStore, clock: FixedClock
) -> None:
    """A request with a revoked key is refused and recorded against the partner as a 401 (after the answer)."""
    key = partner_store.add("Ehemalig", clock.now()).key
    partner_store.revoke("Ehemalig", clock.now())
    assert 401 == client.get(FEED, headers=bearer(key)).status_code
    partner_id = partner_store.get("Ehemalig").id
    deadline = time.monotonic() + 5
    while not partner_store.requests(partner_id) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [(clock.now(), "feed.atom", 401, 0)] == partner_store.requests(partner_id)
