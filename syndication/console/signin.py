"""Signing in and out: one-time links (printed by ``syndication admin add`` or mailed on request).

Opening a link shows a button; only pressing it (a POST) uses the link, so that a mail scanner that
fetches every URL of a message does not use it up. Every attempt, asked for or redeemed, is rate limited
per client address; the answer to "mail me a link" is the same whether or not the address has an account.
"""

from __future__ import annotations

import html
import logging
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syndication.console.accounts import Account
from syndication.console.core import SESSION_COOKIE, Console, client_key, redirect, words
from syndication.console.passwords import check, prepare
from syndication.mail.base import Batch, MessageBody, Recipient

log = logging.getLogger(__name__)


def sign_in_url(site_url: str, token: str) -> str:
    return f"{site_url.rstrip('/')}/admin/sign-in/{token}"


def _safe_next(value: object) -> str:
    """Only a path inside the console (no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/admin/") or value.startswith("//"):
        return "/admin/"
    parts = urlsplit(value)
    return "/admin/" if parts.scheme or parts.netloc else value


def mail_link(console: Console, account: Account, token: str) -> None:
    """Send the sign-in link to the account's address through the configured delivery backend."""
    translate = words(account.language).gettext
    url = sign_in_url(console.settings.site.url, token)
    subject = translate("Your sign-in link for the newsroom console")
    intro = translate("Sign in to the newsroom console (valid for 15 minutes, once):")
    body = MessageBody(subject=subject, text=f"{intro}\n\n{url}\n",
                       html=f"<p>{html.escape(intro)}</p><p><a href=\"{html.escape(url)}\">{html.escape(url)}</a></p>")
    domain = console.settings.delivery.from_email.rpartition("@")[2]
    recipient = Recipient(email=account.email, message_id=f"<console-{token[:16]}@{domain}>")
    given = console.sends.messenger
    messenger = given or console.app.messenger()
    try:
        messenger.send(Batch(key=f"console-sign-in:{account.id}", body=body, recipients=(recipient,)))
    finally:
        if given is None:
            messenger.close()


def routes(console: Console) -> list[Route]:
    # The hash unknown addresses are checked against is made now, not at the first such sign-in; second
    # factors an older version stored in clear are sealed.
    prepare()
    console.accounts.seal_secrets_in_clear()

    def language_of(request: Request) -> str:
        chosen = request.query_params.get("lang")
        return chosen if chosen in ("de", "en") else console.settings.site.language

    async def ask(request: Request) -> Response:
        cookie = console.visitor_cookie(request)
        language = language_of(request)
        if request.method == "GET":
            response = console.render(request, "console/sign_in.html.j2",
                                      {"next": _safe_next(request.query_params.get("next")), "sent": False},
                                      language=language, csrf_cookie=cookie)
            console.set_visitor(request, response, cookie)
            return response
        form = await request.form()
        if not console.csrf_ok(request, form):
            return console.render(request, "console/error.html.j2",
                                  {"status": 403, "message": words(language).gettext(
                                      "The form had expired. Go back, reload the page and try again.")},
                                  language=language, status=403)
        if not console.limiter.hit(client_key(request)).allowed:
            return console.render(request, "console/error.html.j2", {"status": 429, "message": words(
                language).gettext("Too many sign-in attempts. Wait a quarter of an hour and try again.")},
                language=language, status=429)
        account = await run_in_threadpool(console.accounts.by_email, str(form.get("email") or ""))
        if account is not None:
            token = await run_in_threadpool(console.accounts.issue_link, account)
            try:
                await run_in_threadpool(mail_link, console, account, token)
            except Exception as exc:  # a failed mail must not tell the visitor whether the account exists
                log.error("console: the sign-in link for account %s could not be mailed: %s", account.id, exc)
        return console.render(request, "console/sign_in.html.j2", {"next": "/admin/", "sent": True},
                              language=language)

    async def link(request: Request) -> Response:
        token = request.path_params["token"]
        language = language_of(request)
        if request.method == "GET":
            account = await run_in_threadpool(console.accounts.link_account, token)
            if account is None:
                return _refused(request, language)
            cookie = console.visitor_cookie(request)
            response = console.render(request, "console/sign_in_link.html.j2",
                                      {"next": _safe_next(request.query_params.get("next"))},
                                      language=account.language, csrf_cookie=cookie)
            console.set_visitor(request, response, cookie)
            return response
        form = await request.form()
        refusal = _refusal(request, form, language)
        if refusal is not None:
            return refusal
        account = await run_in_threadpool(console.accounts.redeem_link, token)
        if account is None:
            return _refused(request, language)
        session = await run_in_threadpool(console.accounts.open_session, account)
        await run_in_threadpool(console.audit.record, account.email, "sign-in", account.email, "link")
        response = redirect(_safe_next(form.get("next")))
        console.set_session(response, session)
        return response

    def _refusal(request: Request, form: FormData, language: str) -> Response | None:
        """The answer to a sign-in form without its CSRF token (403) or over the rate limit (429); None: go on."""
        if not console.csrf_ok(request, form):
            return console.render(request, "console/error.html.j2", {"status": 403, "message": words(
                language).gettext("The form had expired. Go back, reload the page and try again.")},
                language=language, status=403)
        if not console.limiter.hit(client_key(request)).allowed:
            return console.render(request, "console/error.html.j2", {"status": 429, "message": words(
                language).gettext("Too many sign-in attempts. Wait a quarter of an hour and try again.")},
                language=language, status=429)
        return None

    def _refused(request: Request, language: str) -> Response:
        message = words(language).gettext(
            "This sign-in link has been used or has expired. Ask for a new one below.")
        return console.render(request, "console/error.html.j2", {"status": 400, "message": message,
                                                                  "sign_in": True}, language=language, status=400)

    async def with_password(request: Request) -> Response:
        language = language_of(request)
        form = await request.form()
        refusal = _refusal(request, form, language)
        if refusal is not None:
            return refusal
        account = await run_in_threadpool(
            check, console.accounts, console.clock, str(form.get("email") or ""), str(form.get("password") or ""),
            str(form.get("code") or ""))
        if account is None:
            return console.render(request, "console/sign_in.html.j2", {
                "next": _safe_next(form.get("next")), "sent": False,
                "failed": words(language).gettext("Address, password or code is wrong.")},
                language=language, status=400)
        session = await run_in_threadpool(console.accounts.open_session, account)
        await run_in_threadpool(console.audit.record, account.email, "sign-in", account.email, "password")
        response = redirect(_safe_next(form.get("next")))
        console.set_session(response, session)
        return response

    async def sign_out(request: Request) -> Response:
        form = await request.form()
        token = request.cookies.get(SESSION_COOKIE)
        if token and console.csrf_ok(request, form):
            await run_in_threadpool(console.accounts.close_session, token)
        response = redirect("/admin/sign-in")
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    return [
        Route("/sign-in", ask, methods=["GET", "POST"]),
        Route("/sign-in/password", with_password, methods=["POST"]),
        Route("/sign-in/{token}", link, methods=["GET", "POST"]),
        Route("/sign-out", sign_out, methods=["POST"]),
    ]
