"""What a command or the web app runs with: settings, secrets, clock and the database.

Built once at start-up and passed down; nothing else reads configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from syndication.clock import Clock, SystemClock
from syndication.config import Secrets, Settings
from syndication.notify import NoNotifier, Notifier
from syndication.store.db import open_engine


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
