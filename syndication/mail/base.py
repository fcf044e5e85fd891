"""The delivery interface: a batch of personalised messages sharing one body, and the Messenger.

A batch is what one SendGrid request carries: one subject, one HTML and one text body
with placeholders, and up to 1000 recipients each with their own substitutions and
headers. Local backends (outbox, SMTP) apply the substitutions themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from syndication.i18n import N_

# C0 and C1 controls and DEL (tab included: it folds like a space), and the Unicode line and
# paragraph separators: none belongs in a header value, and CR/LF would start a new header.
_HEADER_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# One addr-spec: no whitespace, no control characters, no angle brackets or commas, one "@".
_ADDRESS = re.compile(r"[^\s\x00-\x1f\x7f-\x9f<>(),;:\\\"@]+@[^\s\x00-\x1f\x7f-\x9f<>(),;:\\\"@\[\]]+")


@dataclass(frozen=True)
class Sender:
    email: str
    name: str = ""
    reply_to: str | None = None


@dataclass(frozen=True)
class MessageBody:
    """What every recipient of a batch shares. Placeholders are the keys of the substitutions."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class Recipient:
    email: str
    # The Message-ID we assign (angle brackets included); stable per (edition, subscriber).
    message_id: str
    name: str | None = None
    # placeholder → value; applied in one pass, so a value is never substituted again.
    substitutions: Mapping[str, str] = field(default_factory=dict)
    # Per-recipient headers, e.g. List-Unsubscribe with the recipient's signed link.
    headers: Mapping[str, str] = field(default_factory=dict)
    # Carried to the provider so that its webhook events map back (edition id, subscriber id).
    custom_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    key: str
    body: MessageBody
    recipients: tuple[Recipient, ...]
    # Headers shared by every message of the batch (List-Id, …).
    headers: Mapping[str, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """The provider accepted the message for ``email``; ``provider_id`` is its id, if any."""

    email: str
    provider_id: str | None = None


@dataclass(frozen=True)
class Refusal:
    """The backend refused the message for ``email`` alone; the rest of its batch goes on.

    ``permanent`` refusals (SMTP 5xx, an address the provider rejects, a message that
    cannot be built) are not retried in this run; temporary ones (SMTP 4xx) are retried by
    the next run. ``bounce`` marks a permanent refusal of the mailbox itself (SMTP 5xx),
    which suppresses the address. ``reason`` never contains an address.
    """

    email: str
    reason: str
    permanent: bool
    bounce: bool = False


class SendObserver(Protocol):
    """Told by a backend, as it happens, what became of a batch (so a crash loses at most one message).

    ``handed`` is called just before the first byte that could reach the provider is written;
    nothing before it can have been accepted. ``accepted`` and ``refused`` are called once per
    recipient as soon as the backend knows.
    """

    def handed(self) -> None: ...

    def accepted(self, receipt: Receipt) -> None: ...

    def refused(self, refusal: Refusal) -> None: ...


class Messenger(Protocol):
    """A delivery backend.

    ``send`` returns the receipts of the accepted messages or raises DeliveryFailed for the
    batch as a whole. With an ``observer``, a refusal of one recipient is reported to it and
    the rest of the batch goes on; without one, it fails the batch (DeliveryFailed).
    ``receipts_per_message`` says whether the backend accepts message by message (SMTP: a
    crash leaves at most the one message in flight unknown) or all at once (SendGrid).
    """

    name: str
    receipts_per_message: bool

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]: ...

    def close(self) -> None: ...


class ReconcilingMessenger(Messenger, Protocol):
    """A backend that can tell, after a crash, which messages of a batch it already has.

    The outbox can (a message's file is its proof); SMTP and SendGrid cannot, so a batch
    a crash left half-sent with them is reported "in doubt" instead of being resent.
    """

    def reconcile(self, batch: Batch) -> Sequence[Receipt]: ...


class DeliveryFailed(Exception):
    """A backend could not deliver a batch.

    ``retryable`` is True for 429, 5xx, time-outs and network errors; ``retry_after`` is
    the delay (seconds) the provider asked for, if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        accepted: Sequence[Receipt] = (),
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        # Messages of the batch the backend had already accepted before it failed (local
        # backends send one by one); they must not be sent again.
        self.accepted = tuple(accepted)


def refuse_one(
    observer: SendObserver | None,
    refusal: Refusal,
    where: str,
    *,
    accepted: Sequence[Receipt] = (),
) -> None:
    """Report that one recipient's message was refused (``where`` says which, without an address).

    With an observer only that recipient fails and the backend goes on with the next; without one (callers
    that send a batch as a whole) the batch fails as before, keeping the receipts already ``accepted``.
    """
    if observer is not None:
        observer.refused(refusal)
        return
    raise DeliveryFailed(f"{where}: {refusal.reason}", retryable=not refusal.permanent, accepted=accepted)


def clean_header_value(value: str) -> str:
    """``value`` with control characters (CR/LF above all) replaced by a space, trimmed."""
    return _HEADER_CONTROLS.sub(" ", value).strip()


def _is_clean(value: str) -> bool:
    """Whether ``clean_header_value`` leaves ``value`` as it is (the check a send makes per recipient).

    Every character it replaces or strips is a control, a separator or white space: not printable,
    except the ASCII space, which it strips only at either end.
    """
    return value.isprintable() and not value.startswith(" ") and not value.endswith(" ")


def clean_recipient(recipient: Recipient) -> Recipient:
    """``recipient`` with its name and header values cleaned of control characters.

    Names are cleaned where they enter the subscriber store; this is the second line, where
    the headers are built, so that a CR/LF from anywhere can never start a header of its own.
    """
    if (not recipient.name or _is_clean(recipient.name)) and all(map(_is_clean, recipient.headers.values())):
        return recipient
    name = clean_header_value(recipient.name) if recipient.name else recipient.name
    headers = {key: clean_header_value(value) for key, value in recipient.headers.items()}
    if name == recipient.name and headers == dict(recipient.headers):
        return recipient
    return Recipient(
        email=recipient.email, message_id=recipient.message_id, name=name or None,
        substitutions=recipient.substitutions, headers=headers, custom_args=recipient.custom_args,
    )


def clean_batch_headers(batch: Batch) -> Batch:
    """``batch`` with its subject and shared header values cleaned of control characters."""
    subject = clean_header_value(batch.body.subject)
    headers = {key: clean_header_value(value) for key, value in batch.headers.items()}
    if subject == batch.body.subject and headers == dict(batch.headers):
        return batch
    body = MessageBody(subject=subject, html=batch.body.html, text=batch.body.text)
    return Batch(batch.key, body, batch.recipients, headers, batch.categories)


def _encodable(value: str) -> bool:
    if value.isascii():
        # Known at once (a flag of the string): no copy to encode.
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def recipient_problem(recipient: Recipient) -> str | None:
    """Why no message can be made for ``recipient`` (a redacted reason, English; a msgid of the catalogs,
    translated where it is shown), or None.

    Names and header values are cleaned where headers are built, so only what cleaning
    cannot repair is a problem: a malformed address (it must not be changed: it would be
    someone else's) and text that is not valid Unicode (lone surrogates).
    """
    if not _ADDRESS.fullmatch(recipient.email) or not _encodable(recipient.email):
        return N_("the address is malformed (whitespace, control characters, or not exactly one at-sign)")
    if recipient.name is not None and not _encodable(recipient.name):
        return N_("the name cannot be encoded (invalid Unicode)")
    for header, value in recipient.headers.items():
        if not _encodable(header) or not _encodable(value):
            # The header's name is data, so this one reason stays English where it is shown.
            return f"the header {header.encode('ascii', 'replace').decode()} cannot be encoded (invalid Unicode)"
    for value in recipient.substitutions.values():
        if not _encodable(value):
            return N_("a personal part of the message cannot be encoded (invalid Unicode)")
    return None


def apply_substitutions(template: str, substitutions: Mapping[str, str]) -> str:
    """Replace every placeholder in one pass; a value that contains a placeholder stays as it is."""
    if not substitutions:
        return template
    pattern = re.compile("|".join(re.escape(key) for key in sorted(substitutions, key=len, reverse=True)))
    return pattern.sub(lambda match: substitutions[match.group(0)], template)


def personalise(body: MessageBody, recipient: Recipient) -> MessageBody:
    """The body as ``recipient`` sees it."""
    return MessageBody(
        subject=apply_substitutions(body.subject, recipient.substitutions),
        html=apply_substitutions(body.html, recipient.substitutions),
        text=apply_substitutions(body.text, recipient.substitutions),
    )


def chunked(items: Sequence[Recipient], size: int) -> list[tuple[Recipient, ...]]:
    return [tuple(items[start : start + size]) for start in range(0, len(items), size)]
