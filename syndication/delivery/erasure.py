"""Erasure: every trace of one address removed from what delivery keeps.

The ledger keeps its rows (a sent edition must stay sent, under the subscriber id) but
loses the address; the outbox loses the index lines and the stored messages of it.
The caller (``subscribers forget``) erases the subscriber itself and keeps the keyed hash.
"""

from __future__ import annotations

import contextlib
import email
import json
import logging
import os
import tempfile
from email.message import Message
from email.policy import default
from pathlib import Path

from sqlalchemy import Engine, func, or_, update

from syndication.delivery.outbox import INDEX_NAME
from syndication.delivery.tables import delivery_recipients

log = logging.getLogger(__name__)

# What an erased recipient row keeps instead of its address (the column is NOT NULL).
ERASED = ""


def erase_from_delivery(engine: Engine, subscriber_id: int | None, email_address: str, outbox_dir: Path | None) -> None:
    """Remove ``email_address`` (any case) from the send ledger and the outbox.

    Ledger rows of ``subscriber_id`` and rows naming the address keep their state (sent,
    skipped, …) under the subscriber id, with the address blanked. In the outbox the index
    lines for the address are dropped and every stored message addressed to it (or naming it)
    is deleted. Safe to call again; an address never sent to is a no-op.
    """
    address = email_address.strip().lower()
    if not address:
        raise ValueError("erase_from_delivery: an address is required")
    _erase_from_ledger(engine, subscriber_id, address)
    if outbox_dir is not None and Path(outbox_dir).is_dir():
        removed = _erase_from_outbox(Path(outbox_dir), address)
        log.info("erasure: %d outbox message(s) of subscriber %s deleted", removed, subscriber_id)


def _erase_from_ledger(engine: Engine, subscriber_id: int | None, address: str) -> None:
    columns = delivery_recipients.c
    matches = func.lower(columns.email) == address
    if subscriber_id is not None:
        matches = or_(columns.subscriber_id == subscriber_id, matches)
    with engine.begin() as connection:
        connection.execute(update(delivery_recipients).where(matches, columns.email != ERASED).values(email=ERASED))


def _index_line_is_for(line: str, address: str) -> bool:
    try:
        data = json.loads(line)
    except ValueError:
        # A torn or foreign line: keep it unless it names the address outright.
        return address in line.lower()
    recipient = data.get("recipient") if isinstance(data, dict) else None
    return (isinstance(recipient, str) and recipient.strip().lower() == address) or address in line.lower()


def _rewrite_index(directory: Path, address: str) -> set[str]:
    """Drop the index lines for ``address`` (atomically); return the files they named."""
    index = directory / INDEX_NAME
    if not index.exists():
        return set()
    kept: list[str] = []
    files: set[str] = set()
    changed = False
    with index.open(encoding="utf-8", errors="surrogateescape") as stream:
        for line in stream:
            if _index_line_is_for(line, address):
                changed = True
                with contextlib.suppress(ValueError, AttributeError):
                    files.add(str(json.loads(line)["file"]))
                continue
            kept.append(line)
    if changed:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-index-", suffix=".jsonl")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as out:
                out.writelines(kept)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o640)
            os.replace(temporary, index)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
    return files


def _message_mentions(raw: bytes, address: str) -> bool:
    """Whether a stored message is addressed to, or anywhere names, ``address``."""
    if address.encode("utf-8") in raw.lower():
        return True
    message = email.message_from_bytes(raw, policy=default)
    for name in ("To", "Cc", "Bcc", "Reply-To"):
        header = message.get(name)
        addresses = getattr(header, "addresses", ()) if header is not None else ()
        if any(item.addr_spec.lower() == address for item in addresses):
            return True
    # Quoted-printable or base64 bodies can split or hide an address; look at the decoded text.
    for part in message.walk():
        if isinstance(part, Message) and part.get_content_maintype() == "text":
            try:
                text = part.get_content()
            except (LookupError, ValueError):
                continue
            if isinstance(text, str) and address in text.lower():
                return True
    return False


def _erase_from_outbox(directory: Path, address: str) -> int:
    named = _rewrite_index(directory, address)
    removed = 0
    for path in sorted(directory.iterdir()):
        # ".part": a message a crash left half-written (the outbox writes under that name, then links).
        if not path.is_file() or path.name == INDEX_NAME or not path.name.endswith((".eml", ".part")):
            continue
        try:
            doomed = path.name in named or _message_mentions(path.read_bytes(), address)
        except FileNotFoundError:
            continue
        if doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            removed += 1
    return removed
