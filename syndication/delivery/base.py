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


class Messenger(Protocol):
    """A delivery backend. ``send`` either accepts the whole batch or raises DeliveryFailed."""

    name: str

    def send(self, batch: Batch) -> Sequence[Receipt]: ...

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
