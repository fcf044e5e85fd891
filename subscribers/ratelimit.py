"""Per-client rate limit for sign-ups, kept in the database so that every server process shares it.

The client is identified by a keyed hash of its IP address; the address itself is never stored.
Behind a reverse proxy, list it in ``[serve] trusted_proxies`` so that the client address is the
reader's, not the proxy's; forwarded headers from anyone else are ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select

from subscribers.addresses import client_hasher
from subscribers.tables import subscribe_attempts


class SubscribeRateLimiter:
    """At most ``limit`` attempts per client within a sliding ``window``."""

    def __init__(self, engine: Engine, secret_key: str | None, *, limit: int, window: timedelta) -> None:
        self.engine = engine
        self.limit = limit
        self.window = window
        self._hash = client_hasher(secret_key)

    def attempt(self, client: str, now: datetime) -> bool:
        """Record an attempt by ``client``; False when it is over the limit (then nothing is recorded)."""
        client_hash = self._hash(client)
        cutoff = now - self.window
        with self.engine.begin() as connection:
            # Old attempts of everyone are pruned here, so the table stays as small as the window.
            connection.execute(delete(subscribe_attempts).where(subscribe_attempts.c.attempted_at <= cutoff))
            recent = connection.execute(
                select(func.count())
                .select_from(subscribe_attempts)
                .where(subscribe_attempts.c.client_hash == client_hash, subscribe_attempts.c.attempted_at > cutoff)
            ).scalar_one()
            if recent >= self.limit:
                return False
            connection.execute(insert(subscribe_attempts).values(client_hash=client_hash, attempted_at=now))
            return True

    def retry_after(self, client: str, now: datetime) -> int:
        """Seconds until ``client`` may try again."""
        client_hash = self._hash(client)
        with self.engine.connect() as connection:
            oldest = connection.execute(
                select(func.min(subscribe_attempts.c.attempted_at)).where(
                    subscribe_attempts.c.client_hash == client_hash,
                    subscribe_attempts.c.attempted_at > now - self.window,
                )
            ).scalar()
        if oldest is None:
            return 0
        return max(1, int((oldest + self.window - now).total_seconds()) + 1)
