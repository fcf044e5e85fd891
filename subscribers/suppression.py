"""The suppression list and erasure: what the subscriber store does with keyed hashes of addresses.

A suppressed address (erased, bounced, complained) is never mailed and never re-imported; only
the keyed hash (HMAC-SHA256) of an erased address is kept. :class:`SubscriberStore` builds on this.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from subscribers.addresses import KeyedHasher, suppression_hasher
from subscribers.tables import consent_records, subscribers, subscriptions, suppressions
from syndication.errors import InputError
from syndication.mail.addresses import normalise_email
from syndication.subscriber import BOUNCED, COMPLAINED, FORGOTTEN, SubscriberStatus


class SuppressionList:
    """Keyed hashes of addresses that must not be mailed, and the erasure that leaves only them.

    ``secret_key`` keys the hashes; without it anything that hashes an address raises ConfigError.
    """

    def __init__(self, engine: Engine, secret_key: str | None = None) -> None:
        self.engine = engine
        self._hash: KeyedHasher = suppression_hasher(secret_key)

    def email_hash(self, email: str) -> str:
        return self._hash(normalise_email(email))

    def suppressed_among(self, emails: Sequence[str]) -> set[str]:
        """Which of these (normalised) addresses are on the suppression list."""
        by_hash = {self._hash(email): email for email in emails}
        hashes = list(by_hash)
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                rows = connection.execute(select(suppressions.c.email_hash).where(suppressions.c.email_hash.in_(chunk)))
                found.update(by_hash[row.email_hash] for row in rows)
        return found

    @staticmethod
    def _suppression_reason(connection: Connection, email_hash: str) -> str | None:
        return connection.execute(
            select(suppressions.c.reason).where(suppressions.c.email_hash == email_hash)
        ).scalar()

    def suppression_reason(self, email: str) -> str | None:
        """Why the address is suppressed (forgotten, bounced, complained), or None."""
        try:
            email_hash = self.email_hash(email)
        except InputError:
            return None
        with self.engine.connect() as connection:
            return self._suppression_reason(connection, email_hash)

    def is_suppressed(self, email: str) -> bool:
        """Whether nothing may be sent to this address (erased, bounced or complained)."""
        return self.suppression_reason(email) is not None

    def suppress(self, email: str, reason: str, *, now: datetime) -> None:
        """Put the address on the suppression list (an erasure is never downgraded)."""
        email_hash = self.email_hash(email)
        with self.engine.begin() as connection:
            self.suppress_in(connection, email_hash, reason, now)

    @staticmethod
    def suppress_in(connection: Connection, email_hash: str, reason: str, now: datetime) -> None:
        """Suppress a hashed address inside the caller's transaction."""
        current = SuppressionList._suppression_reason(connection, email_hash)
        if current is None:
            connection.execute(insert(suppressions).values(email_hash=email_hash, reason=reason, created=now))
        elif current != FORGOTTEN and current != reason:
            connection.execute(
                update(suppressions).where(suppressions.c.email_hash == email_hash).values(reason=reason)
            )

    def suppress_address_in(self, connection: Connection, email: str, reason: str, now: datetime) -> None:
        """Suppress ``email`` inside the caller's transaction (a bounce or complaint event's)."""
        self.suppress_in(connection, self.email_hash(email), reason, now)

    def suppress_all(self, emails: Sequence[str], reason: str, now: datetime) -> None:
        """Suppress every one of ``emails`` in one transaction (a page of a provider's list)."""
        with self.engine.begin() as connection:
            for email in emails:
                self.suppress_in(connection, self.email_hash(email), reason, now)

    @staticmethod
    def contact_in(connection: Connection, subscriber_id: int) -> tuple[str, SubscriberStatus] | None:
        """The subscriber's address and status, inside the caller's transaction; None if unknown."""
        row = connection.execute(
            select(subscribers.c.email, subscribers.c.status).where(subscribers.c.id == subscriber_id)
        ).first()
        return None if row is None else (row.email, SubscriberStatus(row.status))

    @staticmethod
    def end_subscription_in(
        connection: Connection, subscriber_id: int, status: SubscriberStatus, reason: str, now: datetime
    ) -> None:
        """End the subscription with ``status`` (bounced, complained, unsubscribed) inside the caller's transaction."""
        connection.execute(
            update(subscribers)
            .where(subscribers.c.id == subscriber_id)
            .values(status=status.value, unsubscribed=now, unsubscribe_reason=reason[:200])
        )

    def lift_suppression(self, email: str) -> None:
        """Remove the address from the suppression list: its owner opted in again and confirmed."""
        email_hash = self.email_hash(email)
        with self.engine.begin() as connection:
            connection.execute(delete(suppressions).where(suppressions.c.email_hash == email_hash))

    def forget(self, email: str, *, now: datetime) -> bool:
        """GDPR erasure: delete the subscriber and its consent trail, keep only a keyed hash.

        The hash keeps the address suppressed, so it cannot be re-imported. Returns whether
        a subscriber was found (the hash is stored either way).
        """
        return self.erase(email, now=now) is not None

    def erase(self, email: str, *, now: datetime) -> int | None:
        """:meth:`forget`, returning the erased subscriber's id (None if there was none)."""
        address = normalise_email(email)
        email_hash = self._hash(address)
        with self.engine.begin() as connection:
            subscriber_id = connection.execute(
                select(subscribers.c.id).where(subscribers.c.email == address)
            ).scalar()
            if subscriber_id is not None:
                connection.execute(delete(consent_records).where(consent_records.c.subscriber_id == subscriber_id))
                connection.execute(delete(subscriptions).where(subscriptions.c.subscriber_id == subscriber_id))
                connection.execute(delete(subscribers).where(subscribers.c.id == subscriber_id))
            if self._suppression_reason(connection, email_hash) is None:
                connection.execute(
                    insert(suppressions).values(email_hash=email_hash, reason=FORGOTTEN, created=now)
                )
            else:
                connection.execute(
                    update(suppressions).where(suppressions.c.email_hash == email_hash).values(reason=FORGOTTEN)
                )
        return None if subscriber_id is None else int(subscriber_id)

    def scrub_deleted(self) -> bool:
        """Overwrite what deleted rows left behind in the database files (after an erasure).

        SQLite keeps a deleted row's bytes in free pages and in the write-ahead log until
        they are reused, so an erased address could still be read from ``syndication.db``
        or its ``-wal`` file. VACUUM rewrites the file from the live rows only, and the
        TRUNCATE checkpoint empties the log. Returns False when a reader kept the log from
        being emptied (run ``forget`` again when ``serve`` is idle). PostgreSQL's files
        are not readable without the server's rights; nothing to do there.
        """
        if self.engine.dialect.name != "sqlite":
            return True
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM")
                busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        except OperationalError:
            # Another process held the database past the busy timeout; the erasure itself is
            # committed, only the scrubbing has to be repeated.
            return False
        return busy is None or int(busy[0]) == 0


__all__ = ["BOUNCED", "COMPLAINED", "FORGOTTEN", "SuppressionList"]
