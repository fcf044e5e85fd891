"""A reader's time zone is checked wherever it is written, and survives export and import (real store)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from subscribers.exporter import export_csv
from subscribers.importer import import_csv
from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from subscribers.zones import READER_ZONES, canonical_zone
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.errors import InputError
from syndication.store.db import open_engine

KEY = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def test_a_zone_is_stored_as_named_and_a_name_of_no_zone_is_refused(any_engine: Engine) -> None:
    """add and update_preferences keep an IANA name, store empty as None and refuse anything else."""
    store = SubscriberStore(any_engine, KEY)
    added = store.add("ny@example.org", now=NOW, status=SubscriberStatus.ACTIVE, timezone=" America/New_York ")
    with pytest.raises(InputError):
        store.add("mars@example.org", now=NOW, timezone="Mars/Olympus_Mons")
    with pytest.raises(InputError):
        store.update_preferences(added.id, timezone="../../etc/passwd")
    cleared = store.update_preferences(added.id, timezone="")
    assert cleared is not None
    refused = store.get_by_email("mars@example.org")
    assert ("America/New_York", None, None) == (added.timezone, cleared.timezone, refused)


def test_export_and_import_keep_the_zone_and_reject_a_row_naming_no_zone(tmp_path: Path) -> None:
    """The export's timezone column comes back on import; an import row with an unknown zone is rejected."""
    source = SubscriberStore(open_engine(f"sqlite:///{tmp_path / 'source.db'}"), KEY)
    source.add("tokyo@example.org", now=NOW, status=SubscriberStatus.ACTIVE, timezone="Asia/Tokyo")
    source.add("ohne@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    exported = io.StringIO()
    export_csv(source, exported)
    path = tmp_path / "leser.csv"
    path.write_text(exported.getvalue() + "mars@example.org,,,,,,,,,,,,,,,,Mars/Olympus_Mons\n", encoding="utf-8")
    target = SubscriberStore(open_engine(f"sqlite:///{tmp_path / 'target.db'}"), KEY)
    report = import_csv(target, path, now=NOW, consented=True, wording_version="2026-11")
    zones = {s.email: s.timezone for s in target.list()}
    assert {"tokyo@example.org": "Asia/Tokyo", "ohne@example.org": None} == zones
    assert [4] == [rejected.line for rejected in report.rejected]


CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def test_subscribers_add_takes_a_zone_and_list_json_shows_it(tmp_path: Path) -> None:
    """`subscribers add --timezone` stores the zone, `list --json` shows it, and a name of no zone is refused."""
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": KEY,
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(
            cli,
            ["--config", str(CONFIG), "subscribers", *args],
            env=env,
            standalone_mode=False,
            obj=CliContext(clock=FixedClock(NOW)),
        )

    added = run("add", "ny@example.org", "--confirmed", "--timezone", "America/New_York")
    refused = run("add", "mars@example.org", "--confirmed", "--timezone", "Mars/Olympus_Mons")
    listed = json.loads(run("list", "--json").stdout)
    assert (0, True) == (added.return_value, isinstance(refused.exception, InputError))
    assert [("ny@example.org", "America/New_York")] == [(item["email"], item["timezone"]) for item in listed]


def test_a_zone_is_read_under_its_current_iana_name() -> None:
    """Blanks are dropped and an old alias (an IANA link) becomes the zone it names; a place of its own that the
    data merged with a neighbour's clock stays itself; a name of no zone comes back stripped, unchecked."""
    names = [
        "Europe/Berlin ",
        "Asia/Calcutta",
        "US/Eastern",
        "Europe/Kiev",
        "Europe/Amsterdam",
        "Mars/Olympus_Mons",
        " ",
        None,
    ]
    assert [
        "Europe/Berlin",
        "Asia/Kolkata",
        "America/New_York",
        "Europe/Kyiv",
        "Europe/Amsterdam",
        "Mars/Olympus_Mons",
        None,
        None,
    ] == [canonical_zone(name) for name in names]


def test_the_zones_offered_are_each_their_own_current_name() -> None:
    """Every zone the preferences page offers is canonical: no two options name one zone."""
    assert [] == [zone for zone in READER_ZONES if canonical_zone(zone) != zone]


def test_every_way_in_stores_a_zone_under_its_current_name(any_engine: Engine) -> None:
    """add and update_preferences (the CLI, the import, the pages) store an alias as the zone it names."""
    store = SubscriberStore(any_engine, KEY)
    added = store.add("indien@example.org", now=NOW, status=SubscriberStatus.ACTIVE, timezone="Asia/Calcutta")
    updated = store.update_preferences(added.id, timezone="US/Eastern ")
    assert updated is not None
    assert ("Asia/Kolkata", "America/New_York") == (added.timezone, updated.timezone)
