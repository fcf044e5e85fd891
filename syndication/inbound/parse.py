"""What one inbound mail says: a bounce, a delay, a complaint or an unsubscribe, and for whom.

The subscriber and edition come only from ids we signed: the VERP address a bounce was sent
back to (``bounces+<id>@…``, in Delivered-To/X-Original-To/To, or the Return-Path of the
original message a report quotes), or the signed id in a List-Unsubscribe mail's subject.
Nothing is matched by the failed address alone: a forged bounce cannot suppress a stranger, a
forged unsubscribe cannot unsubscribe one.

Bounces are recognised with flufl.bounce (RFC 3464 DSNs and the common non-standard formats
of Exim, Postfix, qmail, Exchange, Yahoo, …); hard or soft follows the enhanced status code
(5.x.x hard, 4.x.x soft), else flufl.bounce's permanent/temporary verdict.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from flufl.bounce import all_failures

from syndication.mail.events import BounceType, EventKind, SendEvent
from syndication.mail.verp import VerpCodec, VerpId, has_tag

PROVIDER_BOUNCE = "smtp"
PROVIDER_MAILTO = "mailto"
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_FORGED = "an unsubscribe whose token is not validly signed (forged, garbled, or signed with another secret key)"
_UNSIGNED = "an unsubscribe without a signed token (it names nobody)"
_ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc")


@dataclass(frozen=True)
class Parsed:
    """The events of one mail (empty: not ours, or nothing to do) and why, for the report."""

    events: tuple[SendEvent, ...]
    outcome: str  # bounce | deferred | complaint | unsubscribe | unmatched | ignored
    # The mail's Message-ID (or hash), to name it in the log.
    mail_id: str = ""
    # What is wrong with it, for the log (an unsubscribe whose token is forged or missing).
    problem: str | None = None


def mail_id(message: Message, raw: bytes) -> str:
    """The mail's own identity for deduplication: its Message-ID, else a hash of its bytes."""
    message_id = (message.get("Message-ID") or "").strip()
    return f"mid:{message_id}" if message_id else "sha256:" + hashlib.sha256(raw).hexdigest()


def _addresses(message: Message, names: Iterable[str]) -> list[str]:
    values = [str(value) for name in names for value in message.get_all(name, [])]
    return [address for _, address in getaddresses(values) if address]


def _verp(message: Message, codec: VerpCodec, recipients: Sequence[str] = ()) -> VerpId | None:
    for address in [*recipients, *_addresses(message, _ENVELOPE_HEADERS)]:
        found = codec.read(address)
        if found is not None:
            return found
    # A report that quotes the original message (DSN, ARF) shows our envelope sender as its Return-Path.
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            quoted = _quoted(part)
            if quoted is not None:
                for address in _addresses(quoted, ("Return-Path",)):
                    found = codec.read(address)
                    if found is not None:
                        return found
    return None


def _quoted(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    if isinstance(payload, str):
        return email.message_from_string(payload, policy=compat32)
    return None


def _delivery_status(message: Message) -> tuple[str | None, str | None, str | None]:
    """(action, status, diagnostic) of the first recipient block of an RFC 3464 report."""
    for part in message.walk():
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status",
                                           "text/delivery-status"):
            continue
        blocks = part.get_payload()
        fields: dict[str, str] = {}
        if isinstance(blocks, list):
            for block in blocks[1:] or blocks:
                if isinstance(block, Message):
                    fields.update({key.lower(): str(value) for key, value in block.items()})
        elif isinstance(blocks, str):
            for line in blocks.splitlines():
                key, colon, value = line.partition(":")
                if colon and key.strip().lower() not in fields:
                    fields[key.strip().lower()] = value.strip()
        status = _STATUS.search(fields.get("status", ""))
        return (fields.get("action", "").strip().lower() or None, status.group(0) if status else None,
                fields.get("diagnostic-code"))
    return None, None, None


def _text(message: Message) -> str:
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(texts)


def _subject(message: Message) -> str:
    """The decoded subject: a client may fold a long token into RFC 2047 encoded words (Python's email does)."""
    raw = str(message.get("Subject", ""))
    try:
        return str(make_header(decode_header(raw)))
    except (HeaderParseError, LookupError, UnicodeError):
        return raw


def _occurred(message: Message, now: datetime) -> datetime:
    try:
        moment = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return now
    return moment if moment.tzinfo is not None else now


def _is_complaint(message: Message) -> bool:
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "") if content_type == "multipart/report" else ""
    return str(report_type).lower() == "feedback-report"


def parse(
    raw: bytes, bounces: VerpCodec | None, unsubscribes: VerpCodec, now: datetime, recipients: Sequence[str] = ()
) -> Parsed:
    """The events ``raw`` (one RFC 5322 mail) stands for; ``recipients``: its envelope's, when known (LMTP)."""
    message = email.message_from_bytes(raw, policy=compat32)
    event_id = mail_id(message, raw)
    occurred = _occurred(message, now)
    if _is_complaint(message):
        ids = _verp(message, bounces, recipients) if bounces is not None else None
        if ids is None:
            return Parsed((), "unmatched", event_id)
        return Parsed((SendEvent(PROVIDER_BOUNCE, event_id, EventKind.COMPLAINT, occurred, edition_id=ids.edition_id,
                                 subscriber_id=ids.subscriber_id, reason="feedback report (ARF)"),),
                      "complaint", event_id)
    subject = _subject(message)
    unsubscribe_problem = None
    if "unsubscribe" in subject.lower() or "abmelden" in subject.lower():
        ids = unsubscribes.read_tag(subject)
        if ids is not None:
            return Parsed((SendEvent(PROVIDER_MAILTO, event_id, EventKind.UNSUBSCRIBE, occurred,
                                     edition_id=ids.edition_id, subscriber_id=ids.subscriber_id,
                                     reason="List-Unsubscribe mailto"),), "unsubscribe", event_id)
        unsubscribe_problem = _FORGED if has_tag(subject) else _UNSIGNED
    temporary, permanent = all_failures(message)
    action, status, diagnostic = _delivery_status(message)
    if not (temporary or permanent or action in ("failed", "delayed")):
        outcome = "unmatched" if unsubscribe_problem == _FORGED else "ignored"
        return Parsed((), outcome, event_id, unsubscribe_problem)
    ids = _verp(message, bounces, recipients) if bounces is not None else None
    if ids is None:
        return Parsed((), "unmatched", event_id)
    if status is None:
        found = _STATUS.search(_text(message))
        status = found.group(0) if found else None
    if action == "delayed" and not permanent:
        return Parsed((SendEvent(PROVIDER_BOUNCE, event_id, EventKind.DEFERRED, occurred, edition_id=ids.edition_id,
                                 subscriber_id=ids.subscriber_id, smtp_status=status, reason=diagnostic),),
                      "deferred", event_id)
    # The enhanced status code decides; without one, flufl.bounce's verdict (or the DSN's action).
    hard = status.startswith("5") if status is not None else bool(permanent) or action == "failed"
    return Parsed((SendEvent(PROVIDER_BOUNCE, event_id, EventKind.BOUNCE, occurred, edition_id=ids.edition_id,
                             subscriber_id=ids.subscriber_id, bounce_type=BounceType.HARD if hard else BounceType.SOFT,
                             smtp_status=status, reason=diagnostic or (f"status {status}" if status else None)),),
                  "bounce", event_id)
