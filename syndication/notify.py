"""How features say what happened (subscriber confirmed, edition sent, …): the outgoing webhooks listen.

Core: any feature may take a :class:`Notifier`; the composition root decides who listens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.engine import Connection


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
