"""The outbox backend: every message as an ``.eml`` file in a folder, plus an index.

This is what ``make demo`` and local development use: nothing leaves the machine, and
every message can be opened in a mail client. Each file is written to a temporary name
and renamed into place, so a reader (or a crash) never sees half a message. The index
(``index.jsonl``) gets one JSON line per message, appended with a single ``write`` after
the file is in place; it is what tells which messages were handed over.

A message that is sent twice gets a second file (``…-2.eml``) and a second index line
rather than silently replacing the first, so a duplicate is visible, never hidden.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from pathlib import Path
from typing import NamedTuple

from syndication.clock import Clock
from syndication.mail.base import (
    Batch,
    DeliveryFailed,
    Receipt,
    Recipient,
    Refusal,
    Sender,
    SendObserver,
    clean_batch_headers,
    clean_recipient,
    refuse_one,
)
from syndication.mail.mime import MAIL_POLICY
from syndication.mail.wire import MessageFactory

INDEX_NAME = "index.jsonl"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class OutboxEntry:
    """One line of the outbox index."""

    message_id: str
    recipient: str
    subject: str
    file: str
    batch: str
    sent_at: str


def _file_stem(message_id: str) -> str:
    stem = _UNSAFE.sub("_", message_id.strip("<>")).strip("._") or "message"
    return stem[:150]


class Prepared(NamedTuple):
    """One message ready to be filed: its recipient, the subject it shows, and its bytes."""

    recipient: Recipient
    subject: str
    data: bytes


class OutboxMessenger:
    """Writes each personalised message to ``directory`` as ``<message-id>.eml``."""

    name = "outbox"
    receipts_per_message = True

    def __init__(self, directory: Path, sender: Sender, clock: Clock) -> None:
        self.directory = Path(directory)
        self.sender = sender
        self.clock = clock
        self._index_fd: int | None = None

    @property
    def index_path(self) -> Path:
        return self.directory / INDEX_NAME

    def _open_index(self) -> int:
        if self._index_fd is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._index_fd = os.open(self.index_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        return self._index_fd

    def _place(self, stem: str, data: bytes) -> str:
        """Write ``data`` under a fresh name starting with ``stem``; return the file name."""
        # Not "*.eml" while it is written: whoever lists the outbox's messages never sees a half-written one.
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            number = 1
            while True:
                name = f"{stem}.eml" if number == 1 else f"{stem}-{number}.eml"
                target = self.directory / name
                try:
                    # link() refuses to replace an existing file, unlike rename(): a second copy
                    # of a message keeps its own file.
                    os.link(temporary, target)
                    return name
                except FileExistsError:
                    number += 1
        finally:
            os.unlink(temporary)

    def prepared(self, batch: Batch, now: datetime) -> Iterator[Prepared | Refusal]:
        """Each recipient's message (LF line ends) and subject as ``send`` files them, or why it cannot be made."""
        batch = clean_batch_headers(batch)
        messages = MessageFactory(self.sender, batch, MAIL_POLICY)
        for recipient in batch.recipients:
            try:
                cleaned = clean_recipient(recipient)
                data = messages.message_bytes(cleaned, now)
                subject = messages.subject(cleaned)
            except (ValueError, TypeError, UnicodeError, MessageError) as exc:
                yield Refusal(recipient.email, f"the message could not be built ({type(exc).__name__})", permanent=True)
                continue
            yield Prepared(recipient, subject, data)

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]:
        index = self._open_index()
        now = self.clock.now()
        receipts: list[Receipt] = []
        if observer is not None:
            observer.handed()
        for number, message in enumerate(self.prepared(batch, now)):
            if isinstance(message, Refusal):
                refuse_one(observer, message, f"batch {batch.key}: recipient {number + 1}", accepted=receipts)
                continue
            recipient, subject, data = message
            try:
                name = self._place(_file_stem(recipient.message_id), data)
                line = json.dumps(
                    {
                        "message_id": recipient.message_id,
                        "recipient": recipient.email,
                        "subject": subject,
                        "file": name,
                        "batch": batch.key,
                        "sent_at": now.isoformat(),
                    },
                    ensure_ascii=False,
                )
                # One write() on an O_APPEND descriptor: lines of concurrent writers never interleave.
                os.write(index, (line + "\n").encode("utf-8"))
            except OSError as exc:
                raise DeliveryFailed(
                    f"outbox {self.directory}: cannot write a message: {exc.strerror}",
                    retryable=False,
                    accepted=tuple(receipts),
                ) from exc
            receipt = Receipt(recipient.email, name)
            receipts.append(receipt)
            if observer is not None:
                observer.accepted(receipt)
        return receipts

    def reconcile(self, batch: Batch) -> list[Receipt]:
        """Receipts for the recipients of ``batch`` whose message is already in the outbox.

        A message's file appears atomically (link) before its index line, so the file is
        the proof: after a crash, exactly the recipients without one still need it.
        """
        receipts = []
        for recipient in batch.recipients:
            name = f"{_file_stem(recipient.message_id)}.eml"
            if (self.directory / name).exists():
                receipts.append(Receipt(recipient.email, name))
        return receipts

    def close(self) -> None:
        if self._index_fd is not None:
            os.close(self._index_fd)
            self._index_fd = None


def read_index(directory: Path) -> Iterator[OutboxEntry]:
    """The outbox index, line by line (a torn last line from a crash is skipped)."""
    path = Path(directory) / INDEX_NAME
    if not path.exists():
        return
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if not line.endswith("\n"):
                break
            data = json.loads(line)
            yield OutboxEntry(**data)
