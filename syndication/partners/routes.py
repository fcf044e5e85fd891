"""The partner API under ``/partners/v1/``: ninjs items by cursor (long-polling too) and a full-content Atom feed.

Every answer needs ``Authorization: Bearer <key>``. No key, an unknown key and a revoked
key all get the same 401 in the same time (the attempt is recorded after the answer); each
key has a token bucket, shared by every server process when ``[cache] url`` is set (429 with
``Retry-After``); each authenticated request is written to
the partner's request log. Answers carry a strong ETag (SHA-256 of the body) and a matching
``If-None-Match`` gets 304.

``/items?wait=SECONDS`` (at most 30) holds an empty answer until a new version arrives: the
handler is a coroutine that awaits the process's one :class:`~syndication.partners.waiting.ChangeWatcher`;
database work runs in the thread pool and no connection or thread is held while waiting.

The API takes only what it uses (:class:`PartnerApiInputs`): the stores, the clock, the two
configuration sections and the limits; the composition root builds them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from syndication.clock import Clock
from syndication.config import PartnersConfig, SiteConfig
from syndication.errors import ConfigError, InputError
from syndication.http_caching import is_not_modified, strong_etag
from syndication.partners.atom import EntriesFor, render_partner_atom
from syndication.partners.model import Partner, Terms
from syndication.partners.ninjs import to_ninjs
from syndication.partners.paging import MAX_LIMIT, Page, decode_cursor, latest_visible, read_page
from syndication.partners.ratelimit import partner_limiter
from syndication.partners.store import PartnerStore
from syndication.partners.versions import CANCELED, WITHHELD, ItemVersion, VersionLog
from syndication.partners.waiting import ChangeWatcher
from syndication.ratelimit import RateLimits
from syndication.store.articles import ArticleStore

log = logging.getLogger(__name__)

PREFIX = "/partners/v1"
ITEMS = "items"
FEED = "feed.atom"
JSON_TYPE = "application/json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# The longest a long-poll (``wait``) holds a request, in seconds.
MAX_WAIT = 30
# Versions kept as JSON per terms, for the many partners a long-poll wakes at once.
ITEM_CACHE_SIZE = 2000
_UNAUTHORIZED = json.dumps(
    {"error": "unauthorized", "message": "a valid partner API key is required: Authorization: Bearer <key>"}
).encode("utf-8")
# Authenticated answers differ per key: caches must not share them.
_PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def bearer_key(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


@dataclass(frozen=True)
class Answer:
    """What an endpoint produced for an authenticated partner, before ETag handling."""

    body: bytes
    media_type: str
    items: int
    # Recorded after the answer has gone out (a long-poll: many answers leave at once).
    record_later: bool = False


@dataclass(frozen=True)
class PartnerApiInputs:
    """What the partner API runs on; the stores are made on first use (the partner store needs the secret key)."""

    partner_store: Callable[[], PartnerStore]
    versions: Callable[[], VersionLog]
    articles: Callable[[], ArticleStore]
    clock: Clock
    site: SiteConfig
    config: PartnersConfig
    entries_for: EntriesFor
    limits: RateLimits


class PartnerApi:
    """The two endpoints, sharing authentication, rate limiting, logging and ETags."""

    def __init__(self, inputs: PartnerApiInputs) -> None:
        self.inputs = inputs
        self.clock = inputs.clock
        self.entries_for = inputs.entries_for
        self.limiter = partner_limiter(inputs.limits, inputs.config)
        self._items_made: dict[tuple[int, Terms], bytes] = {}
        self._unrecorded: list[tuple[int, datetime, str, int, int]] = []
        self._recording = threading.Lock()
        self._pending = threading.Lock()

    @cached_property
    def partners(self) -> PartnerStore:
        return self.inputs.partner_store()

    @cached_property
    def articles(self) -> ArticleStore:
        return self.inputs.articles()

    @cached_property
    def versions(self) -> VersionLog:
        return self.inputs.versions()

    @cached_property
    def watcher(self) -> ChangeWatcher:
        return ChangeWatcher(self.versions, self.inputs.config.longpoll_check_seconds)

    # -- endpoints (coroutines: database work goes to the thread pool, waiting does not) --

    async def items(self, request: Request) -> Response:
        return await self._serve(request, ITEMS, self._items)

    async def feed(self, request: Request) -> Response:
        return await self._serve(request, FEED, self._feed)

    # -- shared handling -----------------------------------------------------------

    def _admit(self, request: Request, endpoint: str) -> Partner | Response:
        """The partner of the request's key, or the refusal (503, 401, 429) to answer with."""
        try:
            store = self.partners
        except ConfigError as exc:
            log.error("partner API unavailable: %s", exc)
            return Response(_json({"error": "unavailable", "message": "the partner API is not configured"}),
                            status_code=503, media_type=JSON_TYPE)
        authentication = store.authenticate(bearer_key(request))
        partner = authentication.partner
        if partner is None or not authentication.ok:
            # Every refusal answers alike; what it was is recorded after the answer has gone out.
            return Response(_UNAUTHORIZED, status_code=401, media_type=JSON_TYPE,
                            headers={"WWW-Authenticate": 'Bearer realm="partners"'},
                            background=BackgroundTask(self._record_refusal, partner, endpoint))
        decision = self.limiter.hit(str(partner.id))
        if not decision.allowed:
            self._record(partner, endpoint, 429, 0)
            body = _json({"error": "rate_limited", "message": "too many requests; retry later",
                          "retry_after": decision.retry_after_seconds})
            return Response(body, status_code=429, media_type=JSON_TYPE,
                            headers={"Retry-After": str(decision.retry_after_seconds), **_PRIVATE})
        return partner

    async def _serve(
        self, request: Request, endpoint: str, produce: Callable[[Request, Partner], Awaitable[Answer]]
    ) -> Response:
        admitted = await run_in_threadpool(self._admit, request, endpoint)
        if isinstance(admitted, Response):
            return admitted
        partner = admitted
        try:
            answer = await produce(request, partner)
        except InputError as exc:
            await run_in_threadpool(self._record, partner, endpoint, 400, 0)
            body = _json({"error": "bad_request", "parameter": exc.where, "message": exc.reason})
            return Response(body, status_code=400, media_type=JSON_TYPE, headers=_PRIVATE)
        etag = strong_etag(answer.body)
        headers = {"ETag": etag, **_PRIVATE}
        status, items = (304, 0) if is_not_modified(request.headers, etag) else (200, answer.items)
        if answer.record_later:
            background = BackgroundTask(self._record_soon, partner, endpoint, status, items)
        else:
            await run_in_threadpool(self._record, partner, endpoint, status, items)
            background = None
        if status == 304:
            return Response(status_code=304, headers=headers, background=background)
        return Response(answer.body, media_type=answer.media_type, headers=headers, background=background)

    def _record_refusal(self, partner: Partner | None, endpoint: str) -> None:
        # A revoked key is logged to its partner, within its rate limit so it cannot flood the log.
        if partner is not None and self.limiter.hit(str(partner.id)).allowed:
            self._record(partner, endpoint, 401, 0)
        else:
            log.info("partner request refused: endpoint=%s status=401 (no or unknown key)", endpoint)

    def _record(self, partner: Partner, endpoint: str, status: int, items: int) -> None:
        # The partner's name is an organisation, not personal data; no address or key is logged.
        log.info("partner request: partner=%s endpoint=%s status=%d items=%d", partner.name, endpoint, status, items)
        self.partners.log_request(partner.id, self.clock.now(), endpoint, status, items)

    def _record_soon(self, partner: Partner, endpoint: str, status: int, items: int) -> None:
        """Record after the answer, together with the others that left at the same time (one transaction)."""
        log.info("partner request: partner=%s endpoint=%s status=%d items=%d", partner.name, endpoint, status, items)
        with self._pending:
            self._unrecorded.append((partner.id, self.clock.now(), endpoint, status, items))
        while self._unrecorded and self._recording.acquire(blocking=False):
            try:
                with self._pending:
                    batch, self._unrecorded = self._unrecorded, []
                self.partners.log_requests(batch)
            finally:
                self._recording.release()

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get("limit")
        if raw is None or raw == "":
            return min(self.inputs.config.page_limit, MAX_LIMIT)
        # isdigit() alone accepts „²“ or Arabic-Indic digits, and int() refuses very long strings.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) < 1:
            raise InputError("limit", "a whole number from 1 to %(most)s, not %(raw)r", most=MAX_LIMIT, raw=raw[:20])
        return min(int(raw), MAX_LIMIT)

    @staticmethod
    def _wait(request: Request) -> int:
        raw = request.query_params.get("wait")
        if raw is None or raw == "":
            return 0
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            raise InputError(
                "wait", "a whole number of seconds from 0 to %(most)s, not %(raw)r", most=MAX_WAIT, raw=raw[:20]
            )
        return min(int(raw), MAX_WAIT)

    def _terms(self, partner: Partner) -> Terms:
        return partner.terms(self.inputs.config, self.inputs.site)

    # -- producers -----------------------------------------------------------------

    def _first_page(self, partner: Partner, since: str | None, limit: int) -> tuple[Page, int]:
        """The page after ``since`` and the log's head read before it (what a long-poll waits to pass)."""
        versions = self.versions
        versions.catch_up()
        head = versions.head()
        return read_page(versions, partner, decode_cursor(since).resolve(versions), limit, self.clock.now()), head

    def _item(self, version: ItemVersion, terms: Terms) -> bytes:
        """One version as JSON for partners with these terms; made once (500 woken partners share it)."""
        key = (version.position, terms)
        item = self._items_made.get(key)
        if item is None:
            item = _json(to_ninjs(version.article, terms, version))
            if len(self._items_made) >= ITEM_CACHE_SIZE:
                self._items_made.clear()
            self._items_made[key] = item
        return item

    def _items_body(self, partner: Partner, page: Page) -> bytes:
        terms = self._terms(partner)
        # The same bytes as json.dumps of the whole page with the same separators.
        items = b",".join(self._item(version, terms) for version in page.changes)
        return (b'{"items":[' + items + b'],"next":' + _json(page.next_cursor) + b',"has_more":'
                + (b"true" if page.has_more else b"false") + b"}")

    def _woken_page(self, partner: Partner, cursor: int, limit: int) -> tuple[Page, bytes]:
        page = read_page(self.watcher.cached, partner, cursor, limit, self.clock.now())
        return page, self._items_body(partner, page)

    async def _items(self, request: Request, partner: Partner) -> Answer:
        limit = self._limit(request)
        wait = self._wait(request)
        page, head = await run_in_threadpool(self._first_page, partner, request.query_params.get("since"), limit)
        waited = False
        if wait and not page.changes and not page.has_more:
            watcher = self.watcher
            loop_time = asyncio.get_running_loop().time
            deadline = loop_time() + wait
            while not page.changes and not page.has_more and (remaining := deadline - loop_time()) > 0:
                if not await watcher.wait_beyond(head, remaining):
                    break
                waited, head = True, watcher.head
                if watcher.cached.covers(page.cursor):
                    # In memory and made once for everybody: cheaper here than a trip to the thread pool.
                    page, body = self._woken_page(partner, page.cursor, limit)
                else:
                    page, body = await run_in_threadpool(self._woken_page, partner, page.cursor, limit)
            if waited:
                return Answer(body, JSON_TYPE, len(page.changes), record_later=True)
        body = await run_in_threadpool(self._items_body, partner, page)
        return Answer(body, JSON_TYPE, len(page.changes))

    async def _feed(self, request: Request, partner: Partner) -> Answer:
        return await run_in_threadpool(self._feed_answer, request, partner)

    def _feed_answer(self, request: Request, partner: Partner) -> Answer:
        limit = self._limit(request)
        since = request.query_params.get("since")
        site = self.inputs.site
        terms = self._terms(partner)
        self_url = site.url.rstrip("/") + f"{PREFIX}/{FEED}"
        next_url = None
        reasons: dict[str, str] = {}
        if since is None:
            articles = latest_visible(self.articles, partner, self.clock.now(), limit)
        else:
            versions = self.versions
            versions.catch_up()
            page = read_page(versions, partner, decode_cursor(since).resolve(versions), limit, self.clock.now())
            # A withheld version has nothing to show yet; a canceled one is a tombstone with its reason.
            shown = [version for version in page.changes if version.pub_status != WITHHELD]
            articles = [version.article for version in shown]
            reasons = {version.article_id: version.note for version in shown
                       if version.pub_status == CANCELED and version.note}
            self_url += "?" + urlencode({"since": since, "limit": limit})
            next_url = site.url.rstrip("/") + f"{PREFIX}/{FEED}?" + urlencode(
                {"since": page.next_cursor, "limit": limit}
            )
        body = render_partner_atom(articles, partner, terms, self.entries_for, self_url=self_url,
                                   site_title=site.name, language=site.language, next_url=next_url, reasons=reasons)
        return Answer(body, ATOM_TYPE, len(articles))


def routes(inputs: PartnerApiInputs) -> list[BaseRoute]:
    """The partner API's routes (GET; HEAD is answered too)."""
    api = PartnerApi(inputs)
    return [
        Route(f"{PREFIX}/{ITEMS}", api.items, methods=["GET"]),
        Route(f"{PREFIX}/{FEED}", api.feed, methods=["GET"]),
    ]
