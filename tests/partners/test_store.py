"""The partner repository: keys hashed, revoke and rotate, request log (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from syndication.clock import FixedClock
from syndication.errors import UsageError
from syndication.partners.store import PartnerNotFound, PartnerStore
from syndication.partners.tables import partners

from .helpers import TEST_SECRET


@pytest.fixture
def store(any_engine: Engine) -> PartnerStore:
    return PartnerStore(any_engine, TEST_SECRET)


def test_add_stores_terms_and_no_key(store: PartnerStore, clock: FixedClock) -> None:
    """A new partner keeps its terms; the database holds a hash and a prefix, never the key."""
    created = store.add("Rheinpfalz", clock.now(), categories=["Politik", " ", "Politik"], regions=["Kaiserslautern"],
                        embargo_minutes=30, summary_only=True, attribution="Quelle: PR")
    partner = store.get("Rheinpfalz")
    assert (("Politik",), ("Kaiserslautern",), 30, True, "Quelle: PR", None, clock.now()) == (
        partner.categories, partner.regions, partner.embargo_minutes, partner.summary_only,
        partner.attribution, partner.rights_text, partner.created_at,
    )
    with store.engine.connect() as connection:
        row = connection.execute(select(partners)).one()
    assert created.key not in " ".join(str(value) for value in row)
    assert created.key.startswith(row.key_prefix)


def test_authenticate_known_unknown_and_revoked(store: PartnerStore, clock: FixedClock) -> None:
    """The right key finds its partner; another key finds none; a revoked partner is found but refused."""
    key = store.add("A", clock.now()).key
    store.add("B", clock.now())
    assert ("A", True) == (store.authenticate(key).partner.name, store.authenticate(key).ok)
    assert [None, None, None] == [
        store.authenticate(candidate).partner for candidate in (None, "", key[:-1] + ("x" if key[-1] != "x" else "y"))
    ]
    assert store.revoke("A", clock.now())
    assert (True, False) == (store.authenticate(key).partner is not None, store.authenticate(key).ok)
    assert not store.revoke("A", clock.now())


def test_every_refused_key_costs_one_query_and_one_hash(
    store: PartnerStore, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key, a malformed, an unknown and a revoked key: each one SELECT and one hash comparison, none a write."""
    engine = store.engine
    from sqlalchemy import event

    from syndication.partners.keys import KeyHasher, generate_key

    revoked = store.add("Ehemalig", clock.now()).key
    store.revoke("Ehemalig", clock.now())
    statements: list[str] = []
    comparisons: list[str] = []
    original = KeyHasher.matches

    def counting(self: KeyHasher, key: str, stored_hash: str) -> bool:
        comparisons.append(key)
        return original(self, key, stored_hash)

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0].upper())

    monkeypatch.setattr(KeyHasher, "matches", counting)
    event.listen(engine, "before_cursor_execute", record)
    try:
        costs = []
        for presented in (None, "Bearer-Müll", generate_key(), revoked):
            statements.clear()
            comparisons.clear()
            store.authenticate(presented)
            costs.append((tuple(statements), len(comparisons)))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [(("SELECT",), 1)] * 4 == costs


def test_rotate_replaces_the_key(store: PartnerStore, clock: FixedClock) -> None:
    """After rotation the old key stops working and the new one works."""
    old = store.add("A", clock.now()).key
    clock.advance(timedelta(days=1))
    rotated = store.rotate("A", clock.now())
    assert (None, "A", clock.now()) == (
        store.authenticate(old).partner, store.authenticate(rotated.key).partner.name, rotated.partner.key_created_at,
    )


def test_rotate_of_revoked_partner_is_refused(store: PartnerStore, clock: FixedClock) -> None:
    """A revoked partner gets no new key by rotation."""
    store.add("A", clock.now())
    store.revoke("A", clock.now())
    with pytest.raises(UsageError, match="revoked"):
        store.rotate("A", clock.now())


def test_names_are_unique_and_unknown_names_are_reported(store: PartnerStore, clock: FixedClock) -> None:
    """Adding a name twice and naming an unknown partner are usage errors naming the partner."""
    store.add("A", clock.now())
    with pytest.raises(UsageError, match="exists already"):
        store.add("A", clock.now())
    with pytest.raises(PartnerNotFound, match="'Z'"):
        store.revoke("Z", clock.now())


def test_bad_terms_are_refused(store: PartnerStore, clock: FixedClock) -> None:
    """An empty name or a negative embargo is refused before anything is stored."""
    with pytest.raises(UsageError):
        store.add("  ", clock.now())
    with pytest.raises(UsageError):
        store.add("A", clock.now(), embargo_minutes=-1)
    assert [] == store.all()


def test_request_log_and_usage(store: PartnerStore, clock: FixedClock) -> None:
    """Each logged request is kept per partner; usage sums items and knows the last time."""
    partner = store.add("A", clock.now()).partner
    store.log_request(partner.id, clock.now(), "items", 200, 5)
    clock.advance(timedelta(minutes=1))
    store.log_request(partner.id, clock.now(), "feed.atom", 304, 0)
    assert [(clock.now() - timedelta(minutes=1), "items", 200, 5), (clock.now(), "feed.atom", 304, 0)] == (
        store.requests(partner.id)
    )
    usage = store.usage()[partner.id]
    assert (2, 5, clock.now()) == (usage.requests, usage.items_served, usage.last_request)
