"""Editions in the console: the list, an edition's page (articles, previews, plain text, subject), a test
send, and send now / pause / resume / cancel the rest, each through the services the CLI uses and each
written to the audit log."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from syndication.console.accounts import Account
from syndication.console.core import Console, page, redirect
from syndication.delivery.places import recipients_by_slot
from syndication.delivery.tables import delivery_batches, delivery_runs
from syndication.digest.edition_store import edition_articles, get_edition, list_editions
from syndication.digest.editions import Edition
from syndication.digest.personalize import ALL_ARTICLES, EditionMailer
from syndication.errors import InputError
from syndication.events.report import COUNTS, build_reports
from syndication.mail.addresses import normalise_email
from syndication.mail.base import Batch, personalise
from syndication.subscriber import Subscriber, SubscriberStatus

_DARK = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
PREVIEW_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # The mail's own inline styles, its images; no script, shown only inside the console.
    "Content-Security-Policy": "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
                               "font-src https: data:; frame-ancestors 'self'",
}


def forced_scheme(html: str, scheme: str) -> str:
    """The mail's HTML as a client in ``scheme`` shows it: its dark-mode rules always or never apply."""
    return _DARK.sub("@media all" if scheme == "dark" else "@media not all", html)


def _edition_or_404(console: Console, edition_id: str) -> Edition:
    edition = get_edition(console.runtime.engine, edition_id)
    if edition is None:
        raise HTTPException(404)
    return edition


def _mailer(console: Console, edition: Edition) -> EditionMailer:
    return console.app.edition_mailer(edition, edition_articles(console.runtime.engine, edition))


def _variants(console: Console, edition: Edition) -> list[str]:
    """"all" and every variant the ledger has planned for the edition."""
    with console.runtime.engine.connect() as connection:
        planned = connection.execute(
            select(delivery_batches.c.variant).distinct()
            .select_from(delivery_batches.join(delivery_runs, delivery_batches.c.run_id == delivery_runs.c.id))
            .where(delivery_runs.c.edition_id == edition.id)
        ).scalars().all()
    return [ALL_ARTICLES, *sorted(str(key) for key in planned if key != ALL_ARTICLES)]


def _preview_subscriber(email: str) -> Subscriber:
    return Subscriber(id=0, email=email, status=SubscriberStatus.ACTIVE)


def _slots(console: Console, edition: Edition) -> tuple[str, ...]:
    # A special edition's name is its own ("eilmeldung@143000"); its slots are its newsletter's.
    return tuple(console.settings.edition(edition.newsletter_name).slots)


def list_page(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    editions = list_editions(console.runtime.engine)[:100]
    with console.runtime.engine.connect() as connection:
        rows = connection.execute(select(delivery_runs.c.edition_id, delivery_runs.c.slot, delivery_runs.c.status)
                                  .where(delivery_runs.c.edition_id.in_([e.id for e in editions]))).all()
        statuses: dict[str, list[tuple[str, str]]] = {}
        for edition_id, slot, status in sorted(rows, key=lambda row: (row[0], row[1])):
            statuses.setdefault(edition_id, []).append((slot, status))
        query = (request.query_params.get("q") or "").strip().lower()
        if query:
            editions = [e for e in editions if query in e.id.lower() or query in e.title.lower()]
        # The report's figures of every edition that was sent (the counters and one count over its ledger rows).
        reports = {edition.id: build_reports(connection, edition.id, recipients_by_slot(connection, edition.id))[0]
                   for edition in editions if edition.id in statuses}
    return console.render(request, "console/editions.html.j2",
                          {"editions": editions, "statuses": statuses, "reports": reports, "q": query},
                          account=account)


def edition_page(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    edition = _edition_or_404(console, request.path_params["edition_id"])
    mailer = _mailer(console, edition)
    variants = _variants(console, edition)
    chosen = request.query_params.get("variant") or ALL_ARTICLES
    if chosen not in variants:
        chosen = ALL_ARTICLES
    body = personalise(mailer.body(chosen), mailer.recipient(_preview_subscriber(account.email)))
    slots = _slots(console, edition)
    return console.render(request, "console/edition.html.j2", {
        "edition": edition, "articles": mailer.articles, "variants": variants, "variant": chosen,
        "subject": body.subject, "text": body.text, "slots": slots,
        "progress": console.sends.progress(edition.id, slots), "message": request.query_params.get("done"),
    }, account=account)


def preview(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    edition = _edition_or_404(console, request.path_params["edition_id"])
    mailer = _mailer(console, edition)
    variant = request.path_params["variant"]
    try:
        body = personalise(mailer.body(variant), mailer.recipient(_preview_subscriber(account.email)))
    except KeyError:
        return PlainTextResponse("unknown variant", status_code=404)
    scheme = "dark" if request.query_params.get("scheme") == "dark" else "light"
    if request.query_params.get("part") == "text":
        return PlainTextResponse(body.text, headers=PREVIEW_HEADERS)
    return HTMLResponse(forced_scheme(body.html, scheme), headers=PREVIEW_HEADERS)


def progress(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    edition = _edition_or_404(console, request.path_params["edition_id"])
    runs = console.sends.progress(edition.id, _slots(console, edition))
    return console.render(request, "console/_progress.html.j2", {"edition": edition, "progress": runs},
                          account=account)


def send_test(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    edition = _edition_or_404(console, request.path_params["edition_id"])
    assert form is not None
    raw = str(form.get("address") or "").strip() or account.email
    try:
        address = normalise_email(raw)
    except InputError:
        return redirect(f"/admin/editions/{edition.id}?done=bad-address")
    variant = str(form.get("variant") or ALL_ARTICLES)
    mailer = _mailer(console, edition)
    if variant not in _variants(console, edition):
        variant = ALL_ARTICLES
    body = mailer.body(variant)
    body = replace(body, subject=f"[Test] {body.subject}")
    recipient = replace(mailer.recipient(_preview_subscriber(address)),
                        message_id=f"<test.{edition.id}.{console.clock.now().timestamp():.0f}@console>")
    messenger = console.sends.messenger or console.app.messenger()
    try:
        messenger.send(Batch(key=f"test:{edition.id}", body=body, recipients=(recipient,),
                             headers=mailer.shared_headers()))
    finally:
        if console.sends.messenger is None:
            messenger.close()
    # The address of a test is staff's or one typed in; the log keeps only its domain.
    console.audit.record(account.email, "edition.test", edition.id,
                         f"variant {variant} to …@{address.rpartition('@')[2]}")
    return redirect(f"/admin/editions/{edition.id}?done=test-sent")


def _action(name: str):  # type: ignore[no-untyped-def]
    def handler(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
        edition = _edition_or_404(console, request.path_params["edition_id"])
        assert form is not None
        slots = _slots(console, edition)
        if name == "send":
            slot = str(form.get("slot") or slots[0])
            if slot not in slots:
                slot = slots[0]
            console.sends.start(edition.id, slot)
            detail = f"slot {slot}"
        elif name in ("pause", "cancel"):
            # The audit says which sends were stopped and which were held before they started (a reader
            # zone whose slot is still to come): the editor's act covers both.
            waiting = set(console.sends.not_started(edition.id, slots))
            act = console.sends.pause if name == "pause" else console.sends.cancel
            done = act(edition.id, slots, f"{'paused' if name == 'pause' else 'cancelled'} in the console by "
                                          f"{account.email}")
            running = [label for label in done if label not in waiting]
            held = [label for label in done if label in waiting]
            detail = "slots " + (", ".join(running) or "none")
            if held:
                detail += "; not started yet: " + ", ".join(held)
        else:
            detail = "slots " + (", ".join(console.sends.resume(edition.id)) or "none")
        console.audit.record(account.email, f"edition.{name}", edition.id, detail)
        return redirect(f"/admin/editions/{edition.id}?done={name}")

    return handler


def report(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    edition = _edition_or_404(console, request.path_params["edition_id"])
    with console.runtime.engine.connect() as connection:
        whole, slots = build_reports(connection, edition.id, recipients_by_slot(connection, edition.id),
                                     opens=console.settings.tracking.opens)
    return console.render(request, "console/report.html.j2", {
        "edition": edition, "report": whole, "slots": slots, "names": COUNTS,
        "progress": console.sends.progress(edition.id, _slots(console, edition)),
    }, account=account)


def routes(console: Console) -> list[Route]:
    return [
        Route("/editions", page(console, list_page)),
        Route("/editions/{edition_id}", page(console, edition_page)),
        Route("/editions/{edition_id}/preview/{variant}", page(console, preview)),
        Route("/editions/{edition_id}/progress", page(console, progress)),
        Route("/editions/{edition_id}/report", page(console, report)),
        Route("/editions/{edition_id}/test", page(console, send_test), methods=["POST"]),
        *[Route(f"/editions/{{edition_id}}/{name}", page(console, _action(name)), methods=["POST"])
          for name in ("send", "pause", "resume", "cancel")],
    ]
