"""What a command or the web app runs with: settings, secrets, clock and the database.

Built once at start-up and passed down; nothing else reads configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from syndication.clock import Clock, SystemClock
from syndication.config import Secrets, Settings
from syndication.store.db import open_engine


class Notifier(Protocol):
    """Told by the features what happened (subscriber confirmed, edition sent, …): outgoing webhooks listen.

    ``event_type`` is one of ``config.WEBHOOK_EVENTS``; ``data`` is JSON-able. ``key`` makes a
    repeated call for the same fact (a send resumed, an edition rebuilt) one event. With
    ``connection`` the event is queued in the caller's transaction: it exists if and only if
    the change it reports does. Queuing only: it never waits for a receiver.
    """

    def notify(
        self, event_type: str, data: Mapping[str, Any], *, key: str | None = None,
        connection: Connection | None = None,
    ) -> None: ...


class NoNotifier:
    """Nobody listens (tests, and any runtime the composition does not give a notifier)."""

    def notify(
        self, event_type: str, data: Mapping[str, Any], *, key: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        return None


@dataclass
class Runtime:
    settings: Settings
    secrets: Secrets = field(default_factory=Secrets.from_env)
    clock: Clock = field(default_factory=SystemClock)
    # Plugged in where the runtime is built (syndication.cli: the outgoing webhooks' outbox).
    notifier: Notifier = field(default_factory=NoNotifier)

    @cached_property
    def engine(self) -> Engine:
        return open_engine(self.settings.store_url, migrate=self.settings.store.auto_migrate)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
