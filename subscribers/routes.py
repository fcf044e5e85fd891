"""The subscriber pages and the SendGrid webhook (Starlette routes for ``syndication serve``).

Pages are German, work without JavaScript, and never reveal whether an address is known.
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

from subscribers.model import Frequency, Subscriber, SubscriberStatus
from subscribers.service import (
    FREQUENCY_LABELS,
    Consent,
    SubscriptionService,
)
from subscribers.signup import CSRF_FIELD, EMBED_PATH, SignUpPages
from subscribers.webhook import (
    EventObserver,
    EventProcessor,
    EventSink,
    SignatureRejected,
    parse_events,
    verify_request,
)
from syndication.clock import Clock
from syndication.config import Settings
from syndication.errors import InputError
from syndication.paths import template_search_path
from syndication.ratelimit import RateLimits
from syndication.templates import render_template
from syndication.tokens import Purpose, TokenInvalid
from syndication.webhook_keys import load_public_key

log = logging.getLogger(__name__)

# SendGrid posts batches well below this; anything larger is refused before it is read into memory.
MAX_WEBHOOK_BODY_BYTES = 4 * 1024 * 1024
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
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}
_ERRORS = {
    "expired": (
        "Dieser Link ist abgelaufen",
        "Aus Sicherheitsgründen sind Bestätigungslinks nur begrenzt gültig. Melden Sie sich einfach erneut an – "
        "Sie erhalten dann einen neuen Link.",
    ),
    "invalid": (
        "Dieser Link ist ungültig",
        "Der Link ist unvollständig oder gehört zu einer anderen Aktion. Bitte kopieren Sie ihn vollständig aus "
        "der E-Mail oder melden Sie sich neu an.",
    ),
    "form": (
        "Das Formular ist abgelaufen",
        "Bitte laden Sie die Seite neu und senden Sie das Formular noch einmal ab.",
    ),
    "cross-site": (
        "Anmeldung nicht möglich",
        "Das Formular wurde von einer anderen Website abgeschickt. Bitte melden Sie sich direkt auf unserer "
        "Anmeldeseite an.",
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
    def service(self) -> SubscriptionService:
        # Built on first use: serving feeds must not need the secret key.
        return self.services()

    # -- rendering ---------------------------------------------------------------

    def page(
        self,
        template: str,
        context: Mapping[str, Any],
        status_code: int = 200,
        *,
        background: BackgroundTask | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        html = render_template(
            f"web/subscribers/{template}", {"site": self.settings.site, **context}, self.template_path
        )
        return HTMLResponse(
            html, status_code=status_code, headers={**_HEADERS, **(headers or {})}, background=background
        )

    def message(
        self,
        title: str,
        text: str,
        status_code: int = 200,
        *,
        link_url: str | None = None,
        link_text: str | None = None,
        background: BackgroundTask | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        context = {"title": title, "text": text, "link_url": link_url, "link_text": link_text}
        return self.page("message.html.j2", context, status_code, background=background, headers=headers)

    def token_error(self, reason: str, status_code: int = 400) -> HTMLResponse:
        title, text = _ERRORS.get(reason, _ERRORS["invalid"])
        return self.message(title, text, status_code, link_url="/subscribe", link_text="Zur Anmeldung")

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
            return self.token_error(exc.reason)
        links = self.service.links(subscriber)
        return self.message(
            "Vielen Dank – Ihr Abonnement ist bestätigt" if outgoing else "Ihr Abonnement ist bereits bestätigt",
            "Sie erhalten ab der nächsten Ausgabe unseren Newsletter. Themen, Häufigkeit und Uhrzeit können Sie "
            "jederzeit in Ihren Einstellungen ändern.",
            link_url=links["preferences_url"],
            link_text="Einstellungen ändern",
            background=BackgroundTask(self.service.deliver, outgoing) if outgoing else None,
        )

    # -- /preferences ------------------------------------------------------------

    def _subscriber(self, purpose: Purpose, request: Request) -> Subscriber:
        subscriber, _ = self.service.subscriber_for(purpose, request.query_params.get("token", ""))
        return subscriber

    def _preferences_page(
        self, subscriber: Subscriber, token: str, *, saved: bool = False, status_code: int = 200
    ) -> HTMLResponse:
        categories, regions = self.service.known_topics()
        chosen = set(subscriber.topics)
        slot_choices = {
            frequency.value: self.service.edition_slots(frequency)
            for frequency in Frequency
            if len(self.service.edition_slots(frequency)) > 1
        }
        context = {
            "title": "Ihre Newsletter-Einstellungen",
            "subscriber": subscriber,
            "token": token,
            "saved": saved,
            "active": subscriber.status == SubscriberStatus.ACTIVE,
            # Topics chosen earlier stay listed even when no current article carries them.
            "categories": tuple(categories) + tuple(sorted(chosen - set(categories) - set(regions))),
            "regions": regions,
            "chosen": chosen,
            "frequencies": [(f.value, FREQUENCY_LABELS[f]) for f in Frequency],
            "slot_choices": slot_choices,
            "current_slot": {
                f: (subscriber.slot if subscriber.frequency.value == f and subscriber.slot else slots[0])
                for f, slots in slot_choices.items()
            },
            "csrf": self.service.signer.make_form_token("preferences", subscriber.id),
            # Relative, so that the form posts to the host serving this page (CSP form-action 'self').
            "unsubscribe_url": "/unsubscribe?token="
            + self.service.signer.make(Purpose.UNSUBSCRIBE, subscriber.id, subscriber.email),
            "unsubscribe_csrf": self.service.signer.make_form_token("unsubscribe", subscriber.id),
        }
        return self.page("preferences.html.j2", context, status_code)

    async def preferences_form(self, request: Request) -> Response:
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.PREFERENCES, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason)
        token = request.query_params.get("token", "")
        return await run_in_threadpool(self._preferences_page, subscriber, token)

    async def preferences(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.PREFERENCES, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason)
        form = await request.form()
        try:
            self.service.signer.check_form_token("preferences", str(form.get(CSRF_FIELD, "")), subscriber.id)
        except TokenInvalid:
            return self.token_error("form")
        if subscriber.status != SubscriberStatus.ACTIVE:
            return await run_in_threadpool(self._preferences_page, subscriber, token)
        frequency_value = str(form.get("frequency", subscriber.frequency.value))
        known = {f.value for f in Frequency}
        frequency = Frequency(frequency_value) if frequency_value in known else subscriber.frequency
        updated = await run_in_threadpool(
            lambda: self.service.save_preferences(
                subscriber,
                topics=[str(t) for t in form.getlist("topics")],
                frequency=frequency,
                name=str(form.get("name", ""))[:200],
                slot=_form_str(form, f"slot_{frequency.value}"),
            )
        )
        return await run_in_threadpool(lambda: self._preferences_page(updated, token, saved=True))

    # -- /unsubscribe ------------------------------------------------------------

    async def unsubscribe_form(self, request: Request) -> Response:
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.UNSUBSCRIBE, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason)
        if subscriber.status != SubscriberStatus.ACTIVE:
            return self._unsubscribed()
        context = {
            "title": "Newsletter abbestellen",
            "token": request.query_params.get("token", ""),
            "csrf": self.service.signer.make_form_token("unsubscribe", subscriber.id),
            "reasons": [(key, label) for key, label in UNSUBSCRIBE_REASONS.items() if key],
        }
        return self.page("unsubscribe.html.j2", context)

    async def unsubscribe(self, request: Request) -> Response:
        try:
            subscriber = await run_in_threadpool(self._subscriber, Purpose.UNSUBSCRIBE, request)
        except TokenInvalid as exc:
            return self.token_error(exc.reason)
        form = await request.form()
        if form.get("List-Unsubscribe") == "One-Click":
            # RFC 8058: the mailbox provider posts this without cookies or form token; answer 200 directly.
            await run_in_threadpool(self.service.unsubscribe, subscriber, "one-click")
            return self._unsubscribed()
        try:
            self.service.signer.check_form_token("unsubscribe", str(form.get(CSRF_FIELD, "")), subscriber.id)
        except TokenInvalid:
            return self.token_error("form")
        reason_key = str(form.get("reason", ""))
        reason = UNSUBSCRIBE_REASONS.get(reason_key, "page")
        await run_in_threadpool(self.service.unsubscribe, subscriber, reason)
        return self._unsubscribed()

    def _unsubscribed(self) -> HTMLResponse:
        return self.message(
            "Sie sind abgemeldet",
            "Sie erhalten unseren Newsletter nicht mehr. Falls das ein Versehen war, können Sie sich jederzeit "
            "wieder anmelden.",
            link_url="/subscribe",
            link_text="Erneut anmelden",
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
