"""The console's request plumbing: who is signed in, CSRF, roles, rendering in the account's language.

Every page is a handler ``(console, request, account, form) -> Response`` wrapped by :func:`page`, which

- sends a visitor without a session to the sign-in page (303), and an editor away from admin pages (403);
- refuses a POST whose ``csrf`` field is not the token of the visitor's cookie (403): the token is an HMAC of
  the session (or, before sign-in, of a random pre-session cookie) under the secret key, so nothing is stored;
- runs the handler in a worker thread (the stores are synchronous).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import quote

import jinja2
from babel.support import NullTranslations
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from syndication.app import App
from syndication.console.accounts import Account, AccountStore, Role
from syndication.console.audit import AuditLog
from syndication.i18n import translations
from syndication.paths import TEMPLATES_DIR
from syndication.ratelimit import Limit, RateLimiter, RateLimits
from syndication.runtime import Runtime

SESSION_COOKIE = "console_session"
ANON_COOKIE = "console_visitor"
# Sign-in attempts (links redeemed, links asked for by mail, passwords) per client address.
SIGN_IN_LIMIT = Limit(10, timedelta(minutes=15))
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
    ),
}

CONSOLE_DOMAIN = "console"


def words(language: str) -> NullTranslations:
    """The console's catalog (gettext domain ``console``) in ``language``; English is the msgids."""
    return translations(language if language in ("de", "en") else "en", CONSOLE_DOMAIN)


Handler = Callable[["Console", Request, Account, FormData | None], Response]


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


class Console:
    """What every console page uses: the app's services, accounts, audit log, rate limiter, templates."""

    def __init__(self, runtime: Runtime, limits: RateLimits) -> None:
        self.runtime = runtime
        self.app = App(runtime)
        self.settings = runtime.settings
        self.clock = runtime.clock
        self.limiter: RateLimiter = limits.limiter("console-sign-in", SIGN_IN_LIMIT)
        self.environment = _environment()

    @cached_property
    def accounts(self) -> AccountStore:
        return AccountStore(self.runtime.engine, self.clock, self.runtime.secrets.require_secret_key)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.runtime.engine, self.clock)

    @cached_property
    def sends(self) -> Any:
        # Lazy: the send control starts threads and imports the delivery; a console without sends needs neither.
        from syndication.console.sends import SendControl

        return SendControl(self.runtime)

    @property
    def secure_cookies(self) -> bool:
        return self.settings.site.url.startswith("https://")

    def local(self, moment: datetime | None) -> str:
        if moment is None:
            return "–"
        return moment.astimezone(self.settings.site.zone).strftime("%Y-%m-%d %H:%M")

    # -- CSRF ------------------------------------------------------------------------

    def csrf_for(self, cookie_value: str) -> str:
        key = self.runtime.secrets.require_secret_key().encode("utf-8")
        return hmac.new(key, b"console-csrf:" + cookie_value.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, form: FormData) -> bool:
        cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE)
        given = form.get("csrf")
        if not cookie or not isinstance(given, str):
            return False
        return hmac.compare_digest(self.csrf_for(cookie), given)

    # -- rendering -------------------------------------------------------------------

    def render(
        self, request: Request, template: str, context: Mapping[str, Any], *, account: Account | None = None,
        language: str | None = None, status: int = 200, csrf_cookie: str | None = None,
    ) -> HTMLResponse:
        language = language or (account.language if account else self.settings.site.language)
        catalog = words(language)

        def gettext(message: str, **values: Any) -> str:
            text = catalog.gettext(message)
            return text % values if values else text

        def ngettext(singular: str, plural: str, count: int, **values: Any) -> str:
            text = catalog.ngettext(singular, plural, count)
            return text % {"num": count, **values}

        cookie = csrf_cookie or request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE) or ""
        body = self.environment.get_template(template).render({
            **context, "_": gettext, "gettext": gettext, "ngettext": ngettext, "account": account,
            "lang": language, "csrf": self.csrf_for(cookie) if cookie else "", "local": self.local,
            "path": request.url.path, "site_title": self.settings.site.name,
        })
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def set_session(self, response: Response, token: str) -> None:
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=self.secure_cookies,
                            path="/admin")
        response.delete_cookie(ANON_COOKIE, path="/admin")

    def visitor_cookie(self, request: Request) -> str:
        return request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE) or secrets.token_urlsafe(24)

    def set_visitor(self, request: Request, response: Response, value: str) -> None:
        if not (request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE)):
            response.set_cookie(ANON_COOKIE, value, httponly=True, samesite="lax", secure=self.secure_cookies,
                                path="/admin")


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def forbidden(console: Console, request: Request, account: Account | None, message: str) -> HTMLResponse:
    return console.render(request, "console/error.html.j2", {"status": 403, "message": message},
                          account=account, status=403)


def page(console: Console, handler: Handler, *, role: Role | None = None) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` behind sign-in, role and CSRF checks."""

    async def endpoint(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        account = await run_in_threadpool(console.accounts.session_account, token)
        if account is None:
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="/")
            return RedirectResponse(f"/admin/sign-in?next={target}", status_code=303, headers=SECURITY_HEADERS)
        if role == Role.ADMIN and not account.is_admin:
            translate = words(account.language).gettext
            return forbidden(console, request, account, translate("This page is for administrators."))
        form: FormData | None = None
        if request.method == "POST":
            form = await request.form()
            if not console.csrf_ok(request, form):
                translate = words(account.language).gettext
                return forbidden(console, request, account,
                                 translate("The form had expired. Go back, reload the page and try again."))
        return await run_in_threadpool(handler, console, request, account, form)

    return endpoint


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


@dataclass(frozen=True)
class Flash:
    """A one-line result shown after a redirect (carried in the query string, never personal data)."""

    kind: str
    text: str
