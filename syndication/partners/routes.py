"""The partner API under ``/partners/v1/``: ninjs items by cursor and a full-content Atom feed.

Every answer needs ``Authorization: Bearer <key>``. No key, an unknown key and a revoked
key all get the same 401 in the same time (the attempt is recorded after the answer); each
key has a token bucket, shared by every server process when ``[cache] url`` is set (429 with
``Retry-After``); each authenticated request is written to
the partner's request log. Answers carry a strong ETag (SHA-256 of the body) and a matching
``If-None-Match`` gets 304.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from syndication.errors import ConfigError, InputError
from syndication.http_caching import is_not_modified, strong_etag
from syndication.partners.atom import EntriesFor, render_partner_atom
from syndication.partners.model import Partner, Terms
from syndication.partners.ninjs import to_ninjs
from syndication.partners.paging import MAX_LIMIT, decode_cursor, latest_visible, read_page
from syndication.partners.ratelimit import partner_limiter
from syndication.partners.store import PartnerStore
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore

log = logging.getLogger(__name__)

PREFIX = "/partners/v1"
ITEMS = "items"
FEED = "feed.atom"
JSON_TYPE = "application/json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
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


class PartnerApi:
    """The two endpoints, sharing authentication, rate limiting, logging and ETags."""

    def __init__(self, runtime: Runtime, entries_for: EntriesFor, limits: RateLimits | None = None) -> None:
        self.runtime = runtime
        self.entries_for = entries_for
        limits = limits or RateLimits.from_config(runtime.settings.cache, runtime.clock)
        self.limiter = partner_limiter(limits, runtime.settings.partners)

    @cached_property
    def partners(self) -> PartnerStore:
        return PartnerStore(self.runtime.engine, self.runtime.secrets.require_secret_key())

    @cached_property
    def articles(self) -> ArticleStore:
        return ArticleStore(self.runtime.engine)

    # -- endpoints (sync: Starlette runs them in its thread pool; the store is synchronous) --

    def items(self, request: Request) -> Response:
        return self._serve(request, ITEMS, self._items)

    def feed(self, request: Request) -> Response:
        return self._serve(request, FEED, self._feed)

    # -- shared handling -----------------------------------------------------------

    def _serve(self, request: Request, endpoint: str, produce: Callable[[Request, Partner], Answer]) -> Response:
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
        try:
            answer = produce(request, partner)
        except InputError as exc:
            self._record(partner, endpoint, 400, 0)
            body = _json({"error": "bad_request", "parameter": exc.where, "message": exc.reason})
            return Response(body, status_code=400, media_type=JSON_TYPE, headers=_PRIVATE)
        etag = strong_etag(answer.body)
        headers = {"ETag": etag, **_PRIVATE}
        if is_not_modified(request.headers, etag):
            self._record(partner, endpoint, 304, 0)
            return Response(status_code=304, headers=headers)
        self._record(partner, endpoint, 200, answer.items)
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    def _record_refusal(self, partner: Partner | None, endpoint: str) -> None:
        # A revoked key is logged to its partner, within its rate limit so it cannot flood the log.
        if partner is not None and self.limiter.hit(str(partner.id)).allowed:
            self._record(partner, endpoint, 401, 0)
        else:
            log.info("partner request refused: endpoint=%s status=401 (no or unknown key)", endpoint)

    def _record(self, partner: Partner, endpoint: str, status: int, items: int) -> None:
        # The partner's name is an organisation, not personal data; no address or key is logged.
        log.info("partner request: partner=%s endpoint=%s status=%d items=%d", partner.name, endpoint, status, items)
        self.partners.log_request(partner.id, self.runtime.clock.now(), endpoint, status, items)

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get("limit")
        if raw is None or raw == "":
            return min(self.runtime.settings.partners.page_limit, MAX_LIMIT)
        # isdigit() alone accepts „²“ or Arabic-Indic digits, and int() refuses very long strings.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) < 1:
            raise InputError("limit", f"a whole number from 1 to {MAX_LIMIT}, not {raw[:20]!r}")
        return min(int(raw), MAX_LIMIT)

    def _terms(self, partner: Partner) -> Terms:
        settings = self.runtime.settings
        return partner.terms(settings.partners, settings.site)

    # -- producers -----------------------------------------------------------------

    def _items(self, request: Request, partner: Partner) -> Answer:
        limit = self._limit(request)
        cursor = decode_cursor(request.query_params.get("since"))
        page = read_page(self.articles, partner, cursor, limit, self.runtime.clock.now())
        terms = self._terms(partner)
        body = _json(
            {
                "items": [to_ninjs(article, terms) for article in page.articles],
                "next": page.next_cursor,
                "has_more": page.has_more,
            }
        )
        return Answer(body, JSON_TYPE, len(page.changes))

    def _feed(self, request: Request, partner: Partner) -> Answer:
        limit = self._limit(request)
        since = request.query_params.get("since")
        settings = self.runtime.settings
        terms = self._terms(partner)
        self_url = settings.site.url.rstrip("/") + f"{PREFIX}/{FEED}"
        next_url = None
        if since is None:
            articles = latest_visible(self.articles, partner, self.runtime.clock.now(), limit)
        else:
            page = read_page(self.articles, partner, decode_cursor(since), limit, self.runtime.clock.now())
            articles = page.articles
            self_url += "?" + urlencode({"since": since, "limit": limit})
            next_url = settings.site.url.rstrip("/") + f"{PREFIX}/{FEED}?" + urlencode(
                {"since": page.next_cursor, "limit": limit}
            )
        body = render_partner_atom(articles, partner, terms, self.entries_for, self_url=self_url,
                                   site_title=settings.site.name, language=settings.site.language, next_url=next_url)
        return Answer(body, ATOM_TYPE, len(articles))


def routes(runtime: Runtime, entries_for: EntriesFor, limits: RateLimits | None = None) -> list[BaseRoute]:
    """The partner API's routes (GET; HEAD is answered too).

    ``entries_for``: how the site's feeds write articles (the feeds' ``ArticleEntries.for_partner``);
    ``limits``: the process's shared rate limits.
    """
    api = PartnerApi(runtime, entries_for, limits)
    return [
        Route(f"{PREFIX}/{ITEMS}", api.items, methods=["GET"]),
        Route(f"{PREFIX}/{FEED}", api.feed, methods=["GET"]),
    ]
