"""The subscriber repository: subscribers, consent trail, suppression list.

Every write is one transaction per call. Times are passed in (``now``); the store never
reads a clock itself. Sends stream subscribers with :meth:`SubscriberStore.iter_active`,
which pages by id (keyset) so that a million subscribers never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from subscribers.consent import ConsentTrail
from subscribers.model import (
    ConsentRecord,
    Frequency,
    ImportedConsent,
    NewSubscriber,
    Subscriber,
    SubscriberStatus,
    clean_name,
    clean_timezone,
)
from subscribers.rows import COLUMNS, MAILING_COLUMNS, to_mailing_subscriber, to_subscriber, topics_json
from subscribers.subscriptions import Subscriptions, subscription_for
from subscribers.suppression import BOUNCED, COMPLAINED, FORGOTTEN, SuppressionList
from subscribers.tables import consent_records, subscribers, subscriptions, suppressions
from syndication.errors import InputError
from syndication.mail.addresses import normalise_email


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()



class AlreadySubscribed(InputError):
    """The address is already in the list."""


class AddressSuppressed(InputError):
    """The address is on the suppression list (erased, bounced or complained)."""


_not_suppressed = ~exists().where(suppressions.c.email_hash == subscribers.c.email_hash)


class SubscriberStore(SuppressionList, ConsentTrail, Subscriptions):
    """Reads and writes subscribers.

    ``secret_key`` keys the hashes of the suppression list; without it, reading and
    :meth:`iter_active` work, but anything that hashes an address raises ConfigError.
    """

    # -- adding ------------------------------------------------------------------

    def add(
        self,
        email: str,
        *,
        now: datetime,
        status: SubscriberStatus = SubscriberStatus.PENDING,
        frequency: Frequency = Frequency.DAILY,
        topics: Iterable[str] = (),
        name: str | None = None,
        slot: str | None = None,
        language: str = "de",
        consent: ConsentRecord | None = None,
        allow_suppressed: bool = False,
        newsletters: Iterable[str] | None = None,
        timezone: str | None = None,
    ) -> Subscriber:
        """Add one subscriber; raises AlreadySubscribed or AddressSuppressed (unless allowed).

        ``timezone`` must name an IANA zone (InputError otherwise); empty or None: the site's.

        ``newsletters`` are subscribed to (active with an active subscriber, else pending); None means the
        newsletter named like ``frequency`` (``daily``/``weekly``), as every subscriber had before newsletters.
        """
        address = normalise_email(email)
        email_hash = self._hash(address)
        zone = clean_timezone(timezone)
        with self.engine.begin() as connection:
            if not allow_suppressed and self._suppression_reason(connection, email_hash):
                raise AddressSuppressed("email", "the address is on the suppression list")
            try:
                result = connection.execute(
                    insert(subscribers).values(
                        email=address,
                        email_hash=email_hash,
                        status=status.value,
                        frequency=Frequency(frequency).value,
                        topics=topics_json(topics),
                        language=language,
                        name=clean_name(name),
                        slot=slot,
                        timezone=zone,
                        created=now,
                        confirmed=now if status == SubscriberStatus.ACTIVE else None,
                    )
                )
            except IntegrityError:
                raise AlreadySubscribed("email", "the address is already subscribed") from None
            subscriber_id = int(result.inserted_primary_key[0])
            names = (Frequency(frequency).value,) if newsletters is None else tuple(newsletters)
            self._subscribe_in(connection, subscriber_id, names, subscription_for(status), now)
            if consent is not None:
                self._insert_consent(connection, [consent], subscriber_id)
            return self._get(connection, subscriber_id)  # type: ignore[return-value]

    def add_many(
        self,
        rows: Sequence[NewSubscriber],
        *,
        now: datetime,
        status: SubscriberStatus,
        consent_form: str,
        wording_version: str,
    ) -> int:
        """Insert many new subscribers in one transaction (callers filter out known addresses first).

        A row's own status and consent record (from an export) are kept; rows without a
        status get ``status``. An active row without a consent record of its own gets an
        ``imported`` record of this import. A bounced or complained row is also put on the
        suppression list, as it was where it came from.
        """
        if not rows:
            return 0
        values = [self._row_values(row, status, now) for row in rows]
        with self.engine.begin() as connection:
            connection.execute(insert(subscribers), values)
            ids = self._ids_by_email(connection, [row.email for row in rows])
            consent = []
            for row, value in zip(rows, values, strict=True):
                names = (row.frequency.value,) if row.newsletters is None else row.newsletters
                self._subscribe_in(
                    connection, ids[row.email], names, subscription_for(SubscriberStatus(value["status"])),
                    value["created"],
                )
                if row.consent is not None:
                    consent.append(
                        {
                            "subscriber_id": ids[row.email],
                            "action": row.consent.action[:20],
                            "recorded_at": row.consent.recorded_at,
                            "ip": None,
                            "user_agent": None,
                            "form": row.consent.form[:200],
                            "wording_version": row.consent.wording_version[:50],
                        }
                    )
                elif value["status"] == SubscriberStatus.ACTIVE.value:
                    consent.append(
                        {
                            "subscriber_id": ids[row.email],
                            "action": "imported",
                            "recorded_at": now,
                            "ip": None,
                            "user_agent": None,
                            "form": consent_form,
                            "wording_version": wording_version,
                        }
                    )
                if value["status"] in (SubscriberStatus.BOUNCED.value, SubscriberStatus.COMPLAINED.value):
                    self.suppress_in(connection, value["email_hash"], value["status"], now)
            if consent:
                connection.execute(insert(consent_records), consent)
        return len(rows)

    def _row_values(self, row: NewSubscriber, status: SubscriberStatus, now: datetime) -> dict[str, Any]:
        chosen = row.status or status
        confirmed = row.confirmed
        if confirmed is None and chosen == SubscriberStatus.ACTIVE:
            confirmed = now
        unsubscribed = row.unsubscribed
        reason = row.unsubscribe_reason
        if chosen in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED):
            unsubscribed = unsubscribed or now
            reason = (reason or chosen.value)[:200]
        return {
            "email": row.email,
            "email_hash": self._hash(row.email),
            "status": chosen.value,
            "frequency": row.frequency.value,
            "topics": topics_json(row.topics),
            "language": row.language,
            "name": clean_name(row.name),
            "slot": row.slot,
            "timezone": row.timezone,
            "created": row.created or now,
            "confirmed": confirmed,
            "unsubscribed": unsubscribed,
            "unsubscribe_reason": reason,
        }

    @staticmethod
    def _ids_by_email(connection: Connection, emails: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(emails), 500):
            chunk = emails[start : start + 500]
            query = select(subscribers.c.email, subscribers.c.id).where(subscribers.c.email.in_(chunk))
            rows = connection.execute(query)
            found.update({row.email: row.id for row in rows})
        return found

    def existing_emails(self, emails: Sequence[str]) -> set[str]:
        """Which of these (normalised) addresses are already in the list."""
        with self.engine.connect() as connection:
            return set(self._ids_by_email(connection, emails))

    # -- reading -----------------------------------------------------------------

    @staticmethod
    def _get(connection: Connection, subscriber_id: int) -> Subscriber | None:
        row = connection.execute(select(*COLUMNS).where(subscribers.c.id == subscriber_id)).first()
        return None if row is None else to_subscriber(row)

    def get(self, subscriber_id: int) -> Subscriber | None:
        with self.engine.connect() as connection:
            return self._get(connection, subscriber_id)

    def get_by_email(self, email: str) -> Subscriber | None:
        try:
            address = normalise_email(email)
        except InputError:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(*COLUMNS).where(subscribers.c.email == address)).first()
            return None if row is None else to_subscriber(row)

    def link_sent(self, subscriber_id: int) -> datetime | None:
        """When a confirmation or welcome link was last mailed to this subscriber."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(subscribers.c.link_sent).where(subscribers.c.id == subscriber_id)
            ).scalar()

    def list(self, status: SubscriberStatus | None = None, limit: int | None = None) -> list[Subscriber]:
        """Subscribers ordered by id (all of them unless ``limit``); for big lists use iter_all."""
        result: list[Subscriber] = []
        for batch in self.iter_all(status=status):
            result.extend(batch)
            if limit is not None and len(result) >= limit:
                return result[:limit]
        return result

    def iter_all(
        self, status: SubscriberStatus | None = None, batch_size: int = 1000, *,
        where: ColumnElement[bool] | None = None, after_id: int = 0,
    ) -> Iterator[list[Subscriber]]:
        """Every subscriber (optionally of one status, matching ``where``, with an id above ``after_id``),
        batch by batch, ordered by id."""
        by_status = subscribers.c.status == status.value if status is not None else None
        conditions = [condition for condition in (by_status, where) if condition is not None]
        yield from self._pages(and_(*conditions) if conditions else None, batch_size, after_id=after_id)

    def count(self, status: SubscriberStatus | None = None) -> int:
        query = select(func.count()).select_from(subscribers)
        if status is not None:
            query = query.where(subscribers.c.status == status.value)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def iter_active(
        self,
        frequency: Frequency,
        slot: str | None,
        first_slot: str,
        batch_size: int = 1000,
        *,
        slots: Sequence[str] | None = None,
    ) -> Iterator[list[Subscriber]]:
        """ACTIVE, non-suppressed subscribers of ``frequency`` in ``slot``, batch by batch, by id.

        ``slot`` None means every slot. Subscribers without a slot belong to ``first_slot``;
        when the edition's ``slots`` are given, so do subscribers whose slot is no longer offered.
        For sending: the subscribers come without their timestamps.
        """
        condition = and_(
            subscribers.c.status == SubscriberStatus.ACTIVE.value,
            subscribers.c.frequency == Frequency(frequency).value,
            _not_suppressed,
        )
        if slot is not None:
            if slot == first_slot:
                in_slot = [subscribers.c.slot.is_(None), subscribers.c.slot == first_slot]
                if slots is not None:
                    in_slot.append(subscribers.c.slot.not_in(list(slots)))
                condition = and_(condition, or_(*in_slot))
            else:
                condition = and_(condition, subscribers.c.slot == slot)
        yield from self._pages(condition, batch_size, mailing=True)

    def ids_named_by(self, names: Sequence[tuple[int | None, str | None]]) -> list[int | None]:
        """For each (id a provider's event carried, address it names): the subscriber, as :meth:`id_named_by`."""
        with self.engine.connect() as connection:
            return [self.id_named_by(connection, subscriber_id, email) for subscriber_id, email in names]

    @staticmethod
    def id_named_by(connection: Connection, subscriber_id: int | None, email: str | None) -> int | None:
        """The subscriber a provider's event names: by the id the message carried, which must belong to
        ``email`` when the event names an address too; without an id, by the (normalised) address."""
        if subscriber_id is not None:
            row = connection.execute(
                select(subscribers.c.id, subscribers.c.email).where(subscribers.c.id == subscriber_id)
            ).first()
            if row is not None and (email is None or row.email == email):
                return int(row.id)
            return None
        if email is not None:
            found = connection.execute(select(subscribers.c.id).where(subscribers.c.email == email)).scalar()
            return int(found) if found is not None else None
        return None

    def active_among(self, subscriber_ids: Sequence[int]) -> dict[int, Subscriber]:
        """Of these subscribers, those who may get mail now (ACTIVE, not suppressed), by id.

        One query per 900 ids, so a send re-checks a whole batch at once; no timestamps.
        """
        found: dict[int, Subscriber] = {}
        ids = list(subscriber_ids)
        with self.engine.connect() as connection:
            for start in range(0, len(ids), 900):
                # The status is checked here, not in SQL: with it in the WHERE clause SQLite picks
                # the (status, frequency, id) index and scans every active subscriber per batch
                # instead of looking up 900 primary keys.
                query = select(*MAILING_COLUMNS).where(
                    subscribers.c.id.in_(ids[start : start + 900]), _not_suppressed
                )
                for row in connection.execute(query):
                    if row.status == SubscriberStatus.ACTIVE.value:
                        found[row.id] = to_mailing_subscriber(row)
        return found

    def _pages(
        self, condition: Any, batch_size: int, *, mailing: bool = False, after_id: int = 0
    ) -> Iterator[list[Subscriber]]:
        columns, convert = (MAILING_COLUMNS, to_mailing_subscriber) if mailing else (COLUMNS, to_subscriber)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        last_id = after_id
        while True:
            query = select(*columns).where(subscribers.c.id > last_id)
            if condition is not None:
                query = query.where(condition)
            query = query.order_by(subscribers.c.id).limit(batch_size)
            # One short read per batch: no transaction stays open while the caller sends.
            with self.engine.connect() as connection:
                batch = [convert(row) for row in connection.execute(query)]
            if not batch:
                return
            yield batch
            if len(batch) < batch_size:
                return
            last_id = batch[-1].id

    # -- changing ----------------------------------------------------------------

    def set_status(
        self,
        subscriber_id: int,
        status: SubscriberStatus,
        *,
        now: datetime,
        reason: str | None = None,
    ) -> Subscriber | None:
        """Move a subscriber to ``status``; returns the updated subscriber (None if unknown)."""
        values: dict[str, Any] = {"status": status.value}
        if status == SubscriberStatus.ACTIVE:
            values.update(confirmed=now, unsubscribed=None, unsubscribe_reason=None)
        elif status != SubscriberStatus.PENDING:
            values.update(unsubscribed=now, unsubscribe_reason=(reason or status.value)[:200])
        with self.engine.begin() as connection:
            connection.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(**values))
            if status not in (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING):
                # The end of a subscriber ends every newsletter: signing up again starts from nothing.
                self.end_subscriptions(subscriber_id, now=now, reason=reason or status.value, connection=connection)
            return self._get(connection, subscriber_id)

    def update_preferences(
        self,
        subscriber_id: int,
        *,
        topics: Iterable[str] | _Unchanged = UNCHANGED,
        frequency: Frequency | _Unchanged = UNCHANGED,
        name: str | _Unchanged | None = UNCHANGED,
        slot: str | _Unchanged | None = UNCHANGED,
        language: str | _Unchanged = UNCHANGED,
        timezone: str | _Unchanged | None = UNCHANGED,
    ) -> Subscriber | None:
        """Change what the subscriber receives; arguments left out stay as they are."""
        values: dict[str, Any] = {}
        if not isinstance(timezone, _Unchanged):
            values["timezone"] = clean_timezone(timezone)
        if not isinstance(topics, _Unchanged):
            values["topics"] = topics_json(topics)
        if not isinstance(frequency, _Unchanged):
            values["frequency"] = Frequency(frequency).value
        if not isinstance(name, _Unchanged):
            values["name"] = clean_name(name)
        if not isinstance(slot, _Unchanged):
            values["slot"] = slot
        if not isinstance(language, _Unchanged):
            values["language"] = language
        with self.engine.begin() as connection:
            if values:
                connection.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(**values))
            return self._get(connection, subscriber_id)

    def mark_link_sent(self, subscriber_id: int, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(link_sent=now))

    def purge_pending(self, created_before: datetime) -> int:
        """Delete sign-ups never confirmed and created before ``created_before``; returns how many."""
        stale = select(subscribers.c.id).where(
            subscribers.c.status == SubscriberStatus.PENDING.value,
            subscribers.c.confirmed.is_(None),
            subscribers.c.created < created_before,
        )
        with self.engine.begin() as connection:
            connection.execute(delete(consent_records).where(consent_records.c.subscriber_id.in_(stale)))
            connection.execute(delete(subscriptions).where(subscriptions.c.subscriber_id.in_(stale)))
            result = connection.execute(delete(subscribers).where(subscribers.c.id.in_(stale)))
            return int(result.rowcount or 0)


# The reasons are defined with the suppression list; callers import them from here too.
__all__ = [
    "BOUNCED",
    "COMPLAINED",
    "FORGOTTEN",
    "UNCHANGED",
    "AddressSuppressed",
    "AlreadySubscribed",
    "ImportedConsent",
    "NewSubscriber",
    "SubscriberStore",
]
