"""``syndication delivery sync-suppressions``: SendGrid's suppression lists onto this site's.

A newsroom moving here from another tool brings a SendGrid account that already knows which
addresses bounce, complain or unsubscribed from everything. Each list is read page by page and
every address on it goes onto the suppression list (its keyed hash only), so no edition is ever
addressed to it. A reader in the subscriber list gets the matching status too (never a weaker
one than it has: complained > bounced > unsubscribed).

Suppression wins: nothing is ever lifted, an address already suppressed (erased ones included:
for those only the hash exists, and nothing but the hash is looked up or written) is counted as
"already" and left as it is, so a second run changes nothing. Blocks are read only on request:
SendGrid lists an address there when a receiving server refused one message for a reason about the
message or the sending IP, which says nothing lasting about the reader (the Event Webhook's
``blocked`` bounces are ignored for the same reason). Addresses never reach a log or the output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from syndication.delivery.sendgrid_account import AccessForbidden, SendGridAccount
from syndication.errors import InputError
from syndication.mail.addresses import normalise_email
from syndication.notify import NoNotifier, Notifier
from syndication.subscriber import BOUNCED, COMPLAINED, Subscriber, SubscriberStatus, ends_more_strongly

log = logging.getLogger(__name__)

UNSUBSCRIBED: Final = "unsubscribed"
BLOCKED: Final = "blocked"


@dataclass(frozen=True)
class SuppressionSource:
    """One SendGrid list: its path name, the suppression reason and the subscriber status it means."""

    name: str
    reason: str
    status: SubscriberStatus


# Strongest first, so that an address on two lists is counted under the stronger one.
SOURCES: Final = (
    SuppressionSource("spam_reports", COMPLAINED, SubscriberStatus.COMPLAINED),
    SuppressionSource("bounces", BOUNCED, SubscriberStatus.BOUNCED),
    SuppressionSource("invalid_emails", BOUNCED, SubscriberStatus.BOUNCED),
    SuppressionSource("unsubscribes", UNSUBSCRIBED, SubscriberStatus.UNSUBSCRIBED),
    SuppressionSource("blocks", BLOCKED, SubscriberStatus.BOUNCED),
)
DEFAULT_LISTS: Final = tuple(source.name for source in SOURCES if source.name != "blocks")

class SuppressionStore(Protocol):
    """The subscriber store as the sync uses it (the real one: :class:`subscribers.store.SubscriberStore`,
    plugged in by the composition root and the CLI)."""

    def suppressed_among(self, emails: Sequence[str]) -> set[str]: ...

    def suppress_all(self, emails: Sequence[str], reason: str, now: datetime) -> None: ...

    def existing_emails(self, emails: Sequence[str]) -> set[str]: ...

    def get_by_email(self, email: str) -> Subscriber | None: ...

    def set_status(
        self, subscriber_id: int, status: SubscriberStatus, *, now: datetime, reason: str | None = None
    ) -> Subscriber | None: ...


@dataclass(frozen=True)
class ListResult:
    """What one list gave: entries read, addresses newly suppressed or already so, unusable entries,
    subscribers whose status changed; ``forbidden`` when the key may not read the list."""

    name: str
    listed: int = 0
    new: int = 0
    already: int = 0
    unusable: int = 0
    subscribers_changed: int = 0
    forbidden: str | None = None


@dataclass(frozen=True)
class SyncReport:
    lists: tuple[ListResult, ...]

    @property
    def new(self) -> int:
        return sum(result.new for result in self.lists)

    @property
    def already(self) -> int:
        return sum(result.already for result in self.lists)

    @property
    def forbidden(self) -> tuple[ListResult, ...]:
        return tuple(result for result in self.lists if result.forbidden)


def sync_suppressions(
    account: SendGridAccount,
    store: SuppressionStore,
    *,
    now: datetime,
    lists: Iterable[str] = DEFAULT_LISTS,
    notifier: Notifier | None = None,
    page_size: int = 500,
) -> SyncReport:
    """Suppress every address on SendGrid's lists ``lists``; a list the key may not read is reported, not fatal."""
    wanted = set(lists)
    unknown = wanted - {source.name for source in SOURCES}
    if unknown:
        raise ValueError(f"unknown SendGrid suppression lists: {', '.join(sorted(unknown))}")
    results = []
    for source in SOURCES:
        if source.name in wanted:
            results.append(_sync_list(account, store, source, now, notifier or NoNotifier(), page_size))
    return SyncReport(tuple(results))


def _sync_list(
    account: SendGridAccount, store: SuppressionStore, source: SuppressionSource, now: datetime,
    notifier: Notifier, page_size: int,
) -> ListResult:
    counts = {"listed": 0, "new": 0, "already": 0, "unusable": 0, "subscribers_changed": 0}
    try:
        for page in account.suppression_pages(source.name, page_size):
            counts["listed"] += len(page)
            emails = _addresses(page)
            counts["unusable"] += len(page) - len(emails)
            new, changed = _apply_page(store, source, emails, now, notifier)
            counts["new"] += new
            counts["already"] += len(emails) - new
            counts["subscribers_changed"] += changed
    except AccessForbidden as forbidden:
        log.warning("SendGrid %s list not read: %s", source.name, forbidden)
        return ListResult(source.name, forbidden=str(forbidden), **counts)
    log.info("SendGrid %s list: %d new, %d already suppressed, %d unusable", source.name, counts["new"],
             counts["already"], counts["unusable"])
    return ListResult(source.name, **counts)


def _addresses(page: list[Any]) -> list[str]:
    """The page's addresses, normalised as the store keeps them, once each; unusable entries left out."""
    found: dict[str, None] = {}
    for entry in page:
        raw = entry.get("email") if isinstance(entry, dict) else None
        if not isinstance(raw, str):
            continue
        try:
            found[normalise_email(raw, where="sendgrid")] = None
        except InputError:
            # No mail can be addressed to it here either; SendGrid's invalid_emails list holds such entries.
            continue
    return list(found)


def _apply_page(
    store: SuppressionStore, source: SuppressionSource, emails: list[str], now: datetime, notifier: Notifier,
) -> tuple[int, int]:
    """Suppress what is not yet suppressed (one transaction per page); returns (new, subscribers changed)."""
    if not emails:
        return 0, 0
    already = store.suppressed_among(emails)
    fresh = [email for email in emails if email not in already]
    if fresh:
        store.suppress_all(fresh, source.reason, now)
    changed = 0
    for email in sorted(store.existing_emails(emails)):
        subscriber = store.get_by_email(email)
        if subscriber is None or not ends_more_strongly(source.status, subscriber.status):
            continue
        store.set_status(subscriber.id, source.status, now=now, reason=f"sendgrid {source.name}")
        notifier.notify(f"subscriber.{source.status.value}",
                        {"subscriber_id": subscriber.id, "email": subscriber.email,
                         "reason": f"sendgrid {source.name}"})
        changed += 1
    return len(fresh), changed
