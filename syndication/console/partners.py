"""Partners in the console (administrators only): the list with 30 days of usage, create (the key is shown
once), rotate and revoke, through the partner store the CLI uses."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syndication.app.partners import partner_store
from syndication.console.accounts import Account, Role
from syndication.console.core import Console, page, redirect
from syndication.errors import SyndicationError
from syndication.partners.usage import days_back, usage_by_day


def list_page(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    return console.render(request, "console/partners.html.j2",
                          {**_context_of(console), "new_key": None, "error": request.query_params.get("error")},
                          account=account)


def create(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    assert form is not None
    name = str(form.get("name") or "").strip()
    categories = [part.strip() for part in str(form.get("categories") or "").split(",") if part.strip()]
    try:
        made = partner_store(console.runtime).add(name, console.clock.now(), categories=categories)
    except SyndicationError:
        return redirect("/admin/partners?error=name")
    console.audit.record(account.email, "partner.create", made.partner.name, f"key {made.partner.key_prefix}…")
    return _with_key(console, request, account, made.partner.name, made.key)


def _with_key(console: Console, request: Request, account: Account, name: str, key: str) -> Response:
    # Rendered in the POST's answer, never stored or redirected with: the key exists in clear only here.
    return console.render(request, "console/partners.html.j2",
                          {**_context_of(console), "new_key": (name, key), "error": None}, account=account)


def _context_of(console: Console) -> dict[str, object]:
    store = partner_store(console.runtime)
    zone = console.settings.site.zone
    since = days_back(console.clock.now(), 30, zone)
    rows = []
    for partner in store.all():
        days = usage_by_day(console.runtime.engine, partner.id, since, zone)
        rows.append((partner, sum(d.requests for d in days), sum(d.items_delivered for d in days),
                     sum(d.rate_limited for d in days)))
    return {"rows": rows}


def rotate(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    name = request.path_params["name"]
    try:
        made = partner_store(console.runtime).rotate(name, console.clock.now())
    except SyndicationError:
        return redirect("/admin/partners?error=revoked")
    console.audit.record(account.email, "partner.rotate", name, f"key {made.partner.key_prefix}…")
    return _with_key(console, request, account, name, made.key)


def revoke(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    name = request.path_params["name"]
    try:
        done = partner_store(console.runtime).revoke(name, console.clock.now())
    except SyndicationError:
        return redirect("/admin/partners?error=unknown")
    if done:
        console.audit.record(account.email, "partner.revoke", name, "")
    return redirect("/admin/partners")


def routes(console: Console) -> list[Route]:
    return [
        Route("/partners", page(console, list_page, role=Role.ADMIN)),
        Route("/partners/new", page(console, create, role=Role.ADMIN), methods=["POST"]),
        Route("/partners/{name}/rotate", page(console, rotate, role=Role.ADMIN), methods=["POST"]),
        Route("/partners/{name}/revoke", page(console, revoke, role=Role.ADMIN), methods=["POST"]),
    ]
