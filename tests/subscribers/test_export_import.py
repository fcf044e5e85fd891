"""Export then import, on the real store: nothing lost, no one re-activated, a second import changes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from subscribers.exporter import export_csv
from subscribers.importer import import_csv
from subscribers.model import ConsentRecord, Frequency, SubscriberStatus
from subscribers.store import BOUNCED, COMPLAINED, SubscriberStore
from subscribers.tables import consent_records, subscribers, suppressions
from syndication.store.db import open_engine

KEY = "test-secret-key-0123456789abcdef"
T0 = datetime(2026, 3, 1, 7, 30, 15, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[SubscriberStore]:
    """The list to export from: one reader in each state, with slots, names, topics and consent."""
    engine = open_engine(f"sqlite:///{tmp_path / 'source.db'}")
    store = SubscriberStore(engine, KEY)

    def reader(email: str, status: SubscriberStatus, days: int, **values: object) -> None:
        added = store.add(email, now=T0 + timedelta(days=days), **values)  # type: ignore[arg-type]
        store.record_consent(ConsentRecord(added.id, "requested", T0 + timedelta(days=days), "subscribe-form",
                                           "2026-01", ip="198.51.100.4"))
        if status == SubscriberStatus.PENDING:
            return
        confirmed_at = T0 + timedelta(days=days, hours=2)
        store.set_status(added.id, SubscriberStatus.ACTIVE, now=confirmed_at)
        store.record_consent(ConsentRecord(added.id, "confirmed", confirmed_at, "confirm-link", "2026-01"))
        if status != SubscriberStatus.ACTIVE:
            store.set_status(added.id, status, now=T0 + timedelta(days=days + 30), reason=f"{status.value} reason")
        if status in (SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED):
            store.suppress(email, BOUNCED if status == SubscriberStatus.BOUNCED else COMPLAINED, now=NOW)

    reader("aktiv@example.org", SubscriberStatus.ACTIVE, 1, name="Anna Aktiv", topics=["Politik", "Sport"],
           frequency=Frequency.DAILY, slot="18:00")
    reader("weg@example.org", SubscriberStatus.UNSUBSCRIBED, 2, name="Willi Weg", slot="12:00")
    reader("prallt@example.org", SubscriberStatus.BOUNCED, 3, frequency=Frequency.WEEKLY)
    reader("klagt@example.org", SubscriberStatus.COMPLAINED, 4, topics=["Kaiserslautern"])
    reader("wartet@example.org", SubscriberStatus.PENDING, 5, name="=Wartende+")
    yield store
    engine.dispose()


def _export(store: SubscriberStore) -> str:
    buffer = io.StringIO(newline="")
    export_csv(store, buffer)
    return buffer.getvalue()


def _state(engine: Engine) -> tuple[list[tuple[object, ...]], ...]:
    """Every stored row that an import could touch, without the database's own ids."""
    with engine.connect() as connection:
        people = connection.execute(
            select(subscribers).order_by(subscribers.c.email)
        ).all()
        trail = connection.execute(
            select(subscribers.c.email, consent_records.c.action, consent_records.c.recorded_at,
                   consent_records.c.form, consent_records.c.wording_version)
            .join(consent_records, consent_records.c.subscriber_id == subscribers.c.id)
            .order_by(subscribers.c.email, consent_records.c.id)
        ).all()
        hashes = connection.execute(select(suppressions).order_by(suppressions.c.email_hash)).all()
    return [tuple(row)[1:] for row in people], [tuple(r) for r in trail], [tuple(r) for r in hashes]


@pytest.mark.parametrize("consented", [True, False])
def test_round_trip_keeps_everything_and_activates_no_one(
    source: SubscriberStore, any_engine: Engine, tmp_path: Path, consented: bool
) -> None:
    """Status, consent step, topics, frequency, slot, name and times survive; suppressed stay suppressed."""
    exported = _export(source)
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8", newline="")
    target = SubscriberStore(any_engine, KEY)

    report = import_csv(target, path, now=NOW, consented=consented, wording_version="2026-11")

    assert (5, 0, ()) == (report.imported, report.already_present, report.rejected)
    assert ("wartet@example.org",) == report.pending
    before = {s.email: s for s in source.list()}
    after = {s.email: s for s in target.list()}
    assert [(e, s.status, s.name, s.topics, s.frequency, s.slot, s.language, s.created, s.confirmed, s.unsubscribed,
             s.unsubscribe_reason) for e, s in sorted(before.items())] == [
        (e, s.status, s.name, s.topics, s.frequency, s.slot, s.language, s.created, s.confirmed, s.unsubscribed,
         s.unsubscribe_reason) for e, s in sorted(after.items())]
    newest = target.latest_consent([s.id for s in after.values()])
    assert ("confirmed", T0 + timedelta(days=1, hours=2), "confirm-link", "2026-01") == (
        newest[after["aktiv@example.org"].id].action, newest[after["aktiv@example.org"].id].recorded_at,
        newest[after["aktiv@example.org"].id].form, newest[after["aktiv@example.org"].id].wording_version)
    assert ["aktiv@example.org"] == [s.email for batch in target.iter_active(Frequency.DAILY, None, "06:00")
                                     for s in batch]
    assert (True, True, False) == (target.is_suppressed("prallt@example.org"),
                                   target.is_suppressed("klagt@example.org"),
                                   target.is_suppressed("weg@example.org"))
    assert exported == _export(target)


def test_second_import_of_the_same_file_changes_nothing(
    source: SubscriberStore, any_engine: Engine, tmp_path: Path
) -> None:
    """Importing one export twice: the second run finds every address present and stores nothing new."""
    path = tmp_path / "export.csv"
    path.write_text(_export(source), encoding="utf-8", newline="")
    target = SubscriberStore(any_engine, KEY)
    import_csv(target, path, now=NOW, consented=True, wording_version="2026-11")
    before = _state(any_engine)

    again = import_csv(target, path, now=NOW + timedelta(days=1), consented=True, wording_version="2026-12")

    assert (0, 5, (), ()) == (again.imported, again.already_present, again.rejected, again.pending)
    assert before == _state(any_engine)


def test_import_never_activates_a_suppressed_or_unsubscribed_address(any_engine: Engine, tmp_path: Path) -> None:
    """A row saying active with consent leaves an unsubscribed reader unsubscribed and a bounced one refused."""
    target = SubscriberStore(any_engine, KEY)
    gone = target.add("weg@example.org", now=T0, status=SubscriberStatus.ACTIVE)
    target.set_status(gone.id, SubscriberStatus.UNSUBSCRIBED, now=T0 + timedelta(days=1), reason="one-click")
    target.suppress("prallt@example.org", BOUNCED, now=T0)
    path = tmp_path / "claims.csv"
    stamp = T0.isoformat()
    path.write_text(
        "email,status,consent_action,consent_at,consent_form,consent_wording_version\n"
        f"weg@example.org,active,confirmed,{stamp},confirm-link,2026-01\n"
        f"prallt@example.org,active,confirmed,{stamp},confirm-link,2026-01\n"
        f"ohne@example.org,active,requested,{stamp},subscribe-form,2026-01\n",
        encoding="utf-8",
    )

    report = import_csv(target, path, now=NOW, consented=False, wording_version="2026-11")

    assert [(3, "the address is suppressed (bounced)")] == [(r.line, r.reason) for r in report.rejected]
    assert (1, 1) == (report.imported, report.already_present)
    assert SubscriberStatus.UNSUBSCRIBED == target.get(gone.id).status
    assert None is target.get_by_email("prallt@example.org")
    # A consent step that is only a request is no consent: the reader must confirm first.
    assert SubscriberStatus.PENDING == target.get_by_email("ohne@example.org").status


def test_bad_status_or_time_is_reported_per_row(any_engine: Engine, tmp_path: Path) -> None:
    """An unknown status, a malformed time or a half consent step rejects that row with the reason."""
    target = SubscriberStore(any_engine, KEY)
    path = tmp_path / "bad.csv"
    path.write_text(
        "email,status,created,consent_action,consent_at,slot\n"
        "a@example.org,aktiv,,,,\n"
        "b@example.org,active,gestern,,,\n"
        "c@example.org,active,,confirmed,,\n"
        "d@example.org,active,,,,25:00\n"
        "e@example.org,pending,2026-01-02T03:04:05,,,\n",
        encoding="utf-8",
    )
    report = import_csv(target, path, now=NOW, consented=False, wording_version="2026-11")
    assert [2, 3, 4, 5] == [r.line for r in report.rejected]
    assert "unknown status 'aktiv'" in report.rejected[0].reason
    assert "created: 'gestern' is not an ISO 8601 time" in report.rejected[1].reason
    assert "consent_action and consent_at go together" in report.rejected[2].reason
    assert "slot '25:00'" in report.rejected[3].reason
    # A time without offset is read as UTC.
    assert datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) == target.get_by_email("e@example.org").created
