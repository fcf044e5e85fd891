"""CSV import: column mapping, every bad row reported with its line, unreadable files import nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from subscribers.importer import import_csv
from subscribers.model import Frequency, SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.errors import InputError

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
KEY = "test-secret-key-0123456789abcdef"


@pytest.fixture
def store(engine: Engine) -> SubscriberStore:
    return SubscriberStore(engine, KEY)


def run_import(store: SubscriberStore, path: Path, consented: bool = True):  # type: ignore[no-untyped-def]
    return import_csv(store, path, now=NOW, consented=consented, wording_version="2026-11")


def test_ten_thousand_rows_with_one_hundred_bad(store: SubscriberStore, tmp_path: Path) -> None:
    """Exactly the 100 bad rows are reported, with their line numbers; the other 9,900 are imported."""
    lines = ["email,name,topics,frequency"]
    bad_lines = set()
    for index in range(10_000):
        line_number = index + 2
        if index % 100 == 37:
            bad_lines.add(line_number)
            kind = index % 3
            if kind == 0:
                lines.append(f"kaputt{index}-ohne-at,Name {index},Politik,daily")
            elif kind == 1:
                lines.append(f"leser{index}@example.org,Name {index},Politik,monthly")
            else:
                lines.append(f"leser{index}@@example..org,,,")
        else:
            lines.append(f"leser{index}@example.org,Name {index},Politik|Sport,{'weekly' if index % 2 else 'daily'}")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_import(store, path)
    assert (9_900, 0) == (report.imported, report.already_present)
    assert sorted(bad_lines) == [rejected.line for rejected in report.rejected]
    assert 9_900 == store.count(SubscriberStatus.ACTIVE)
    sample = store.get_by_email("leser1@example.org")
    assert (("Politik", "Sport"), Frequency.WEEKLY, "Name 1") == (sample.topics, sample.frequency, sample.name)


def test_german_headers_semicolons_and_duplicates(store: SubscriberStore, tmp_path: Path) -> None:
    """E-Mail-Adresse/Themen/Häufigkeit headers, ; as delimiter, | between topics; duplicates are rejected."""
    path = tmp_path / "de.csv"
    path.write_text(
        "E-Mail-Adresse;Name;Themen;Häufigkeit\n"
        "eins@example.org;Eins;Politik|Kaiserslautern;wöchentlich\n"
        "\n"
        "EINS@example.org;;;\n",
        encoding="utf-8",
    )
    report = run_import(store, path, consented=False)
    assert 1 == report.imported
    assert [(4, "duplicate of line 2")] == [(r.line, r.reason) for r in report.rejected]
    eins = store.get_by_email("eins@example.org")
    assert (SubscriberStatus.PENDING, ("Kaiserslautern", "Politik"), Frequency.WEEKLY) == (
        eins.status, eins.topics, eins.frequency,
    )


def test_existing_addresses_are_left_alone(store: SubscriberStore, tmp_path: Path) -> None:
    """An address already in the list is counted as present, not changed (an unsubscribe stays)."""
    gone = store.add("da@example.org", now=NOW, status=SubscriberStatus.UNSUBSCRIBED)
    path = tmp_path / "again.csv"
    path.write_text("email\nda@example.org\n", encoding="utf-8")
    report = run_import(store, path)
    assert (0, 1, ()) == (report.imported, report.already_present, report.rejected)
    assert SubscriberStatus.UNSUBSCRIBED == store.get(gone.id).status


def test_forgotten_address_cannot_be_reimported(store: SubscriberStore, tmp_path: Path) -> None:
    """After forget, a re-import of the address is refused with a reason; the others are imported."""
    store.add("vergessen@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    store.forget("vergessen@example.org", now=NOW)
    path = tmp_path / "reimport.csv"
    path.write_text("email\nVergessen@example.org\nneu@example.org\n", encoding="utf-8")
    report = run_import(store, path)
    assert 1 == report.imported
    assert [(2, "the address was erased (GDPR) and may not be re-imported")] == [
        (r.line, r.reason) for r in report.rejected
    ]
    assert None is store.get_by_email("vergessen@example.org")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("email\nä@example.org\n".encode("latin-1"), "not UTF-8"),
        (b"mail_address,name\nx@example.org,X\n", "no email column"),
        (b"", "the file is empty"),
    ],
)
def test_unreadable_file_imports_nothing(
    store: SubscriberStore, tmp_path: Path, content: bytes | None, message: str
) -> None:
    """A missing, non-UTF-8, email-less or empty file raises InputError naming it, and nothing is stored."""
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        run_import(store, path)
    assert str(path) == raised.value.where
    assert message in raised.value.reason
    assert 0 == store.count()
