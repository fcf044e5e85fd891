"""`syndication subscribers …` end to end through the Click command, on a temporary database and outbox."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.errors import InputError

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, clock: FixedClock) -> Invoke:
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": "test-secret-key-0123456789abcdef",
    }

    def invoke(*args: str) -> Result:
        # standalone_mode=False, as in syndication.cli.main: a command's return value is its exit code.
        return CliRunner().invoke(cli, ["--config", str(CONFIG), "subscribers", *args], env=env,
                                  standalone_mode=False, obj=CliContext(clock=clock))

    return invoke


def listed(run: Invoke) -> list[dict[str, object]]:
    result = run("list", "--json")
    assert 0 == result.return_value, result.output
    return json.loads(result.stdout)


def test_add_confirmed_and_pending(run: Invoke, tmp_path: Path) -> None:
    """--confirmed adds an active subscriber; without it the address is pending and gets a confirmation mail."""
    assert 0 == run("add", "Anna@Example.org", "--topics", "Politik,Sport", "--frequency", "weekly",
                    "--name", "Anna", "--confirmed").return_value
    assert 0 == run("add", "ben@example.org").return_value
    assert [
        {"email": "anna@example.org", "status": "active", "frequency": "weekly", "topics": ["Politik", "Sport"]},
        {"email": "ben@example.org", "status": "pending", "frequency": "daily", "topics": []},
    ] == [{k: item[k] for k in ("email", "status", "frequency", "topics")} for item in listed(run)]
    assert 1 == len(list((tmp_path / "outbox").glob("*.eml")))


def test_import_reports_rejected_rows_and_export_round_trips(run: Invoke, tmp_path: Path) -> None:
    """import lists each rejected row with file:line and exits 1; export writes every subscriber back."""
    source = tmp_path / "in.csv"
    source.write_text("e-mail,name,topics\na@example.org,A,Politik;Sport\nkaputt,B,\nc@example.org,,\n",
                      encoding="utf-8")
    result = run("import", str(source), "--consented")
    assert 1 == result.return_value
    assert f"{source}:3: not a valid email address" in result.stderr
    assert "2 imported (active), 0 already present, 1 rejected" in result.stdout
    target = tmp_path / "out.csv"
    assert 0 == run("export", str(target)).return_value
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [("a@example.org", "Politik|Sport", "active"), ("c@example.org", "", "active")] == [
        (row["email"], row["topics"], row["status"]) for row in rows
    ]


def test_unreadable_import_exits_with_error(run: Invoke, tmp_path: Path) -> None:
    """A file without an email column imports nothing and ends with the input error."""
    source = tmp_path / "x.csv"
    source.write_text("foo,bar\n1,2\n", encoding="utf-8")
    result = run("import", str(source))
    assert (InputError, []) == (type(result.exception), listed(run))


def test_remove_and_forget(run: Invoke, tmp_path: Path) -> None:
    """remove unsubscribes; forget erases, and a later import of the address is refused."""
    run("add", "r@example.org", "--confirmed")
    run("add", "f@example.org", "--confirmed")
    assert 0 == run("remove", "r@example.org").return_value
    assert 0 == run("forget", "F@example.org").return_value
    assert [("r@example.org", "unsubscribed")] == [(i["email"], i["status"]) for i in listed(run)]
    source = tmp_path / "back.csv"
    source.write_text("email\nf@example.org\n", encoding="utf-8")
    result = run("import", str(source), "--consented")
    assert "may not be re-imported" in result.stderr
    assert ["r@example.org"] == [i["email"] for i in listed(run)]


def test_seed_demo_is_idempotent(run: Invoke) -> None:
    """seed-demo adds active example.org subscribers with varied settings, once."""
    run("seed-demo")
    run("seed-demo")
    seeded = listed(run)
    assert 5 == len(seeded)
    assert {"active"} == {i["status"] for i in seeded}
    assert {"daily", "weekly"} == {i["frequency"] for i in seeded}
    assert {None, "12:00", "18:00"} == {i["slot"] for i in seeded}
    assert all(str(i["email"]).endswith("@example.org") for i in seeded)
