"""Every listing command prints JSON with --json, in the shape docs/operating/command-line.md documents."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import click
import pytest

from syndication.cli import cli
from tests.cli.site import PROJECT_ROOT, Site, make_site

DOCS = PROJECT_ROOT / "docs" / "operating" / "command-line.md"
EDITION_ID = "daily-2026-11-24"  # FixedClock's day in Berlin


def documented() -> dict[str, set[str]]:
    """Command (without `syndication`) → the fields its objects have, from the docs' table."""
    shapes = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`syndication ") and "--json" in cells[0]:
            shapes[cells[0].strip("`").removeprefix("syndication ")] = set(re.findall(r"`(\w+)`", cells[2]))
    return shapes


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site with articles, feeds, an edition, two subscribers and a partner."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNDICATION_SECRET_KEY", "test-secret-key-0123456789abcdef")
        created = make_site(tmp_path_factory.mktemp("listings"), patch)
        for argv in (
            ("collect",),
            ("feeds", "build"),
            ("subscribers", "add", "anna@example.org", "--confirmed", "--name", "Anna", "--topics", "Politik"),
            ("subscribers", "add", "ben@example.org"),
            ("partners", "add", "Südwest-Presse", "--categories", "Politik,Sport", "--embargo", "30"),
            ("digest", "build"),
        ):
            result = created.invoke(*argv)
            assert 0 == result.exit_code, (argv, result.output)
        yield created


def _json(site: Site, command: str) -> Any:
    result = site.invoke(*command.replace("ID", EDITION_ID).split())
    assert result.exit_code in (0, 1), result.output  # `status` exits 1 while no scheduler has run
    return json.loads(result.stdout)


def test_every_listing_command_has_json_and_is_documented() -> None:
    """Each `list` command, `status` and `digest doubt` takes --json and has a row in the docs' table."""
    listings = {
        " ".join(path)
        for path, command in _commands(cli)
        if path[-1] in ("list", "status", "doubt")
        and any("--json" in getattr(param, "opts", ()) for param in command.params)
    }
    expected = {
        "articles list", "feeds list", "digest list", "digest doubt", "subscribers list", "partners list", "status",
    }  # fmt: skip
    documented_commands = {re.sub(r" (ID|--json)", "", command) for command in documented()}
    assert (expected, expected) == (listings, documented_commands)


@pytest.mark.parametrize("command", sorted(documented()))
def test_json_has_the_documented_fields(site: Site, command: str) -> None:
    """The command's JSON parses and each object has exactly the documented fields."""
    data = _json(site, command)
    objects = data if isinstance(data, list) else [data]
    assert (True, [documented()[command]] * len(objects)) == (bool(objects), [set(item) for item in objects])


def test_feeds_list_describes_every_format(site: Site) -> None:
    """Each feed's files name rss, atom and json with path, URL and whether the build wrote them."""
    feeds = _json(site, "feeds list --json")
    main = feeds[0]
    assert ("all", {"rss", "atom", "json"}, {"path", "url", "built"}, True, "feeds/all.atom") == (
        main["kind"],
        set(main["files"]),
        set(main["files"]["atom"]),
        all(f["built"] for feed in feeds for f in feed["files"].values()),
        main["files"]["atom"]["path"],
    )


def test_feeds_list_kind_narrows_and_refuses_unknown_kinds(site: Site) -> None:
    """--kind category lists only category feeds; --kind tag is a usage error naming --kind."""
    kinds = {feed["kind"] for feed in _json(site, "feeds list --kind category --json")}
    refused = site.invoke("feeds", "list", "--kind", "tag")
    assert ({"category"}, 2, True) == (kinds, refused.exit_code, "Invalid value for '--kind'" in refused.stderr)


def test_listing_values_are_the_stored_facts(site: Site) -> None:
    """Values, not only names: subscribers, partner terms and the edition are what was stored."""
    subscribers = _json(site, "subscribers list --json")
    partner = _json(site, "partners list --json")[0]
    edition = _json(site, "digest list --json")[0]
    assert (
        [("anna@example.org", "active", ["Politik"], "Anna"), ("ben@example.org", "pending", [], None)],
        ("Südwest-Presse", "active", ["Politik", "Sport"], 30),
        (EDITION_ID, "daily", "2026-11-24", True),
    ) == (
        [(s["email"], s["status"], s["topics"], s["name"]) for s in subscribers],
        (partner["name"], partner["status"], partner["categories"], partner["embargo_minutes"]),
        (edition["id"], edition["name"], edition["edition_date"], len(edition["article_ids"]) > 0),
    )


def test_partner_keys_never_appear_in_listings(site: Site) -> None:
    """partners list --json carries the key prefix only, never a whole key."""
    rotated = site.invoke("partners", "rotate", "Südwest-Presse").stdout.strip()
    listed = site.invoke("partners", "list", "--json").stdout
    assert (True, False) == (len(rotated) > 20, rotated in listed)
