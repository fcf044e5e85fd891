"""CSV export of subscribers, lossless and safe to open in a spreadsheet.

Every column the importer reads back is written: status, frequency, topics, slot, name,
language, the timestamps and the newest consent step (when, how, wording version), so that
an export imported elsewhere loses nothing and re-activates no one.

A cell starting with ``= + - @``, TAB or CR is a formula to Excel and LibreOffice (a name
``@SUM(1+1)`` would run). Such cells get a leading ``'`` (the OWASP rule), which the
spreadsheets show as text and :func:`restore_cell` removes again on import.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TextIO

from subscribers.model import ConsentRecord, Subscriber
from subscribers.store import SubscriberStore

EXPORT_COLUMNS = (
    "email",
    "name",
    "status",
    "frequency",
    "topics",
    "slot",
    "language",
    "created",
    "confirmed",
    "unsubscribed",
    "unsubscribe_reason",
    "consent_action",
    "consent_at",
    "consent_form",
    "consent_wording_version",
    "newsletters",
    "timezone",
)

FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTE = "'"
_AFTER_QUOTE = FORMULA_STARTS | {QUOTE}


def neutralise_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it as text: a formula start gets a leading quote.

    A value that already starts with a quote followed by a formula start or another quote
    gets one more, so that :func:`restore_cell` gives back exactly ``value`` in every case.
    """
    if value[:1] in FORMULA_STARTS or restore_cell(value) != value:
        return QUOTE + value
    return value


def restore_cell(value: str) -> str:
    """The inverse of :func:`neutralise_cell`: drop the quote it added, and only that one.

    A quote is removed only where :func:`neutralise_cell` would have put it (before a formula
    start or before another quote); a name such as ``'t Hooft`` stays as it is.
    """
    if value[:1] == QUOTE and value[1:2] in _AFTER_QUOTE:
        return value[1:]
    return value


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def subscriber_row(
    subscriber: Subscriber, consent: ConsentRecord | None, newsletters: Sequence[str] = ()
) -> list[str]:
    """One subscriber as export cells (not yet neutralised); ``newsletters``: those subscribed to (not ended)."""
    return [
        subscriber.email,
        subscriber.name or "",
        subscriber.status.value,
        subscriber.frequency.value,
        "|".join(subscriber.topics),
        subscriber.slot or "",
        subscriber.language,
        _iso(subscriber.created),
        _iso(subscriber.confirmed),
        _iso(subscriber.unsubscribed),
        subscriber.unsubscribe_reason or "",
        consent.action if consent else "",
        _iso(consent.recorded_at) if consent else "",
        consent.form if consent else "",
        consent.wording_version if consent else "",
        "|".join(newsletters),
        subscriber.timezone or "",
    ]


def write_rows(handle: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a CSV with every cell neutralised; returns the number of data rows.

    Every CSV the project writes goes through here. Lines end with CRLF (RFC 4180).
    """
    writer = csv.writer(handle)
    writer.writerow([neutralise_cell(cell) for cell in header])
    count = 0
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
        count += 1
    return count


def export_csv(
    store: SubscriberStore,
    handle: TextIO,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
) -> int:
    """Write every subscriber to ``handle``, batch by batch; returns how many.

    ``progress(len(batch), total)`` is called as each batch is written.
    """
    total = store.count()

    def rows() -> Iterable[list[str]]:
        for batch in store.iter_all():
            consent = store.latest_consent([s.id for s in batch])
            subscribed = store.subscriptions_of([s.id for s in batch])
            for subscriber in batch:
                active = [name for name, state in subscribed.get(subscriber.id, {}).items() if state != "unsubscribed"]
                yield subscriber_row(subscriber, consent.get(subscriber.id), active)
            progress(len(batch), total)

    return write_rows(handle, EXPORT_COLUMNS, rows())
