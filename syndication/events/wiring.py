"""Builds the event store from the runtime: the subscriber store's policy and the ledger's places.

Every backend's event source (the SendGrid webhook, inbound bounces, the click redirect) calls
:func:`event_store` and hands its parsed :class:`~syndication.events.model.SendEvent` s to ``record``.
"""

from __future__ import annotations

from sqlalchemy import Engine

from subscribers.store import SubscriberStore
from syndication.config import Settings
from syndication.delivery.places import LedgerPlaces
from syndication.events.policy import BouncePolicy, SubscriberSuppressions
from syndication.events.store import EventStore
from syndication.runtime import Runtime


def event_store_for(engine: Engine, settings: Settings, secret_key: str | None) -> EventStore:
    delivery = settings.delivery
    return EventStore(
        engine,
        suppressions=SubscriberSuppressions(SubscriberStore(engine, secret_key)),
        places=LedgerPlaces(),
        policy=BouncePolicy(delivery.soft_bounce_limit, delivery.soft_bounce_days),
        per_subscriber=settings.tracking.per_subscriber,
    )


def event_store(runtime: Runtime) -> EventStore:
    """The event store of this runtime's database and settings."""
    return event_store_for(runtime.engine, runtime.settings, runtime.secrets.secret_key)
