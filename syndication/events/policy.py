"""Bounce and complaint policy: what an event does to its subscriber (issue 14, item 2).

A hard bounce or a complaint suppresses the address at once; soft bounces suppress it once
``soft_bounce_limit`` of them arrived within ``soft_bounce_days``; an unsubscribe event
unsubscribes. :class:`SubscriberSuppressions` applies that to the real subscriber store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy.engine import Connection

from syndication.mail.events import BounceType, EventKind, SendEvent
from syndication.notify import NoNotifier, Notifier
from syndication.subscriber import BOUNCED, COMPLAINED, SubscriberStatus, ends_more_strongly

log = logging.getLogger(__name__)


class Action(StrEnum):
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"


# A provider's drop of an address it already knows bad (SendGrid's reasons) is that fact again;
# other drops (message too big, invalid header) say nothing about the reader.
_DROP_REASONS = {
    "bounced address": Action.BOUNCED,
    "invalid": Action.BOUNCED,
    "spam reporting address": Action.COMPLAINED,
    "unsubscribed address": Action.UNSUBSCRIBED,
}


@dataclass(frozen=True)
class BouncePolicy:
    soft_bounce_limit: int = 3
    soft_bounce_days: float = 7.0

    @property
    def soft_bounce_window(self) -> timedelta:
        return timedelta(days=self.soft_bounce_days)

    def immediate_action(self, event: SendEvent) -> Action | None:
        """What the event does by itself (a soft bounce needs its history: see ``soft_bounce_window``)."""
        if event.kind == EventKind.COMPLAINT:
            return Action.COMPLAINED
        if event.kind == EventKind.UNSUBSCRIBE:
            return Action.UNSUBSCRIBED
        if event.kind == EventKind.BOUNCE and event.bounce_type == BounceType.HARD:
            return Action.BOUNCED
        if event.kind == EventKind.DROPPED:
            return _DROP_REASONS.get((event.reason or "").strip().lower())
        return None


class Suppressions(Protocol):
    """Where the policy's actions land (the subscriber store), inside the event's transaction."""

    def apply_in(self, connection: Connection, subscriber_id: int, action: Action, reason: str, now: datetime) -> bool:
        """Apply ``action`` to the subscriber; return whether the subscriber was found."""
        ...


_STATUS = {
    Action.BOUNCED: SubscriberStatus.BOUNCED,
    Action.COMPLAINED: SubscriberStatus.COMPLAINED,
    Action.UNSUBSCRIBED: SubscriberStatus.UNSUBSCRIBED,
}


class SubscriberRecords(Protocol):
    """The subscriber store as the policy changes it, inside the event's own transaction
    (the real one: :class:`subscribers.store.SubscriberStore`, plugged in by :mod:`syndication.app`)."""

    def contact_in(self, connection: Connection, subscriber_id: int) -> tuple[str, SubscriberStatus] | None:
        """The subscriber's address and status; None when there is no such subscriber."""
        ...

    def end_subscription_in(
        self, connection: Connection, subscriber_id: int, status: SubscriberStatus, reason: str, now: datetime
    ) -> None: ...

    def suppress_address_in(self, connection: Connection, email: str, reason: str, now: datetime) -> None: ...


class SubscriberSuppressions:
    """The policy over the subscriber store: status changes, and the suppression list for bounces and complaints.

    The suppression list keeps a keyed hash of the address, which survives erasure and
    re-import: a bounced or complaining address is never mailed again.
    """

    def __init__(self, store: SubscriberRecords, notifier: Notifier | None = None) -> None:
        self.store = store
        self.notifier = notifier or NoNotifier()

    def apply_in(self, connection: Connection, subscriber_id: int, action: Action, reason: str, now: datetime) -> bool:
        contact = self.store.contact_in(connection, subscriber_id)
        if contact is None:
            return False
        email, status = contact
        target = _STATUS[action]
        if ends_more_strongly(target, status):
            self.store.end_subscription_in(connection, subscriber_id, target, reason, now)
            # Outgoing webhooks, queued in the event's own transaction.
            self.notifier.notify(
                f"subscriber.{action.value}", {"subscriber_id": subscriber_id, "email": email, "reason": reason},
                connection=connection,
            )
        if action in (Action.BOUNCED, Action.COMPLAINED):
            listed = BOUNCED if action == Action.BOUNCED else COMPLAINED
            self.store.suppress_address_in(connection, email, listed, now)
        log.info("event policy: subscriber %s %s (%s)", subscriber_id, action.value, reason)
        return True
