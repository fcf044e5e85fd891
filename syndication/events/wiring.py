"""Builds the event store from the runtime: the subscriber store's policy and the ledger's places.

Every backend's event source (the SendGrid webhook, inbound bounces, the click redirect) calls
:func:`event_store` and hands its parsed :class:`~syndication.events.model.SendEvent` s to ``record``.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from subscribers.store import SubscriberStore
from syndication.config import Settings
from syndication.delivery.places import LedgerPlaces
from syndication.events.policy import BouncePolicy, SubscriberSuppressions
from syndication.events.store import EventStore
from syndication.runtime import Notifier, Runtime
from syndication.store.schema import articles


class StoreArticleLinks:
    """A clicked URL is the article whose URL it is (query and fragment included, as linked)."""

    def __init__(self) -> None:
        # One event store serves one webhook post: its clicks name a handful of URLs many times.
        self._known: dict[str, str | None] = {}

    def article_for(self, connection: Connection, url: str) -> str | None:
        if url not in self._known:
            found = connection.execute(select(articles.c.id).where(articles.c.url == url).limit(1)).scalar()
            self._known[url] = None if found is None else str(found)
        return self._known[url]


def event_store_for(
    engine: Engine, settings: Settings, secret_key: str | None, notifier: Notifier | None = None
) -> EventStore:
    delivery = settings.delivery
    return EventStore(
        engine,
        suppressions=SubscriberSuppressions(SubscriberStore(engine, secret_key), notifier),
        places=LedgerPlaces(),
        policy=BouncePolicy(delivery.soft_bounce_limit, delivery.soft_bounce_days),
        per_subscriber=settings.tracking.per_subscriber,
        articles=StoreArticleLinks(),
    )


def event_store(runtime: Runtime) -> EventStore:
    """The event store of this runtime's database and settings."""
    return event_store_for(runtime.engine, runtime.settings, runtime.secrets.secret_key, runtime.notifier)
