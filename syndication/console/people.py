"""Subscribers in the console: search by address (exact, case-insensitive) and by status, a subscriber's
page (consent history, sends and events), unsubscribe, erase (administrators, after a confirmation) and
the CSV export, all through the subscription service and store the CLI uses.

Readers' addresses appear on these pages only; the audit log names a subscriber by id.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, tzinfo
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from subscribers.browse import list_condition
from subscribers.exporter import export_csv
from syndication.console.accounts import Account, Role
from syndication.console.core import SECURITY_HEADERS, Console, page, redirect
from syndication.delivery.tables import delivery_recipients
from syndication.events.tables import send_events
from syndication.subscriber import Frequency, Subscriber, SubscriberStatus

PAGE_SIZE = 100


@dataclass(frozen=True)
class Filters:
    """The list's filters from the query string; empty values filter nothing."""

    status: SubscriberStatus | None = None
    frequency: str = ""
    topic: str = ""
    slot: str = ""
    since: date | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        status = query.get("status") or ""
        since = None
        with contextlib.suppress(ValueError):
            since = date.fromisoformat(query.get("since") or "")
        return cls(
            status=SubscriberStatus(status) if status in {s.value for s in SubscriberStatus} else None,
            frequency=(query.get("frequency") or "").strip(), topic=(query.get("topic") or "").strip().lower(),
            slot=(query.get("slot") or "").strip(), since=since,
        )

    def matches(self, subscriber: Subscriber, zone: tzinfo) -> bool:
        if self.frequency and subscriber.frequency.value != self.frequency:
            return False
        if self.topic and self.topic not in {topic.lower() for topic in subscriber.topics}:
            return False
        if self.slot and (subscriber.slot or "") != self.slot:
            return False
        return not (self.since and (subscriber.created is None
                                    or subscriber.created.astimezone(zone).date() < self.since))


def list_page(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    store = console.app.subscriber_store()
    query = (request.query_params.get("q") or "").strip()
    filters = Filters.from_query(request.query_params)
    zone = console.settings.site.zone
    after = _after(request.query_params.get("after"))
    more = False
    if query:
        found = store.get_by_email(query)
        rows = [found] if found is not None and (filters.status in (None, found.status)) else []
    else:
        # The next PAGE_SIZE that match after the id ``after``, in id order: the store reads only the rows the
        # filters' SQL lets through, and each is checked here (one more tells whether there is a next page).
        rows = []
        where = list_condition(frequency=filters.frequency, slot=filters.slot, topic=filters.topic,
                               since=filters.since, zone=zone)
        for batch in store.iter_all(status=filters.status, batch_size=PAGE_SIZE + 1, where=where, after_id=after):
            rows.extend(subscriber for subscriber in batch if filters.matches(subscriber, zone))
            if len(rows) > PAGE_SIZE:
                break
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
    counts = {s.value: store.count(s) for s in SubscriberStatus}
    return console.render(request, "console/subscribers.html.j2", {
        "rows": rows, "q": query, "filters": filters, "statuses": [s.value for s in SubscriberStatus],
        "frequencies": [f.value for f in Frequency], "counts": counts, "searched": bool(query),
        "next_page": _page_link(request, rows[-1].id) if more else None,
        "first_page": _page_link(request, 0) if after else None,
    }, account=account)


def _after(value: str | None) -> int:
    """The ``after`` of the query: the id the page starts after (0: the first page; anything else too)."""
    return int(value) if value and value.isdigit() and len(value) < 19 else 0


def _page_link(request: Request, after: int) -> str:
    """This list with its filters, starting after the subscriber id ``after`` (0: from the start)."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name != "after" and value]
    return "/admin/subscribers?" + urlencode([*kept, *([("after", str(after))] if after else [])])


def detail(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    store = console.app.subscriber_store()
    subscriber = store.get(int(request.path_params["subscriber_id"]))
    if subscriber is None:
        raise HTTPException(404)
    engine = console.runtime.engine
    with engine.connect() as connection:
        sends = connection.execute(
            select(delivery_recipients.c.edition_id, delivery_recipients.c.status, delivery_recipients.c.sent_at)
            .where(delivery_recipients.c.subscriber_id == subscriber.id)
            .order_by(delivery_recipients.c.id.desc()).limit(100)
        ).all()
        events = connection.execute(
            select(send_events.c.kind, send_events.c.occurred_at, send_events.c.edition_id, send_events.c.reason)
            .where(send_events.c.subscriber_id == subscriber.id)
            .order_by(send_events.c.occurred_at.desc()).limit(100)
        ).all()
    return console.render(request, "console/subscriber.html.j2", {
        "subscriber": subscriber, "consent": store.consent_records(subscriber.id), "sends": sends,
        "events": events, "message": request.query_params.get("done"),
    }, account=account)


def unsubscribe(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    service = console.app.subscription_service()
    subscriber = service.store.get(int(request.path_params["subscriber_id"]))
    if subscriber is None:
        raise HTTPException(404)
    service.unsubscribe(subscriber, "console")
    console.audit.record(account.email, "subscriber.unsubscribe", f"subscriber {subscriber.id}", "")
    return redirect(f"/admin/subscribers/{subscriber.id}?done=unsubscribed")


def erase(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    assert form is not None
    service = console.app.subscription_service()
    subscriber = service.store.get(int(request.path_params["subscriber_id"]))
    if subscriber is None:
        raise HTTPException(404)
    # The confirmation: the address typed again.
    if str(form.get("confirm") or "").strip().lower() != subscriber.email.lower():
        return redirect(f"/admin/subscribers/{subscriber.id}?done=not-confirmed")
    service.forget(subscriber.email)
    console.audit.record(account.email, "subscriber.erase", f"subscriber {subscriber.id}", "")
    return redirect("/admin/subscribers?done=erased")


def export(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    handle = io.StringIO()
    count = export_csv(console.app.subscriber_store(), handle)
    console.audit.record(account.email, "subscribers.export", "all", f"{count} rows")
    return Response(handle.getvalue(), media_type="text/csv; charset=utf-8", headers={
        **SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="subscribers.csv"'})


def routes(console: Console) -> list[Route]:
    return [
        Route("/subscribers", page(console, list_page)),
        Route("/subscribers/export.csv", page(console, export, role=Role.ADMIN)),
        Route("/subscribers/{subscriber_id:int}", page(console, detail)),
        Route("/subscribers/{subscriber_id:int}/unsubscribe", page(console, unsubscribe), methods=["POST"]),
        Route("/subscribers/{subscriber_id:int}/erase", page(console, erase, role=Role.ADMIN), methods=["POST"]),
    ]
