"""Clicks without surveillance: article links go through ``/r/<signed token>`` on our own site.

The token (:mod:`syndication.mail.clicks`) names (edition, article, variant, slot) and, only with
``[tracking] per_subscriber``, the subscriber; it is signed with the site's secret (salt
``syndication.click``) and expires after ``[tracking] link_days``. The redirect goes to the
article's current URL from the store, never to a URL taken from the request: it cannot be used
as an open redirect. A token that is forged, damaged or names an unknown article gets 404; an
expired one still leads to the front page, without counting a click.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from itsdangerous import BadSignature, SignatureExpired
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from syndication.clock import Clock
from syndication.events.store import EventStore
from syndication.mail.clicks import Click, ClickTokens
from syndication.mail.events import EventKind, SendEvent
from syndication.model import Article

log = logging.getLogger(__name__)

PROVIDER = "redirect"


class ArticleLookup(Protocol):
    """Where a click's article is looked up (the real one: the article store)."""

    def get(self, article_id: str) -> Article | None: ...


class ClickRedirect:
    """``GET /r/<token>``: count the click (edition, article, variant), then send the reader on.

    ``tokens``, ``articles`` and ``events`` are made on first use: a site served without a secret
    key (feeds only) still starts.
    """

    def __init__(
        self, tokens: Callable[[], ClickTokens], articles: Callable[[], ArticleLookup],
        events: Callable[[], EventStore], *, site_url: str, per_subscriber: bool, clock: Clock,
    ) -> None:
        self.tokens = tokens
        self.articles = articles
        self.events = events
        self.site_url = site_url
        self.per_subscriber = per_subscriber
        self.clock = clock

    async def redirect(self, request: Request) -> Response:
        token = str(request.path_params.get("token", ""))
        try:
            click = self.tokens().read(token)
        except SignatureExpired:
            return RedirectResponse(self.site_url, status_code=302)
        except BadSignature:
            return PlainTextResponse("Unbekannter Link.", status_code=404)
        url = await run_in_threadpool(self._record, click, self.clock.now())
        if url is None:
            return PlainTextResponse("Unbekannter Link.", status_code=404)
        response = RedirectResponse(url, status_code=302)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def _record(self, click: Click, now: datetime) -> str | None:
        article = self.articles().get(click.article_id)
        if article is None or not article.url.startswith(("http://", "https://")):
            return None
        per_subscriber = self.per_subscriber
        event = SendEvent(
            provider=PROVIDER, provider_event_id=uuid.uuid4().hex, kind=EventKind.CLICK, occurred_at=now,
            edition_id=click.edition_id, subscriber_id=click.subscriber_id if per_subscriber else None,
            url=article.url, article_id=click.article_id, variant=click.variant, slot=click.slot,
        )
        self.events().record([event], now)
        return article.url


def routes(redirect: ClickRedirect) -> list[Route]:
    return [Route("/r/{token}", redirect.redirect, methods=["GET"])]
