"""The subscriber store on SQLite and PostgreSQL: normalisation, statuses, streaming, suppression, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from subscribers.model import ConsentRecord, Frequency, SubscriberStatus
from subscribers.store import AddressSuppressed, AlreadySubscribed, NewSubscriber, SubscriberStore
from subscribers.tables import consent_records, suppressions
from syndication.errors import ConfigError, InputError

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
KEY = "test-secret-key-0123456789abcdef"


@pytest.fixture
def store(any_engine: Engine) -> SubscriberStore:
    return SubscriberStore(any_engine, KEY)


def ids(batches: object) -> list[list[int]]:
    return [[s.id for s in batch] for batch in batches]  # type: ignore[attr-defined]


def test_addresses_are_normalised_and_unique(store: SubscriberStore) -> None:
    """Case and surrounding spaces do not make a second subscriber; IDN domains are kept in Unicode."""
    added = store.add("  Anna.B@Example.ORG ", now=NOW, topics=["Politik", "Politik", "Sport"])
    with pytest.raises(AlreadySubscribed):
        store.add("anna.b@example.org", now=NOW)
    idn = store.add("leser@bücher.example", now=NOW)
    assert ("anna.b@example.org", ("Politik", "Sport")) == (added.email, added.topics)
    assert "leser@bücher.example" == idn.email
    assert added == store.get_by_email("ANNA.B@example.org")


def test_invalid_address_is_refused(store: SubscriberStore) -> None:
    """An address without a valid syntax raises InputError naming the email field."""
    with pytest.raises(InputError) as raised:
        store.add("anna@@example.org", now=NOW)
    assert "email" == raised.value.field


def test_status_changes_record_times_and_reason(store: SubscriberStore) -> None:
    """Activating sets confirmed; unsubscribing sets the time and reason; re-activating clears them."""
    subscriber = store.add("b@example.org", now=NOW)
    active = store.set_status(subscriber.id, SubscriberStatus.ACTIVE, now=NOW)
    gone = store.set_status(subscriber.id, SubscriberStatus.UNSUBSCRIBED, now=NOW, reason="one-click")
    back = store.set_status(subscriber.id, SubscriberStatus.ACTIVE, now=NOW)
    assert NOW == active.confirmed
    assert (NOW, "one-click") == (gone.unsubscribed, gone.unsubscribe_reason)
    assert (None, None) == (back.unsubscribed, back.unsubscribe_reason)


def test_update_preferences_changes_only_what_is_given(store: SubscriberStore) -> None:
    """Arguments left out keep their value; an empty name becomes None."""
    subscriber = store.add("c@example.org", now=NOW, name="Carla", topics=["Sport"])
    updated = store.update_preferences(subscriber.id, frequency=Frequency.WEEKLY, slot="07:00")
    renamed = store.update_preferences(subscriber.id, name="  ")
    assert (Frequency.WEEKLY, "07:00", ("Sport",), "Carla") == (
        updated.frequency, updated.slot, updated.topics, updated.name,
    )
    assert None is renamed.name


def test_iter_active_streams_by_id_in_batches(store: SubscriberStore) -> None:
    """Only ACTIVE subscribers of the frequency, ordered by id, in batches of batch_size."""
    made = [
        store.add(f"s{i}@example.org", now=NOW, status=SubscriberStatus.ACTIVE).id for i in range(7)
    ]
    store.add("weekly@example.org", now=NOW, status=SubscriberStatus.ACTIVE, frequency=Frequency.WEEKLY)
    store.add("pending@example.org", now=NOW)
    store.set_status(made[3], SubscriberStatus.UNSUBSCRIBED, now=NOW)
    expected_ids = [i for i in made if i != made[3]]
    assert [expected_ids[0:3], expected_ids[3:6]] == ids(store.iter_active(Frequency.DAILY, None, "06:00", 3))


def test_iter_active_slots(store: SubscriberStore) -> None:
    """Without a slot a subscriber belongs to the first slot; slot None means every slot."""
    no_slot = store.add("a@example.org", now=NOW, status=SubscriberStatus.ACTIVE).id
    first = store.add("b@example.org", now=NOW, status=SubscriberStatus.ACTIVE, slot="06:00").id
    noon = store.add("c@example.org", now=NOW, status=SubscriberStatus.ACTIVE, slot="12:00").id
    retired = store.add("d@example.org", now=NOW, status=SubscriberStatus.ACTIVE, slot="09:30").id
    assert [[no_slot, first]] == ids(store.iter_active(Frequency.DAILY, "06:00", "06:00", 10))
    assert [[noon]] == ids(store.iter_active(Frequency.DAILY, "12:00", "06:00", 10))
    assert [[no_slot, first, noon, retired]] == ids(store.iter_active(Frequency.DAILY, None, "06:00", 10))
    # A slot no longer offered falls back to the first slot when the edition's slots are given.
    assert [[no_slot, first, retired]] == ids(
        store.iter_active(Frequency.DAILY, "06:00", "06:00", 10, slots=("06:00", "12:00"))
    )


def test_iter_active_skips_suppressed_addresses(store: SubscriberStore) -> None:
    """An active subscriber whose address is on the suppression list is not streamed."""
    kept = store.add("kept@example.org", now=NOW, status=SubscriberStatus.ACTIVE).id
    store.add("hard@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    store.suppress("hard@example.org", "bounced", now=NOW)
    assert [[kept]] == ids(store.iter_active(Frequency.DAILY, None, "06:00", 10))
    assert (True, False) == (store.is_suppressed("HARD@example.org"), store.is_suppressed("kept@example.org"))


def test_forget_erases_data_and_keeps_the_address_suppressed(store: SubscriberStore) -> None:
    """forget deletes the subscriber and consent trail, keeps only a keyed hash; add is then refused."""
    subscriber = store.add("weg@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    store.record_consent(ConsentRecord(subscriber.id, "confirmed", NOW, "web", "2026-11", "127.0.0.1", "UA"))
    assert store.forget("Weg@example.org", now=NOW)
    assert (None, True) == (store.get(subscriber.id), store.is_suppressed("weg@example.org"))
    with store.engine.connect() as connection:
        trail = connection.execute(select(func.count()).select_from(consent_records)).scalar_one()
        hashes = connection.execute(select(suppressions.c.email_hash)).scalars().all()
    assert 0 == trail
    assert all("weg" not in value and len(value) == 64 for value in hashes)
    with pytest.raises(AddressSuppressed):
        store.add("weg@example.org", now=NOW)


def test_suppression_hash_depends_on_the_secret_key(any_engine: Engine) -> None:
    """The hash is keyed: another secret key gives another hash; without a key hashing is refused."""
    assert SubscriberStore(any_engine, KEY).email_hash("x@example.org") != SubscriberStore(
        any_engine, "another-secret-key-0123456789"
    ).email_hash("x@example.org")
    with pytest.raises(ConfigError):
        SubscriberStore(any_engine).is_suppressed("x@example.org")


def test_add_many_inserts_with_consent(store: SubscriberStore) -> None:
    """Bulk insert of active rows records an 'imported' consent step per subscriber."""
    rows = [NewSubscriber(email=f"bulk{i}@example.org", topics=("Politik",)) for i in range(3)]
    assert 3 == store.add_many(rows, now=NOW, status=SubscriberStatus.ACTIVE, consent_form="import:x.csv",
                               wording_version="2026-11")
    subscriber = store.get_by_email("bulk1@example.org")
    assert (SubscriberStatus.ACTIVE, ["imported"]) == (
        subscriber.status, [r.action for r in store.consent_records(subscriber.id)]
    )


def test_purge_pending_deletes_only_old_unconfirmed_sign_ups(store: SubscriberStore) -> None:
    """Old pending sign-ups go (with their consent trail); recent ones and confirmed subscribers stay."""
    old = store.add("alt@example.org", now=NOW - timedelta(days=40))
    store.record_consent(ConsentRecord(old.id, "requested", NOW, "web", "2026-11"))
    recent = store.add("frisch@example.org", now=NOW - timedelta(days=2))
    active = store.add("aktiv@example.org", now=NOW - timedelta(days=40), status=SubscriberStatus.ACTIVE)
    assert 1 == store.purge_pending(NOW - timedelta(days=30))
    assert (None, recent, active) == (store.get(old.id), store.get(recent.id), store.get(active.id))
    assert [] == store.consent_records(old.id)
