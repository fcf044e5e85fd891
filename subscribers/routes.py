"""The subscriber pages and the SendGrid webhook (Starlette routes for ``syndication serve``).

Pages speak the reader's language (``?lang=``, remembered in a cookie, else ``Accept-Language``, else the
site's ``[site] language``; every word from the catalogs of :mod:`syndication.i18n`), work without
JavaScript, and never reveal whether an address is known.
Links carry signed tokens; the pages' own forms carry a signed form token (CSRF); the sign-up
form's is bound to the browser and used once (:mod:`subscribers.signup`). The RFC 8058 one-click
POST needs neither cookies nor a form token: the link's token suffices.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from subscribers.model import Frequency, Subscriber, SubscriberStatus, clean_timezone
from subscribers.service import (
    FREQUENCY_LABELS,
    Consent,
    SubscriptionService,
    offers_reader_zones,
)
from subscribers.signup import CSRF_FIELD, EMBED_PATH, SignUpPages
from subscribers.store import UNCHANGED
from subscribers.webhook import (
    EventObserver,
    EventProcessor,
    EventSink,
    SignatureRejected,
    parse_events,
    verify_request,
)
from subscribers.zones import ZONE_SCRIPT, ZONE_SCRIPT_HASH, canonical_zone, zone_groups
from syndication.clock import Clock
from syndication.config import Settings
from syndication.errors import InputError
from syndication.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_SECONDS,
    N_,
    Translator,
    available_locales,
    language_name,
    page_locale,
    translator,
)
from syndication.paths import template_search_path
from syndication.ratelimit import RateLimits
from syndication.templates import render_template
from syndication.tokens import Purpose, TokenInvalid
from syndication.webhook_keys import load_public_key

log = logging.getLogger(__name__)

# SendGrid posts batches well below this; anything larger is refused before it is read into memory.
MAX_WEBHOOK_BODY_BYTES = 4 * 1024 * 1024
# The reason as stored with the unsubscribe (unchanged, German) and the msgid the page shows for it.
REASON_LABELS = {
    "too_many": N_("Too many emails"),
    "not_relevant": N_("Content not interesting"),
    "never_subscribed": N_("Never signed up"),
    "other": N_("Other reason"),
}
UNSUBSCRIBE_REASONS = {
    "": "page",
    "too_many": "Zu viele E-Mails",
    "not_relevant": "Inhalte nicht interessant",
    "never_subscribed": "Nie angemeldet",
    "other": "Anderer Grund",
}
_HEADERS = {
    # Tokens are in the URL: never leak them to another site through the Referer header.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{ZONE_SCRIPT_HASH}'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}
# msgids (English); the pages show them in the reader's language.
_ERRORS = {
    "expired": (
        N_("This link has expired"),
        N_(
            "For security reasons, confirmation links are valid for a limited time only. Simply sign up again – "
            "you will then receive a new link."
        ),
    ),
    "invalid": (
        N_("This link is not valid"),
        N_(
            "The link is incomplete or belongs to another action. Please copy it completely from the email or "
            "sign up again."
        ),
    ),
    "form": (
        N_("The form has expired"),
        N_("Please reload the page and submit the form again."),
    ),
    "cross-site": (
        N_("Sign-up not possible"),
        N_("The form was submitted from another website. Please sign up directly on our sign-up page."),
    ),
}


class SubscriberPages(SignUpPages):
    """The pages' handlers. ``secret_key`` and ``engine`` are asked for on first use: serving feeds
    must not need the secret key, nor open the database before a page needs it."""

    def __init__(
        self, settings: Settings, clock: Clock, event_observers: Sequence[EventObserver] = (),
        event_sink: Callable[[], EventSink] | None = None, rate_limits: RateLimits | None = None, *,
        services: Callable[[], SubscriptionService], secret_key: Callable[[], str], engine: Callable[[], Engine],
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.secret_key = secret_key
        self.engine = engine
        self.services = services
        self.rate_limits = rate_limits or RateLimits.from_config(settings.cache, clock)
        self.event_observers = tuple(event_observers)
        self.event_sink = event_sink
        self.template_path = template_search_path(self.settings)

    @cached_property
    def _zone_script(self) -> str | None:
        # The sign-up forms ask the browser for its zone only where a newsletter sends on the reader's clock.
        return ZONE_SCRIPT if offers_reader_zones(self.settings.digest.editions) else None

    @cached_property
    def service(self) -> SubscriptionService:
        # Built on first use: serving feeds must not need the secret key.
        return self.services()

    # -- rendering ---------------------------------------------------------------

    def locale(self, request: Request) -> str:
        """The page's language: ``?lang=``, the remembered choice, ``Accept-Language``, the site's."""
        choice = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        return page_locale(choice, request.headers.get("accept-language"), self.settings.site.language)

    def words(self, request: Request) -> Translator:
        return translator(self.locale(request))

    def page(
        self,
        template: str,
        context: Mapping[str, Any],
        status_code: int = 200,
        *,
        request: Request,
        background: BackgroundTask | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        locale = self.locale(request)
        # The language switch keeps the page's own query (its token) and changes only ``lang``.
        languages = [
            (code, language_name(code), str(request.url.include_query_params(lang=code)))
            for code in available_locales()
        ]
        html = render_template(
            f"web/subscribers/{template}",
            {"site": self.settings.site, "lang": locale, "languages": languages, "zone_script": self._zone_script,
             **context},
            self.template_path,
            locale,
        )
        response = HTMLResponse(
            html, status_code=status_code, headers={**_HEADERS, **(headers or {})}, background=background
        )
        if request.query_params.get("lang") == locale and request.cookies.get(LANGUAGE_COOKIE) != locale:
            response.set_cookie(
                LANGUAGE_COOKIE, locale, max_age=LANGUAGE_COOKIE_SECONDS, path="/", samesite="lax",
                secure=self.settings.site.url.startswith("https:"), httponly=True,
            )
        return response

    def message(
        self,
        title: str,
        text: str,
        status_code: int = 200,
        *,
        request: Request,
        link_url: str | None = None,
        link_text: str | None = None,
        background: BackgroundTask | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """A page with a title, a text and a link; ``title``, ``text`` and ``link_text`` are msgids."""
        words = self.words(request)
        context = {
            "title": words.gettext(title),
            "text": words.gettext(text),
            "link_url": link_url,
            "link_text": words.gettext(link_text) if link_text else None,
        }
        return self.page(
            "message.html.j2", context, status_code, request=request, background=background, headers=headers
        )

    def token_error(self, reason: str, status_code: int = 400, *, request: Request) -> HTMLResponse:
        title, text = _ERRORS.get(reason, _ERRORS["invalid"])
        return self.message(
            title, text, status_code, request=request, link_url="/subscribe", link_text=N_("Go to sign-up")
        )

    # -- /confirm ----------------------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        consent = Consent(
            form="web:/confirm",
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        try:
            subscriber, outgoing = await run_in_threadpool(
                self.service.confirm, request.query_params.get("token", ""), consent
            )
        except TokenInvalid as exc:
            return self.token_error(exc.reason, request=request)
        links = self.service.links(subscriber)
        return self.message(
            N_("Thank you – your subscription is confirmed")
            if outgoing
            else N_("Your subscription is already confirmed"),
            N_(
                "You will receive our newsletter from the next edition on. You can change topics, frequency and time "
                "in your settings at any time."
            ),
            request=request,
            link_url=links["preferences_url"],
            link_text=N_("Change settings"),
            background=BackgroundTask(self.service.deliver, outgoing) if outgoing else None,
        )

    # -- /preferences ------------------------------------------------------------

    def _subscriber(self, purpose: Purpose, request: Request) -> Subscriber:
        subscriber, _ = self.service.subscriber_for(purpose, request.query_params.get("token", ""))
        return subscriber

    def _preferences_page(
        self, subscriber: Subscriber, token: str, *, request: Request, saved: bool = False, status_code: int = 200,
        zone_error: str | None = None,
    ) -> HTMLResponse:
        words = self.words(request)
        categories, regions = self.service.known_topics()
        chosen = set(subscriber.topics)
        slot_choices = {
            frequency.value: self.service.edition_slots(frequency)
            for frequency in Frequency
            if len(self.service.edition_slots(frequency)) > 1
        }
        context = {
            "title": words.gettext("Your newsletter settings"),
            "subscriber": subscriber,
            "token": token,
            "saved": saved,
            "active": subscriber.status == SubscriberStatus.ACTIVE,
            # Topics chosen earlier stay listed even when no current article carries them.
            "categories": tuple(categories) + tuple(sorted(chosen - set(categories) - set(regions))),
            "regions": regions,
            "chosen": chosen,
            "frequencies": [(f.value, words.gettext(FREQUENCY_LABELS[f])) for f in Frequency],
            "slot_choices": slot_choices,
            "current_slot": {
                f: (subscriber.slot if subscriber.frequency.value == f and subscriber.slot else slots[0])
                for f, slots in slot_choices.items()
            },
            "newsletters": self.service.offered_newsletters(),
            "subscribed": set(self.service.store.active_newsletters(subscriber.id)),
            # Offered only where it changes something: when a newsletter sends on the reader's clock.
            "zones": zone_groups(subscriber.timezone) if self.service.offers_reader_zones() else (),
            "site_zone": self.settings.site.timezone,
            "zone_error": words.gettext(zone_error) if zone_error else None,
            "csrf": self.service.signer.make_form_token("preferences", subscriber.id),
            # Relative, so that the form posts to the host serving this page (CSP form-action 'self').
            "unsubscribe_url": "/unsubscribe?token="
            + self.service.signer.make(Purpose.UNSUBSCRIBE, subscriber.id, subscriber.email),
            "unsubscribe_csrf": self.service.signer.make_form_token("unsubscribe", subscriber.id),
        }
        return self.page("preferences.html.j2", context, status_code, request=request)

    async def preferences_form(self, request: Request) -> Response:
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.PREFERENCES, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason, request=request)
        token = request.query_params.get("token", "")
        return await run_in_threadpool(lambda: self._preferences_page(subscriber, token, request=request))

    async def preferences(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.PREFERENCES, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason, request=request)
        form = await request.form()
        try:
            self.service.signer.check_form_token("preferences", str(form.get(CSRF_FIELD, "")), subscriber.id)
        except TokenInvalid:
            return self.token_error("form", request=request)
        if subscriber.status != SubscriberStatus.ACTIVE:
            return await run_in_threadpool(lambda: self._preferences_page(subscriber, token, request=request))
        frequency_value = str(form.get("frequency", subscriber.frequency.value))
        known = {f.value for f in Frequency}
        frequency = Frequency(frequency_value) if frequency_value in known else subscriber.frequency
        # Only a form that offered the zone changes it; a name of no zone changes nothing at all.
        timezone = form.get("timezone")
        try:
            zone = clean_timezone(timezone) if isinstance(timezone, str) else UNCHANGED
            # Stored under its current IANA name (an alias such as "US/Eastern" kept from before is renamed on
            # the next save): readers of one clock share one send.
            zone = canonical_zone(zone) if isinstance(zone, str) else zone
        except InputError:
            return await run_in_threadpool(lambda: self._preferences_page(
                subscriber, token, request=request, status_code=400,
                zone_error=N_("Please choose a time zone from the list; nothing was saved."),
            ))
        updated = await run_in_threadpool(
            lambda: self.service.save_preferences(
                subscriber,
                topics=[str(t) for t in form.getlist("topics")],
                frequency=frequency,
                name=str(form.get("name", ""))[:200],
                slot=_form_str(form, f"slot_{frequency.value}"),
                # Only a form that listed the newsletters changes them.
                newsletters=[str(n) for n in form.getlist("newsletters")] if form.get("newsletters_shown") else None,
                timezone=zone,
                consent=Consent(form="web:/preferences", ip=request.client.host if request.client else None,
                                user_agent=request.headers.get("user-agent")),
            )
        )
        return await run_in_threadpool(lambda: self._preferences_page(updated, token, request=request, saved=True))

    # -- /unsubscribe ------------------------------------------------------------

    async def unsubscribe_form(self, request: Request) -> Response:
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.UNSUBSCRIBE, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason, request=request)
        if subscriber.status != SubscriberStatus.ACTIVE:
            return self._unsubscribed(request)
        words = self.words(request)
        context = {
            "title": words.gettext("Unsubscribe from the newsletter"),
            "token": request.query_params.get("token", ""),
            "csrf": self.service.signer.make_form_token("unsubscribe", subscriber.id),
            "reasons": [(key, words.gettext(label)) for key, label in REASON_LABELS.items()],
            "newsletter": request.query_params.get("newsletter") or None,
            "newsletter_title": self.service.newsletter_title(request.query_params.get("newsletter") or ""),
        }
        return self.page("unsubscribe.html.j2", context, request=request)

    async def unsubscribe(self, request: Request) -> Response:
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.UNSUBSCRIBE, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason, request=request)
        form = await request.form()
        # The newsletter whose mail carried the link (List-Unsubscribe ends that one only); the form's
        # "all" choice (or no newsletter) ends every newsletter.
        newsletter = request.query_params.get("newsletter") or None
        if form.get("List-Unsubscribe") == "One-Click":
            # RFC 8058: the mailbox provider posts this without cookies or form token; answer 200 directly.
            await run_in_threadpool(self.service.unsubscribe, subscriber, "one-click", newsletter)
            return self._unsubscribed(request)
        try:
            self.service.signer.check_form_token("unsubscribe", str(form.get(CSRF_FIELD, "")), subscriber.id)
        except TokenInvalid:
            return self.token_error("form", request=request)
        reason_key = str(form.get("reason", ""))
        reason = UNSUBSCRIBE_REASONS.get(reason_key, "page")
        if form.get("scope") == "all":
            newsletter = None
        await run_in_threadpool(self.service.unsubscribe, subscriber, reason, newsletter)
        return self._unsubscribed(request)

    def _unsubscribed(self, request: Request) -> HTMLResponse:
        return self.message(
            N_("You are unsubscribed"),
            N_("You will no longer receive our newsletter. If that was a mistake, you can sign up again at any time."),
            request=request,
            link_url="/subscribe",
            link_text=N_("Sign up again"),
        )

    # -- /webhooks/sendgrid ------------------------------------------------------

    @cached_property
    def _public_key(self) -> Any:
        text = self.settings.subscribers.sendgrid_webhook_public_key
        return load_public_key(text) if text else None

    async def sendgrid_webhook(self, request: Request) -> Response:
        body = await _read_body(request, MAX_WEBHOOK_BODY_BYTES)
        if body is None:
            log.warning("SendGrid webhook refused: body larger than %d bytes", MAX_WEBHOOK_BODY_BYTES)
            return JSONResponse({"error": "body too large"}, status_code=413)
        if self._public_key is None:
            log.error("SendGrid webhook refused: subscribers.sendgrid_webhook_public_key is not configured")
            return JSONResponse({"error": "webhook verification key not configured"}, status_code=403)
        try:
            verify_request(
                self._public_key,
                request.headers,
                body,
                now=self.clock.now(),
                max_age_seconds=self.settings.subscribers.webhook_max_age_seconds,
            )
        except SignatureRejected as exc:
            log.warning("SendGrid webhook refused: %s", exc.reason)
            return JSONResponse({"error": exc.reason}, status_code=403)
        try:
            events = parse_events(body)
        except InputError as exc:
            return JSONResponse({"error": exc.reason}, status_code=400)
        if self.event_sink is None:
            log.error("SendGrid webhook refused: no event store is wired into the app")
            return JSONResponse({"error": "event store not configured"}, status_code=503)
        processor = EventProcessor(self.service.store, self.event_sink(), self.event_observers,
                                   opens=self.settings.tracking.opens)
        report = await run_in_threadpool(processor.process, events, self.clock.now())
        log.info(
            "SendGrid webhook: %d applied, %d duplicates, %d ignored, %d unmatched",
            report.applied, report.duplicates, report.ignored, report.unmatched,
        )
        return JSONResponse(
            {
                "applied": report.applied,
                "duplicates": report.duplicates,
                "ignored": report.ignored,
                "unmatched": report.unmatched,
            }
        )


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is (or announces to be) longer than ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _form_str(form: FormData, key: str) -> str | None:
    value = form.get(key)
    return str(value) if isinstance(value, str) and value else None


def routes(
    settings: Settings, clock: Clock, *, secret_key: Callable[[], str], engine: Callable[[], Engine],
    event_observers: Sequence[EventObserver] = (), event_sink: Callable[[], EventSink] | None = None,
    rate_limits: RateLimits | None = None, services: Callable[[], SubscriptionService],
) -> list[Route]:
    """The subscriber pages and the SendGrid webhook; ``event_sink`` stores the webhook's events,
    ``event_observers`` also get them; ``rate_limits``: the process's shared rate limits."""
    pages = SubscriberPages(
        settings, clock, event_observers, event_sink, rate_limits, services=services, secret_key=secret_key,
        engine=engine,
    )
    return [
        Route("/subscribe", pages.subscribe_form, methods=["GET"]),
        Route("/subscribe", pages.subscribe, methods=["POST"]),
        Route(EMBED_PATH, pages.subscribe_embed, methods=["POST"]),
        Route("/confirm", pages.confirm, methods=["GET"]),
        Route("/preferences", pages.preferences_form, methods=["GET"]),
        Route("/preferences", pages.preferences, methods=["POST"]),
        Route("/unsubscribe", pages.unsubscribe_form, methods=["GET"]),
        Route("/unsubscribe", pages.unsubscribe, methods=["POST"]),
        Route("/webhooks/sendgrid", pages.sendgrid_webhook, methods=["POST"]),
    ]
