"""CSV import of subscribers: column mapping, validation row by row, one bulk insert.

A file that cannot be read as a whole (missing, not UTF-8, no email column) imports
nothing. Otherwise every bad row is reported with its line number and reason, and the
good rows are imported.

A file written by ``subscribers export`` comes back as it was: status, consent step,
timestamps, slot. Suppression wins: an address the list suppresses (erased, bounced,
complained) is refused, one already present is left as it is, and a row marked unsubscribed,
bounced or complained is stored that way. Only a row whose consent step says the reader
agreed (or an import ``--consented``) is active; anyone else must confirm by mail.

Each record must sit on one line. A quote left open would otherwise swallow every row up
to the next quote (Python's csv reads on over line ends); such a row is reported at the line
where it starts and reading goes on with the next line, so every line is either imported or
named in the report.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from subscribers.exporter import restore_cell
from subscribers.model import Frequency, SubscriberStatus
from subscribers.store import FORGOTTEN, ImportedConsent, NewSubscriber, SubscriberStore
from syndication.config.newsletters import clean_zone
from syndication.errors import BadValue, InputError, Message, SyndicationError, Words
from syndication.mail.addresses import normalise_email

# Accepted header names (compared case-insensitively, spaces and underscores ignored).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "e-mail-adresse", "emailadresse", "emailaddress", "mail"),
    "name": ("name", "vorname", "firstname"),
    "topics": ("topics", "themen", "interests"),
    "frequency": ("frequency", "häufigkeit", "haeufigkeit"),
    "status": ("status",),
    "slot": ("slot", "uhrzeit"),
    "timezone": ("timezone", "zeitzone", "tz"),
    "language": ("language", "sprache"),
    "created": ("created",),
    "confirmed": ("confirmed",),
    "unsubscribed": ("unsubscribed",),
    "unsubscribe_reason": ("unsubscribe_reason",),
    "consent_action": ("consent_action",),
    "consent_at": ("consent_at",),
    "consent_form": ("consent_form",),
    "consent_wording_version": ("consent_wording_version",),
    "newsletters": ("newsletters", "newsletter"),
}
# Consent steps in which the reader agreed to receive mail (see ConsentRecord).
GRANTING_ACTIONS = frozenset({"confirmed", "imported", "added"})
# Caps as the tables have them: a longer value is refused, since cutting would change it
# (names are cut at 200 characters instead, as the form does).
MAX_LENGTH = {
    "email": 320,
    "topics": 2000,
    "language": 10,
    "unsubscribe_reason": 200,
    "consent_action": 20,
    "consent_form": 200,
    "consent_wording_version": 50,
}
MAX_TOPIC_LENGTH = 100
_SLOT = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
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
    """A row left out, and why: a message (or the error raised for the row) the command line translates."""

    line: int
    problem: Message | SyndicationError | str

    @property
    def reason(self) -> str:
        """Why, in English (without the file and line an InputError names)."""
        return self.problem.reason if isinstance(self.problem, InputError) else str(self.problem)

    def translated(self, words: Words) -> str:
        """Why, in ``words``' language."""
        if isinstance(self.problem, InputError):
            return self.problem.translated_reason(words)
        return self.problem if isinstance(self.problem, str) else self.problem.translated(words)


@dataclass(frozen=True)
class ImportReport:
    imported: int
    already_present: int
    rejected: tuple[Rejected, ...]
    # Addresses this import added as pending: they get a confirmation mail.
    pending: tuple[str, ...] = ()


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
        raise InputError(
            where, "no email column (found: %(found)s); name one of: email, e-mail, E-Mail-Adresse", found=found
        )
    return mapping


def read_text(path: Path) -> str:
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(where, "file not found") from None
    except OSError as exc:
        raise InputError(where, "cannot read: %(strerror)s", strerror=exc.strerror) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(where, "not UTF-8 (byte %(start)s); save the file as UTF-8 CSV", start=exc.start) from None


def _dialect(text: str) -> type[csv.Dialect]:
    """Excel's CSV dialect with the delimiter of the header line (comma, semicolon or tab).

    Only the delimiter is sniffed: from a header alone the sniffer cannot see how quotes
    are escaped and would read Excel's doubled quotes ("") wrongly.
    """
    first_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        return csv.excel

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _records(text: str, dialect: type[csv.Dialect]) -> Iterator[tuple[int, list[str] | Message]]:
    """(line number, cells) per line of ``text``, or (line number, reason) for a line that is broken.

    A line is parsed on its own, followed by one extra line end: a record that reaches into
    that extra line has a quoted field open at the end of its own line.
    """
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        reader = csv.reader(iter((line, "\n")), dialect)
        try:
            cells = next(reader, [])
        except csv.Error as exc:
            yield number, Message("malformed CSV: %(problem)s", problem=str(exc))
            continue
        if reader.line_num > 1:
            yield number, Message(
                "a quoted field is not closed on this line (unbalanced \"); "
                "the row is skipped and reading goes on with the next line"
            )
            continue
        yield number, cells


def _timestamp(text: str, column: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(
            "%(column)s: %(text)r is not an ISO 8601 time (like 2026-11-24T05:00:00+00:00)",
            column=column,
            text=text[:40],
        ) from None
    # A time without offset is taken as UTC, the zone the export writes.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _subscriber(line: int, cell: Callable[[str], str], where: str) -> NewSubscriber:
    """A row's subscriber as the file describes it; ValueError/InputError with the reason."""
    for field, limit in MAX_LENGTH.items():
        if len(cell(field)) > limit:
            raise BadValue("%(column)s is longer than %(most)s characters", column=field, most=limit)
    email = normalise_email(cell("email"), where=f"{where}:{line}")
    frequency_text = cell("frequency").lower()
    frequency = FREQUENCY_WORDS.get(frequency_text or "daily")
    if frequency is None:
        raise BadValue("unknown frequency %(frequency)r (expected daily or weekly)", frequency=cell("frequency"))
    raw_topics = cell("topics").replace("|", ";")
    topics = tuple(t.strip() for t in raw_topics.split(";") if t.strip())
    if any(len(topic) > MAX_TOPIC_LENGTH for topic in topics):
        raise BadValue("a topic is longer than %(most)s characters", most=MAX_TOPIC_LENGTH)
    status_text = cell("status").lower()
    try:
        status = SubscriberStatus(status_text) if status_text else None
    except ValueError:
        expected = ", ".join(s.value for s in SubscriberStatus)
        raise BadValue(
            "unknown status %(status)r (expected one of %(expected)s)", status=cell("status"), expected=expected
        ) from None
    slot = cell("slot") or None
    if slot is not None and not _SLOT.fullmatch(slot):
        raise BadValue("slot %(slot)r is not a time like 06:00", slot=slot)
    consent = None
    if cell("consent_action") or cell("consent_at"):
        recorded_at = _timestamp(cell("consent_at"), "consent_at")
        if not cell("consent_action") or recorded_at is None:
            raise BadValue("consent_action and consent_at go together: give both or neither")
        consent = ImportedConsent(
            action=cell("consent_action").lower(),
            recorded_at=recorded_at,
            form=cell("consent_form") or f"import:{Path(where).name}",
            wording_version=cell("consent_wording_version") or "unknown",
        )
    raw_newsletters = cell("newsletters").replace("|", ";").replace(",", ";")
    newsletters = tuple(dict.fromkeys(n.strip() for n in raw_newsletters.split(";") if n.strip())) or None
    return NewSubscriber(
        email=email,
        newsletters=newsletters,
        frequency=frequency,
        topics=topics,
        # Cleaned and cut to 200 characters by the store, as the form's names are.
        name=cell("name") or None,
        slot=slot,
        language=cell("language") or "de",
        status=status,
        created=_timestamp(cell("created"), "created"),
        confirmed=_timestamp(cell("confirmed"), "confirmed"),
        unsubscribed=_timestamp(cell("unsubscribed"), "unsubscribed"),
        unsubscribe_reason=cell("unsubscribe_reason") or None,
        consent=consent,
        # An IANA name; a name of no zone rejects the row (ValueError names it).
        timezone=clean_zone(cell("timezone")),
    )


def parse_rows(text: str, where: str) -> Iterator[_Row | Rejected]:
    """Every data row as a candidate subscriber or a rejection (line numbers as in the file)."""
    records = _records(text, _dialect(text))
    first = next(records, None)
    if first is None or (isinstance(first[1], list) and not any(c.strip() for c in first[1])):
        if first is None:
            raise InputError(where, "the file is empty")
        raise InputError(where, "the first line (the header) is empty")
    if isinstance(first[1], Message):
        raise InputError(f"{where}:1", "cannot read the header: %(first)s", first=first[1])
    columns = map_columns(first[1], where)
    for line, cells in records:
        if isinstance(cells, Message):
            yield Rejected(line, cells)
            continue
        if not any(cell.strip() for cell in cells):
            continue

        def cell(field: str, cells: list[str] = cells) -> str:
            index = columns.get(field)
            # The quote the export put before a formula-like value is taken off again.
            return restore_cell(cells[index].strip()).strip() if index is not None and index < len(cells) else ""

        try:
            yield _Row(line, _subscriber(line, cell, where))
        except (InputError, ValueError) as exc:
            yield Rejected(line, exc if isinstance(exc, SyndicationError) else str(exc))


def _with_status(row: NewSubscriber, consented: bool) -> NewSubscriber:
    """The row as it may be stored: active only with consent, never active when the file says otherwise."""
    if row.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED):
        return row
    if row.status in (None, SubscriberStatus.ACTIVE):
        if row.consent is not None and row.consent.action in GRANTING_ACTIONS:
            return replace(row, status=SubscriberStatus.ACTIVE, unsubscribed=None, unsubscribe_reason=None)
        if consented:
            # The operator affirms consent for the row: this import is its consent step.
            return replace(
                row, status=SubscriberStatus.ACTIVE, consent=None, unsubscribed=None, unsubscribe_reason=None
            )
    # No proof of consent: the reader must confirm by mail (double opt-in).
    return replace(row, status=SubscriberStatus.PENDING, confirmed=None, unsubscribed=None, unsubscribe_reason=None)


def import_csv(
    store: SubscriberStore,
    path: Path,
    *,
    now: datetime,
    consented: bool,
    wording_version: str,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
    newsletters: Collection[str] | None = None,
) -> ImportReport:
    """Import ``path``; rows with consent become active, others pending (they must confirm).

    ``progress(step, total)`` counts the file's lines as they are checked. A ``newsletters`` column
    (names separated by ``;`` or ``|``) subscribes the row to them; a name not among ``newsletters``
    (the configured ones) rejects the row. Without the column, a row gets the newsletter named like its
    frequency.
    """
    where = str(path)
    text = read_text(path)
    lines = sum(1 for _ in io.StringIO(text, newline=""))
    rejected: list[Rejected] = []
    candidates: list[_Row] = []
    first_line: dict[str, int] = {}
    checked = 0
    for item in parse_rows(text, where):
        progress(item.line - checked, lines)
        checked = item.line
        if isinstance(item, Rejected):
            rejected.append(item)
            continue
        unknown = sorted(set(item.subscriber.newsletters or ()) - set(newsletters or ()))
        if newsletters is not None and unknown:
            rejected.append(Rejected(item.line, Message(
                "unknown newsletter %(unknown)s (configured: %(configured)s)",
                unknown=", ".join(unknown), configured=", ".join(sorted(newsletters)),
            )))
            continue
        email = item.subscriber.email
        if email in first_line:
            rejected.append(Rejected(item.line, Message("duplicate of line %(line)s", line=first_line[email])))
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
        # Present first: a bounced reader already in the list is there as bounced, and a
        # second import of the same file must report nothing new.
        if email in existing:
            already += 1
        elif email in suppressed:
            reason = store.suppression_reason(email)
            if reason == FORGOTTEN:
                rejected.append(
                    Rejected(row.line, Message("the address was erased (GDPR) and may not be re-imported"))
                )
            else:
                rejected.append(Rejected(row.line, Message("the address is suppressed (%(reason)s)", reason=reason)))
        else:
            fresh.append(_with_status(row.subscriber, consented))
    store.add_many(
        fresh,
        now=now,
        status=SubscriberStatus.PENDING,
        consent_form=f"import:{path.name}",
        wording_version=wording_version,
    )
    # The last lines count once they are stored.
    progress(lines - checked, lines)
    rejected.sort(key=lambda r: r.line)
    pending = tuple(row.email for row in fresh if row.status == SubscriberStatus.PENDING)
    return ImportReport(imported=len(fresh), already_present=already, rejected=tuple(rejected), pending=pending)
