"""CSV import in the console (administrators): upload, a preview of what would change with every refused row
and its reason, then the import itself through the importer ``syndication subscribers import`` uses, with the
same confirmation mails to new pending readers.

The uploaded file waits between preview and import in ``var/console-imports/`` (mode 0600) under a random name,
and is deleted by the import.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from subscribers.importer import Rejected, import_csv, parse_rows, read_text
from subscribers.service import Consent, SubscriptionService
from syndication.console.accounts import Account, Role
from syndication.console.core import Console, page
from syndication.errors import SyndicationError
from syndication.subscriber import SubscriberStatus

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_BYTES = 20 * 1024 * 1024


def _folder(console: Console) -> Path:
    folder = console.settings.resolve(console.settings.site.var_dir) / "console-imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def form_page(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    return console.render(request, "console/import.html.j2", {"preview": None, "result": None}, account=account)


def preview(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    assert form is not None
    upload = form.get("file")
    consented = form.get("consented") == "yes"
    if not isinstance(upload, UploadFile):
        return console.render(request, "console/import.html.j2", {"preview": None, "result": None, "error": True},
                              account=account, status=400)
    data = upload.file.read(MAX_BYTES + 1)
    token = secrets.token_urlsafe(24)
    path = _folder(console) / f"{token}.csv"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data[:MAX_BYTES])
    store = console.app.subscriber_store()
    try:
        rows = list(parse_rows(read_text(path), upload.filename or "upload.csv"))
    except SyndicationError as exc:
        path.unlink(missing_ok=True)
        return console.render(request, "console/import.html.j2", {"preview": None, "result": None,
                                                                  "problem": str(exc)}, account=account, status=400)
    rejected = [row for row in rows if isinstance(row, Rejected)]
    emails = [row.subscriber.email for row in rows if not isinstance(row, Rejected)]
    existing = store.existing_emails(emails)
    suppressed = store.suppressed_among(emails) - existing
    new = [email for email in dict.fromkeys(emails) if email not in existing and email not in suppressed]
    return console.render(request, "console/import.html.j2", {"result": None, "preview": {
        "token": token, "name": upload.filename or "upload.csv", "consented": consented, "new": new,
        "existing": len(existing), "suppressed": len(suppressed), "rejected": rejected}}, account=account)


def run_import(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    assert form is not None
    token = str(form.get("token") or "")
    path = _folder(console) / f"{token}.csv"
    if not _TOKEN.match(token) or not path.is_file():
        return console.render(request, "console/import.html.j2", {"preview": None, "result": None, "error": True},
                              account=account, status=400)
    consented = form.get("consented") == "yes"
    service = console.app.subscription_service()
    try:
        report = import_csv(
            service.store, path, now=console.clock.now(), consented=consented,
            wording_version=console.settings.subscribers.consent_wording_version,
            newsletters=[newsletter.name for newsletter in console.settings.all_newsletters],
        )
        failed = _confirm(service, report.pending)
    finally:
        path.unlink(missing_ok=True)
    console.audit.record(account.email, "subscribers.import", "csv",
                         f"{report.imported} imported ({'active' if consented else 'pending'}), "
                         f"{report.already_present} present, {len(report.rejected)} rejected")
    return console.render(request, "console/import.html.j2", {"preview": None, "result": {
        "report": report, "consented": consented, "mails_failed": failed}}, account=account)


def _confirm(service: SubscriptionService, emails: tuple[str, ...]) -> int:
    """Mail a confirmation link to each address the import added as pending (as the CLI's import does)."""
    failed = 0
    for email in emails:
        subscriber = service.store.get_by_email(email)
        if subscriber is None or subscriber.status != SubscriberStatus.PENDING:
            continue
        outgoing = service.request(
            subscriber.email, topics=subscriber.topics, frequency=subscriber.frequency,
            consent=Consent(form="import:console"), name=subscriber.name,
            newsletters=[name for name, state in service.store.subscriptions(subscriber.id).items()
                         if state != "unsubscribed"] or None,
        )
        if outgoing is not None and not service.deliver(outgoing):
            failed += 1
    return failed


def routes(console: Console) -> list[Route]:
    return [
        Route("/subscribers/import", page(console, form_page, role=Role.ADMIN)),
        Route("/subscribers/import/preview", page(console, preview, role=Role.ADMIN), methods=["POST"]),
        Route("/subscribers/import/run", page(console, run_import, role=Role.ADMIN), methods=["POST"]),
    ]
