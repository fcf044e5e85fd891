"""`syndication partners push|push-secret|replay|deliver|usage` against the test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.errors import ConfigError, UsageError
from syndication.partners.endpoints import Endpoints
from syndication.partners.store import PartnerStore
from syndication.partners.versions import VersionLog

from .helpers import TEST_SECRET

Invoke = Callable[..., Result]
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


@pytest.fixture
def run(tmp_path: Path, engine: Engine, clock: FixedClock) -> Invoke:
    """Runs the command line on the same database as ``engine``, with the test clock."""
    env = {"SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"), "SYNDICATION_SECRET_KEY": TEST_SECRET}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--config", str(CONFIG), "partners", *args], env=env, obj=CliContext(clock=clock)
        )

    return invoke


def test_push_prints_a_whsec_secret_once_and_rotates(run: Invoke, partner_store: PartnerStore,
                                                    clock: FixedClock) -> None:
    """push prints only the Standard Webhooks secret on stdout; push-secret prints a different one."""
    partner_store.add("Rheinpfalz", clock.now())
    first = run("push", "Rheinpfalz", "https://partner.example/ninjs")
    second = run("push-secret", "Rheinpfalz")
    secrets = [result.stdout.strip() for result in (first, second)]
    assert (0, 0) == (first.exit_code, second.exit_code), first.output + second.output
    assert [True, True] == [secret.startswith("whsec_") and "\n" not in secret for secret in secrets]
    assert secrets[0] != secrets[1]
    assert "shown only once" in first.stderr


def test_push_refuses_plain_http(run: Invoke, partner_store: PartnerStore, clock: FixedClock) -> None:
    """Without the loopback setting an http:// endpoint is refused; the message names https."""
    partner_store.add("Unsicher", clock.now())
    result = run("push", "Unsicher", "http://127.0.0.1:9/ninjs")
    assert isinstance(result.exception, UsageError) and "https://" in str(result.exception)


def test_usage_counts_requests_items_and_429s_per_day(
    run: Invoke, partner_store: PartnerStore, clock: FixedClock
) -> None:
    """usage --json: one object per day with requests, items delivered, pushes and 429s."""
    partner = partner_store.add("Zähler", clock.now()).partner
    partner_store.log_request(partner.id, clock.now(), "items", 200, 12)
    partner_store.log_request(partner.id, clock.now(), "items", 429, 0)
    partner_store.log_request(partner.id, clock.now(), "feed.atom", 304, 0)
    result = run("usage", "Zähler", "--json")
    assert 0 == result.exit_code, result.output
    assert [{"day": "2026-11-24", "requests": 3, "items_delivered": 12, "pushes_delivered": 0, "pushes_failed": 0,
             "rate_limited": 1}] == json.loads(result.stdout)
    table = run("usage", "Zähler")
    assert "1 day with use; total: 3 requests, 12 items, 0 pushed, 0 push failed, 1 rate limited" in table.stdout


def test_deliver_without_endpoints_records_versions_only(run: Invoke) -> None:
    """deliver with no partner endpoint says so in its summary and succeeds."""
    result = run("deliver")
    assert (0, "partner pushes: 0 queued, 0 delivered, 0 to retry, 0 given up, 0 postponed\n") == (
        result.exit_code, result.stdout
    )


def test_push_stop_ends_the_pushes_and_list_shows_them(
    run: Invoke, partner_store: PartnerStore, clock: FixedClock
) -> None:
    """push-stop names the endpoint it stopped; list shows each partner's push as on, stopped or none; replay
    of a stopped endpoint is refused with the way to start it again."""
    for name in ("Rheinpfalz", "Wochenblatt", "Nur-Abruf"):
        partner_store.add(name, clock.now())
    for name in ("Rheinpfalz", "Wochenblatt"):
        assert 0 == run("push", name, f"https://{name.lower()}.example/ninjs").exit_code
    stopped = run("push-stop", "Wochenblatt")
    listed = run("list", "--json")
    replay = run("replay", "Wochenblatt")
    assert (0, "pushes to Wochenblatt stopped (https://wochenblatt.example/ninjs); what was not sent yet is not sent\n"
            ) == (stopped.exit_code, stopped.stdout)
    assert [("Nur-Abruf", None, None), ("Rheinpfalz", "on", "https://rheinpfalz.example/ninjs"),
            ("Wochenblatt", "stopped", "https://wochenblatt.example/ninjs")] == sorted(
        (row["name"], row["push"], row["push_url"]) for row in json.loads(listed.stdout))
    assert isinstance(replay.exception, UsageError) and "syndication partners push NAME URL" in str(replay.exception)
    table = run("list").stdout.splitlines()
    assert ["push", "-", "on", "stopped"] == [line.split()[-1] for line in table[:4]]


def test_a_push_secret_sealed_under_another_secret_key_is_a_config_error_naming_the_fix(
    partner_store: PartnerStore, engine: Engine, clock: FixedClock
) -> None:
    """After SYNDICATION_SECRET_KEY changed, the endpoint's signing secret cannot be opened: the error names the fix."""
    partner_store.add("Rheinpfalz", clock.now())
    before = Endpoints(engine, partner_store, VersionLog(engine, clock), "an-older-secret-key-0123456789")
    made = before.register("Rheinpfalz", "https://partner.example/ninjs", clock.now())
    now = Endpoints(engine, partner_store, VersionLog(engine, clock), TEST_SECRET)
    assert made.secret == before.secret_of(made.endpoint)
    with pytest.raises(ConfigError, match=r"run `syndication partners push NAME URL` again"):
        now.secret_of(made.endpoint)
