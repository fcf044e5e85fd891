"""`articles list --source --category --status --since --until` against a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.site import Site, make_site

AGENCY = '\n[[sources]]\nname = "agentur"\ntype = "folder"\npath = "agentur"\n'
# Half past midnight in Berlin on the 10th is still the 9th in UTC: only the site's zone puts it on the 10th.
LATE = "2026-11-10T00:30:00+01:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    """The sample articles from source "content" and one agency article from source "agentur", collected."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    created = make_site(tmp_path, monkeypatch, store_url=url, extra=AGENCY)
    original = (created.root / "content" / "2026" / "11" / "pfaff-areal-technologiequartier.md").read_text("utf-8")
    agency = re.sub(r"(?m)^(published|updated): .*$", lambda m: f"{m.group(1)}: {LATE}", original)
    (created.root / "agentur").mkdir()
    (created.root / "agentur" / "pfaff-areal.md").write_text(agency, encoding="utf-8")
    collected = created.invoke("collect")
    assert 0 == collected.exit_code, collected.output
    return created


def _listed(site: Site, *options: str) -> list[tuple[str, str]]:
    """(source, last part of the external id) of each listed article, in the order listed."""
    result = site.invoke("articles", "list", "--json", *options)
    assert 0 == result.exit_code, result.output
    return [(a["source"], a["external_id"].rsplit("/", 1)[-1]) for a in json.loads(result.stdout)]


def test_source_keeps_one_source(site: Site) -> None:
    """--source agentur lists only the agency's article."""
    assert [("agentur", "pfaff-areal")] == _listed(site, "--source", "agentur")


def test_category_ignores_case_and_repeats_as_any_of(site: Site) -> None:
    """--category politik finds the three Politik articles; a second --category adds its own."""
    politics = [
        ("content", "grundschulen-zusaetzliche-lehrkraefte"),
        ("content", "gespraeche-wohnraum-us-streitkraefte"),
        ("content", "landtag-foerderprogramm-innenstaedte"),
    ]
    with_sport = _listed(site, "--category", "POLITIK", "--category", "Sport")
    assert (politics, 5) == (_listed(site, "--category", "politik"), len(with_sport))


def test_status_retracted_needs_no_all(site: Site) -> None:
    """--status retracted lists the retracted sample, without --all."""
    assert [("content", "windkraft-westpfalz-genehmigung")] == _listed(site, "--status", "retracted")


def test_dates_are_days_in_the_site_zone(site: Site) -> None:
    """--since/--until with plain dates cover whole days in Europe/Berlin: 00:30 on the 10th is the 10th."""
    tenth = _listed(site, "--since", "2026-11-10", "--until", "2026-11-10")
    ninth = _listed(site, "--until", "2026-11-09")
    assert ([("content", "landtag-foerderprogramm-innenstaedte"), ("agentur", "pfaff-areal")], []) == (tenth, ninth)


def test_date_times_are_inclusive_bounds(site: Site) -> None:
    """A date-time bound includes an article published at exactly that minute (local time or with offset)."""
    marathon = ("content", "pfalz-marathon-anmeldung")  # 2026-11-22 09:45 in Berlin
    at = _listed(site, "--since", "2026-11-22T09:45", "--until", "2026-11-22T09:45")
    utc = _listed(site, "--since", "2026-11-22T08:45+00:00", "--until", "2026-11-22T08:45Z")
    after = _listed(site, "--since", "2026-11-22T09:46", "--until", "2026-11-22T23:59")
    assert ([marathon], [marathon], []) == (at, utc, after)


def test_filters_combine(site: Site) -> None:
    """Source, category and date together narrow to their intersection; the table agrees with --json."""
    options = ("--source", "content", "--category", "Politik", "--since", "2026-11-11")
    table = site.invoke("articles", "list", *options).stdout.splitlines()
    assert (
        [("content", "grundschulen-zusaetzliche-lehrkraefte"), ("content", "gespraeche-wohnraum-us-streitkraefte")],
        "2 articles",
    ) == (_listed(site, *options), table[-1])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--since", "gestern", "Invalid value for '--since': 'gestern' is not an ISO 8601 date or date-time"),
        ("--until", "2026-13-01", "Invalid value for '--until': '2026-13-01' is not an ISO 8601 date or date-time"),
        ("--source", "dpa", "Invalid value for '--source': no source named 'dpa' (known: agentur, content)"),
        ("--status", "draft", "Invalid value for '--status': 'draft' is not one of 'published', 'retracted'."),
    ],
)
def test_bad_values_are_usage_errors_naming_the_option(site: Site, option: str, value: str, message: str) -> None:
    """A value that cannot be used exits 2 with one message naming the option; nothing is printed on stdout."""
    result = site.invoke("articles", "list", option, value)
    assert (2, "", True) == (result.exit_code, result.stdout, message in result.stderr)


def test_until_before_since_is_a_usage_error(site: Site) -> None:
    """An empty range is a mistake, not an empty list: exit 2 naming --until."""
    result = site.invoke("articles", "list", "--since", "2026-11-23", "--until", "2026-11-22")
    assert (2, True) == (result.exit_code, "Invalid value for '--until': 2026-11-22 is before --since 2026-11-23"
                         in result.stderr)
