"""The sign-up pages: ``/subscribe`` (our own form) and ``/subscribe/embed`` (a form on a publisher's site).

Both are limited per client and end in the same double opt-in. Our own form is guarded by a
browser-bound, single-use form token and refuses posts from other sites (:mod:`subscribers.formguard`).
The embeddable form cannot carry such a token (it is plain HTML on another site); it has its own
protection instead: a honeypot field, the shared rate limit, an optional list of the sites allowed to
carry it (``[subscribers] embed_origins``) and the double opt-in, which alone makes a subscription.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from subscribers.formguard import (
    COOKIE_NAME,
    COOKIE_PATH,
    FormToken,
    SubscribeFormGuard,
    own_origins,
    same_origin,
    web_origin,
)
from subscribers.model import Frequency
from subscribers.ratelimit import SubscribeRateLimiter
from subscribers.service import FREQUENCY_LABELS, Consent, SubscriptionService
from syndication.errors import InputError
from syndication.i18n import N_, Translator
from syndication.mail.addresses import normalise_email
from syndication.ratelimit import RateLimits
from syndication.tokens import TokenInvalid

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from syndication.clock import Clock
    from syndication.config import Settings

log = logging.getLogger(__name__)

HONEYPOT_FIELD = "homepage_url"
CSRF_FIELD = "csrf"
EMBED_PATH = "/subscribe/embed"


class SignUpPages:
    """The sign-up handlers of :class:`subscribers.routes.SubscriberPages`, which provides the rendering."""

    settings: Settings
    clock: Clock
    secret_key: Callable[[], str]
    engine: Callable[[], Engine]
    service: SubscriptionService
    rate_limits: RateLimits

    if TYPE_CHECKING:

        def page(self, template: str, context: Mapping[str, Any], status_code: int = 200, *, request: Request,
                 background: BackgroundTask | None = None,
                 headers: Mapping[str, str] | None = None) -> HTMLResponse: ...

        def message(self, title: str, text: str, status_code: int = 200, *, request: Request,
                    link_url: str | None = None, link_text: str | None = None,
                    background: BackgroundTask | None = None,
                    headers: Mapping[str, str] | None = None) -> HTMLResponse: ...

        def token_error(self, reason: str, status_code: int = 400, *, request: Request) -> HTMLResponse: ...

        def words(self, request: Request) -> Translator: ...

        def locale(self, request: Request) -> str: ...

    @cached_property
    def limiter(self) -> SubscribeRateLimiter:
        config = self.settings.subscribers
        return SubscribeRateLimiter(
            self.rate_limits,
            self.secret_key(),
            limit=config.subscribe_rate_limit,
            window=timedelta(seconds=config.subscribe_rate_window_seconds),
        )

    @cached_property
    def guard(self) -> SubscribeFormGuard:
        return SubscribeFormGuard(self.engine(), self.secret_key(), self.clock)

    # -- /subscribe --------------------------------------------------------------

    def _subscribe_form(
        self, request: Request, cookie: str | None, values: Mapping[str, Any], errors: Mapping[str, str],
        status_code: int = 200,
    ) -> HTMLResponse:
        """The form; ``errors`` are msgids per field."""
        categories, regions = self.service.known_topics()
        form_token = self.guard.issue(cookie)
        words = self.words(request)
        context = {
            "title": words.gettext("Subscribe to the newsletter"),
            "categories": categories,
            "regions": regions,
            "frequencies": [(f.value, words.gettext(FREQUENCY_LABELS[f])) for f in Frequency],
            "newsletters": self.service.offered_newsletters(),
            "values": {"email": "", "name": "", "topics": [], "frequency": "daily", "newsletters": [], **values},
            "errors": {field: words.gettext(error) for field, error in errors.items()},
            "csrf": form_token.token,
            "honeypot": HONEYPOT_FIELD,
            "wording_version": self.settings.subscribers.consent_wording_version,
        }
        response = self.page("subscribe.html.j2", context, status_code, request=request)
        self._set_cookie(response, form_token)
        return response

    def _set_cookie(self, response: Response, form_token: FormToken) -> None:
        if not form_token.set_cookie:
            return
        response.set_cookie(
            COOKIE_NAME,
            form_token.cookie,
            max_age=int(self.guard.max_age.total_seconds()),
            path=COOKIE_PATH,
            secure=self.settings.site.url.startswith("https:"),
            httponly=True,
            samesite="strict",
        )

    async def subscribe_form(self, request: Request) -> Response:
        return await run_in_threadpool(self._subscribe_form, request, request.cookies.get(COOKIE_NAME), {}, {})

    async def _within_limit(self, client: str, request: Request) -> Response | None:
        """None when ``client`` may sign up now; else the 429 page."""
        decision = await run_in_threadpool(self.limiter.attempt, client)
        if decision.allowed:
            return None
        log.warning("sign-up rate limit reached for a client")
        return self.message(
            N_("Too many attempts"),
            N_("Very many sign-ups came from your connection just now. Please try again later."),
            429,
            request=request,
            headers={"Retry-After": str(decision.retry_after_seconds)},
        )

    def _own_origins(self, request: Request) -> set[str]:
        return own_origins(self.settings.site.url, f"{request.url.scheme}://{request.url.netloc}")

    async def subscribe(self, request: Request) -> Response:
        # Before the limit: a page of another site must not use up its visitors' sign-up attempts.
        if not same_origin(dict(request.headers), self._own_origins(request)):
            log.info("sign-up refused: posted from another site")
            return self.token_error("cross-site", 403, request=request)
        client = request.client.host if request.client else "unknown"
        refused = await self._within_limit(client, request)
        if refused is not None:
            return refused
        form = await request.form()
        cookie = request.cookies.get(COOKIE_NAME)
        try:
            await run_in_threadpool(self.guard.check, cookie, str(form.get(CSRF_FIELD, "")))
        except TokenInvalid as exc:
            log.info("sign-up refused: form token %s", exc.reason)
            return self.token_error("form", request=request)
        return await self._sign_up(request, form, client, cookie, form_name="web:/subscribe")

    async def subscribe_embed(self, request: Request) -> Response:
        """A sign-up from a form on another site (the embed): no form token, its own bot protection."""
        client = request.client.host if request.client else "unknown"
        refused = await self._within_limit(client, request)
        if refused is not None:
            return refused
        allowed = own_origins(*self.settings.subscribers.embed_origins)
        origin = web_origin(request.headers.get("origin", ""))
        if allowed and origin not in allowed:
            log.info("embedded sign-up refused: origin not in [subscribers] embed_origins")
            return self.token_error("cross-site", 403, request=request)
        form = await request.form()
        # Where the form was (the publisher's site) is part of the consent record.
        form_name = f"web:{EMBED_PATH}" + (f" from {origin}" if origin else "")
        return await self._sign_up(request, form, client, request.cookies.get(COOKIE_NAME), form_name=form_name[:200])

    async def _sign_up(
        self, request: Request, form: FormData, client: str, cookie: str | None, *, form_name: str
    ) -> Response:
        if str(form.get(HONEYPOT_FIELD, "")).strip():
            log.info("sign-up dropped: honeypot field filled")
            return self._sent(request)
        values = {
            "email": str(form.get("email", "")).strip(),
            "name": str(form.get("name", "")).strip()[:200],
            "topics": [str(t) for t in form.getlist("topics")],
            "frequency": str(form.get("frequency", "daily")),
            "newsletters": [str(n) for n in form.getlist("newsletters")],
            # The browser's zone (filled in by the forms' script); checked by the service, never shown as an error.
            "timezone": str(form.get("timezone", "")).strip()[:100],
        }
        errors: dict[str, str] = {}
        try:
            normalise_email(values["email"])
        except InputError:
            errors["email"] = N_("Please enter a valid email address, e.g. name@example.com.")
        if values["frequency"] not in {f.value for f in Frequency}:
            errors["frequency"] = N_("Please choose how often you want to receive the newsletter.")
        if errors:
            # Corrected on our own form, with its own token.
            return await run_in_threadpool(self._subscribe_form, request, cookie, values, errors, 400)
        consent = Consent(form=form_name, ip=client, user_agent=request.headers.get("user-agent"))
        outgoing = await run_in_threadpool(
            lambda: self.service.request(
                values["email"],
                topics=self.service.clean_topics(values["topics"]),
                frequency=Frequency(values["frequency"]),
                consent=consent,
                name=values["name"] or None,
                # A form without newsletter boxes (an older embed) signs up as before: by frequency.
                newsletters=self.service.clean_newsletters(values["newsletters"]) or None,
                # The language the reader read the form in: their confirmation and welcome mails speak it.
                language=self.locale(request),
                timezone=values["timezone"] or None,
            )
        )
        background = BackgroundTask(self.service.deliver, outgoing) if outgoing else None
        return self._sent(request, background)

    def _sent(self, request: Request, background: BackgroundTask | None = None) -> HTMLResponse:
        # Byte for byte the same page for every address (in one language): new, pending, active, unsubscribed.
        return self.message(
            N_("Almost done – please check your inbox"),
            N_(
                "If the address can be signed up, you will receive an email with a confirmation link within a few "
                "minutes. Your subscription is active only once you click it. No email received? Please also look "
                "in your spam folder."
            ),
            request=request,
            background=background,
        )
