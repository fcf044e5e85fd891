"""CSV import of subscribers: column mapping, validation row by row, one bulk insert.

A file that cannot be read as a whole (missing, not UTF-8, no email column) imports
nothing. Otherwise every bad row is reported with its line number and reason, and the
good rows are imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from subscribers.addresses import normalise_email
from subscribers.model import Frequency, SubscriberStatus
from subscribers.store import FORGOTTEN, NewSubscriber, SubscriberStore
from syndication.errors import InputError

# Accepted header names (compared case-insensitively, spaces and underscores ignored).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "e-mail-adresse", "emailadresse", "emailaddress", "mail"),
    "name": ("name", "vorname", "firstname"),
    "topics": ("topics", "themen", "interests"),
    "frequency": ("frequency", "häufigkeit", "haeufigkeit"),
}
FREQUENCY_WORDS = {
    "daily": Frequency.DAILY,
    "täglich": Frequency.DAILY,
    "taeglich": Frequency.DAILY,
    "weekly": Frequency.WEEKLY,
    "wöchentlich": Frequency.WEEKLY,
    "woechentlich": Frequency.WEEKLY,
}


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    imported: int
    already_present: int
    rejected: tuple[Rejected, ...]


@dataclass(frozen=True)
class _Row:
    line: int
    subscriber: NewSubscriber


def _key(header: str) -> str:
    return header.strip().lower().replace(" ", "").replace("_", "")


def map_columns(header: list[str], where: str) -> dict[str, int]:
    """Field → column index; InputError when there is no email column."""
    mapping: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _key(name)
        for field, names in COLUMN_NAMES.items():
            if key in {_key(n) for n in names} and field not in mapping:
                mapping[field] = index
    if "email" not in mapping:
        found = ", ".join(h for h in header if h.strip()) or "none"
        raise InputError(where, f"no email column (found: {found}); name one of: email, e-mail, E-Mail-Adresse")
    return mapping


def read_text(path: Path) -> str:
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(where, "file not found") from None
    except OSError as exc:
        raise InputError(where, f"cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(where, f"not UTF-8 (byte {exc.start}); save the file as UTF-8 CSV") from None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_rows(text: str, where: str) -> Iterator[_Row | Rejected]:
    """Every data row as a candidate subscriber or a rejection (line numbers as in the file)."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(where, "the file is empty") from None
    columns = map_columns(header, where)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejected(reader.line_num, f"malformed CSV: {exc}")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue

        def cell(field: str, cells: list[str] = cells) -> str:
            index = columns.get(field)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        try:
            email = normalise_email(cell("email"), where=f"{where}:{line}")
        except InputError as exc:
            yield Rejected(line, exc.reason)
            continue
        frequency_text = cell("frequency").lower()
        frequency = FREQUENCY_WORDS.get(frequency_text or "daily")
        if frequency is None:
            yield Rejected(line, f"unknown frequency {cell('frequency')!r} (expected daily or weekly)")
            continue
        raw_topics = cell("topics").replace("|", ";")
        topics = tuple(t.strip() for t in raw_topics.split(";") if t.strip())
        yield _Row(line, NewSubscriber(email=email, frequency=frequency, topics=topics, name=cell("name") or None))


def import_csv(
    store: SubscriberStore,
    path: Path,
    *,
    now: datetime,
    consented: bool,
    wording_version: str,
) -> ImportReport:
    """Import ``path``; rows with consent become active, others pending (they must confirm)."""
    where = str(path)
    text = read_text(path)
    rejected: list[Rejected] = []
    candidates: list[_Row] = []
    first_line: dict[str, int] = {}
    for item in parse_rows(text, where):
        if isinstance(item, Rejected):
            rejected.append(item)
            continue
        email = item.subscriber.email
        if email in first_line:
            rejected.append(Rejected(item.line, f"duplicate of line {first_line[email]}"))
            continue
        first_line[email] = item.line
        candidates.append(item)
    emails = [row.subscriber.email for row in candidates]
    suppressed = store.suppressed_among(emails)
    existing = store.existing_emails(emails)
    fresh: list[NewSubscriber] = []
    already = 0
    for row in candidates:
        email = row.subscriber.email
        if email in suppressed:
            reason = store.suppression_reason(email)
            if reason == FORGOTTEN:
                rejected.append(Rejected(row.line, "the address was erased (GDPR) and may not be re-imported"))
            else:
                rejected.append(Rejected(row.line, f"the address is suppressed ({reason})"))
        elif email in existing:
            already += 1
        else:
            fresh.append(row.subscriber)
    status = SubscriberStatus.ACTIVE if consented else SubscriberStatus.PENDING
    store.add_many(fresh, now=now, status=status, consent_form=f"import:{path.name}", wording_version=wording_version)
    rejected.sort(key=lambda r: r.line)
    return ImportReport(imported=len(fresh), already_present=already, rejected=tuple(rejected))
