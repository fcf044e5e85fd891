"""`syndication partners add|list|revoke|rotate` against the test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.errors import UsageError
from syndication.partners.keys import KEY_MARKER
from syndication.partners.store import PartnerStore

from .helpers import TEST_SECRET

Invoke = Callable[..., Result]
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


@pytest.fixture
def run(tmp_path: Path, engine: Engine) -> Invoke:
    """Runs the command line on the same database as ``engine`` (the settings fixture's var/)."""
    env = {"SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"), "SYNDICATION_SECRET_KEY": TEST_SECRET}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--config", str(CONFIG), "partners", *args], env=env, obj=CliContext(clock=FixedClock())
        )

    return invoke


def printed_key(result: Result) -> str:
    """The key is the one line on stdout."""
    lines = result.stdout.strip().splitlines()
    assert 1 == len(lines)
    return lines[0]


def test_add_prints_the_key_once_and_stores_the_terms(run: Invoke, engine: Engine) -> None:
    """add prints a working key on stdout, the once-only warning on stderr, and stores the terms."""
    result = run("add", "Rheinpfalz", "--categories", "Politik,Wirtschaft", "--regions", "Kaiserslautern",
                 "--embargo", "30", "--summary-only", "--attribution", "Quelle: PR")
    assert 0 == result.exit_code, result.output
    key = printed_key(result)
    assert key.startswith(KEY_MARKER) and "shown only once" in result.stderr
    partner = PartnerStore(engine, TEST_SECRET).authenticate(key).partner
    assert ("Rheinpfalz", ("Politik", "Wirtschaft"), ("Kaiserslautern",), 30, True, "Quelle: PR") == (
        partner.name, partner.categories, partner.regions, partner.embargo_minutes, partner.summary_only,
        partner.attribution,
    )


def test_list_shows_partners_but_never_keys(run: Invoke) -> None:
    """list names partners with their terms and the config defaults, without keys or hashes."""
    key = printed_key(run("add", "Rheinpfalz", "--categories", "Politik"))
    run("add", "Agentur")
    table = run("list")
    listed = json.loads(run("list", "--json").stdout)
    assert 0 == table.exit_code
    assert key not in table.output + json.dumps(listed)
    assert ["Agentur", "Rheinpfalz"] == [row["name"] for row in listed]
    assert (["Politik"], "Quelle: Pfalz-Rundschau", "active") == (
        listed[1]["categories"], listed[1]["attribution"], listed[1]["status"]
    )
    assert "key_hash" not in listed[0] and "2 partners" in table.output


def test_revoke_stops_the_key(run: Invoke, engine: Engine) -> None:
    """revoke makes the key fail at once; revoking again says so and succeeds."""
    key = printed_key(run("add", "Rheinpfalz"))
    assert ("revoked: Rheinpfalz", "already revoked: Rheinpfalz") == (
        run("revoke", "Rheinpfalz").stdout.strip(), run("revoke", "Rheinpfalz").stdout.strip()
    )
    assert not PartnerStore(engine, TEST_SECRET).authenticate(key).ok
    assert "revoked" == json.loads(run("list", "--json").stdout)[0]["status"]


def test_rotate_prints_a_new_key_and_the_old_one_stops(run: Invoke, engine: Engine) -> None:
    """rotate prints a new key once; only the new key works afterwards."""
    old = printed_key(run("add", "Rheinpfalz"))
    rotated = run("rotate", "Rheinpfalz")
    new = printed_key(rotated)
    store = PartnerStore(engine, TEST_SECRET)
    assert (0, False, True) == (rotated.exit_code, store.authenticate(old).ok, store.authenticate(new).ok)


def test_unknown_partner_is_a_usage_error(run: Invoke) -> None:
    """revoke and rotate of an unknown name fail with an error naming the partner."""
    for command in ("revoke", "rotate"):
        result = run(command, "Niemand")
        assert isinstance(result.exception, UsageError) and "'Niemand'" in str(result.exception)
